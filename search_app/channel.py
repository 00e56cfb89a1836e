"""How one connection is read: a deadline for every request, 414/431/413 for oversized ones, and a
lingering close so that a client still sending reads its error instead of a connection reset.

waitress closes a connection only after `channel_timeout` seconds of silence, and every byte
resets that clock, so a client trickling a byte every few seconds keeps its connection slot for
ever; a few hundred of them hold every slot and the site stops answering. Here a connection
waiting for a request has `Deadlines.head` seconds, from when it was accepted or its previous
response was sent, to deliver the request line and headers, then `Deadlines.body` seconds plus
one per `Deadlines.min_body_rate` bytes for the body (the rule of Apache's mod_reqtimeout). A
connection past its deadline is closed, after a one-shot 408 if part of a request had come.
Sending a response is never timed: a slow download is cut only by `channel_timeout` of silence.
"""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import dataclass

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.utilities import BadRequest

from indexer.messages import message

logger = logging.getLogger("waitress")

#: The request line (method, URL, version) at most; a longer one is a 414.
MAX_REQUEST_LINE = 16 * 1024
#: The request line and headers together at most (waitress's max_request_header_size); more is a 431.
MAX_REQUEST_HEAD = 64 * 1024
#: The body at most (max_request_body_size; the site takes no uploads); more is a 413.
MAX_REQUEST_BODY = 1024 * 1024
#: How often deadlines are checked (waitress's cleanup_interval), seconds.
CHECK_INTERVAL = 1
#: Closed connections are logged at most once per this many seconds, with their number.
LOG_INTERVAL = 10.0

REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: %d\r\n\r\n%s"
)


@dataclass(frozen=True)
class Deadlines:
    """How long a client may take to send a request, and to read our answer to a bad one."""

    #: Seconds to send the request line and headers, from accept or the end of the previous response.
    head: float = 10.0
    #: Seconds to send the body once the headers are in, plus one per min_body_rate bytes received.
    body: float = 10.0
    min_body_rate: float = 500.0
    #: After an error answer, seconds to keep reading (and dropping) what the client still sends.
    linger: float = 5.0


class URITooLong(BadRequest):
    code = 414
    reason = "URI Too Long"


#: waitress's own errors for oversized requests: status → our message and its limit.
TOO_LARGE = {431: ("headers_too_large", MAX_REQUEST_HEAD), 413: ("body_too_large", MAX_REQUEST_BODY)}


def _too_large(code: str, limit: int) -> str:
    return f"{message(code, 'zh', limit=limit)}\r\n{message(code, limit=limit)}"


class LimitedParser(HTTPRequestParser):
    """waitress's request parser, answering 414 for a request line over MAX_REQUEST_LINE as soon as
    that many bytes have come, and noting when the headers were complete (the body's deadline)."""

    head_done_at: float | None = None
    line_checked = False

    def received(self, data: bytes) -> int:
        if not self.line_checked and not self.completed:
            head = (self.header_plus + data).lstrip(b"\r\n")
            line_end = head.find(b"\n")
            if (line_end < 0 and len(head) > MAX_REQUEST_LINE) or line_end > MAX_REQUEST_LINE:
                self.parse_header(b"GET / HTTP/1.0\r\n")
                self.error = URITooLong(_too_large("uri_too_long", MAX_REQUEST_LINE))
                self.completed = True
                return len(data)
            self.line_checked = line_end >= 0
        consumed = super().received(data)
        if self.headers_finished and self.head_done_at is None:
            self.head_done_at = time.monotonic()
        if self.error is not None and self.error.code in TOO_LARGE:
            code, limit = TOO_LARGE[self.error.code]
            self.error.body = _too_large(code, limit)
        return consumed


class GuardedChannel(HTTPChannel):
    """A connection with a deadline for each request and a lingering close after an error answer."""

    parser_class = LimitedParser
    #: When the connection began waiting for a request (monotonic), or None while it is answering one.
    waiting_since: float | None = None
    #: While lingering after an error answer: when to give up reading and close.
    linger_until: float | None = None
    answered_error = False

    def __init__(self, server, sock, addr, adj, map=None):
        super().__init__(server, sock, addr, adj, map)
        self.waiting_since = time.monotonic()

    def readable(self) -> bool:
        if self.linger_until is not None:
            return not self.will_close
        ready = super().readable()  # waitress reads only while no request is being answered
        if not ready:
            self.waiting_since = None
        elif self.waiting_since is None:
            self.waiting_since = time.monotonic()
        return ready

    def writable(self) -> bool:
        if self.linger_until is not None:
            return self.will_close
        return super().writable()

    def handle_read(self) -> None:
        if self.linger_until is None:
            super().handle_read()
            return
        try:
            self.recv(self.adj.recv_bytes)  # dropped; an empty read (the client done) closes
        except OSError:
            self.will_close = True

    def service(self) -> None:
        if self.requests and self.requests[0].error is not None:
            self.answered_error = True  # the client may still be sending the rest of that request
        super().service()
        if not self.connected:  # waitress wakes the server only for a connected channel
            self.server.pull_trigger()  # a thread is free: the server may accept again

    def handle_close(self) -> None:
        if self.answered_error and self.linger_until is None and self.socket is not None:
            # Closing with unread input makes the kernel send a reset, which can destroy our answer
            # before the client reads it. Send end-of-file instead and drop what still comes.
            try:
                self.socket.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            else:
                self.linger_until = time.monotonic() + self.server.deadlines.linger
                self.will_close = self.close_when_flushed = False
                return
        super().handle_close()

    def deadline(self) -> float | None:
        """When this connection must have sent its request in full (monotonic), or None if not waiting."""
        if self.linger_until is not None:
            return self.linger_until
        if self.waiting_since is None:
            return None
        deadlines = self.server.deadlines
        request = self.request
        if request is not None and request.head_done_at is not None:
            return request.head_done_at + deadlines.body + request.body_bytes_received / deadlines.min_body_rate
        return self.waiting_since + deadlines.head

    def close_overdue(self) -> None:
        """Close a connection past its deadline, first telling a client caught mid-request (one try)."""
        if self.linger_until is None and self.request is not None and self.socket is not None:
            body = message("request_timeout", "zh").encode() + b"\r\n" + message("request_timeout").encode()
            try:
                self.socket.send(REQUEST_TIMEOUT % (len(body), body))
            except OSError:
                pass
        self.will_close = True


class GuardedServer(TcpWSGIServer):
    """waitress's TCP server with GuardedChannel connections, whose deadlines it checks every
    CHECK_INTERVAL, taking new connections only while it has a thread free to answer them."""

    channel_class = GuardedChannel

    def __init__(self, *args, deadlines: Deadlines = Deadlines(), **kw):
        self.deadlines = deadlines
        self.closed_overdue = 0
        self.next_log = 0.0
        super().__init__(*args, **kw)

    def readable(self) -> bool:
        """Accept a connection only while a thread is free for it (checking deadlines as waitress does).

        The others wait in the kernel's queue, which both processes share, in order of arrival,
        and go to whichever process frees a thread first; accepting as fast as possible instead
        queued them per process, so one process's queue grew while the other's thread sat idle."""
        accepting = super().readable()
        if not accepting:
            return False
        answering = sum(1 for channel in self.active_channels.values() if channel.requests)
        return answering < self.adj.threads

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # waitress's channel_timeout, for silent connections
        clock = time.monotonic()
        for channel in list(self.active_channels.values()):
            deadline = channel.deadline()
            if deadline is not None and clock > deadline and not channel.will_close:
                if channel.linger_until is None:
                    self.closed_overdue += 1
                channel.close_overdue()
        if self.closed_overdue and clock >= self.next_log:
            logger.warning(
                "closed %d connections that sent no complete request within the deadline (%g s for the headers)",
                self.closed_overdue,
                self.deadlines.head,
            )
            self.closed_overdue, self.next_log = 0, clock + LOG_INTERVAL
