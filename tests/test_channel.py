"""The real server against slow and oversized requests (search_app/channel.py): hundreds of connections
trickling a request a byte at a time are closed at the request deadline while real requests keep being
answered, an oversized request gets its 414/431/413 and not a connection reset, and a slow download is
never cut. Every server is a `python -m search_app` subprocess on 127.0.0.1."""

import asyncio
import http.client
import socket
import time

import pytest
from waitress.adjustments import Adjustments

from indexer.bench.load import fetch, http_get, start_server
from search_app.channel import MAX_REQUEST_BODY, MAX_REQUEST_HEAD, MAX_REQUEST_LINE, GuardedServer
from tests.conftest import REPORTS

DEADLINE = 3.0  # --request-timeout of the servers below, seconds
#: Time the server may take beyond a deadline to close (it checks every second) on a busy machine.
SLACK = 4.0
SEARCH = "/api/search?q=%E6%B3%95%E6%B2%BB"  # 法治


@pytest.fixture(scope="module")
def server(index_dir):
    with start_server(REPORTS, index_dir, build=False, workers=2, request_timeout=DEADLINE) as running:
        yield running


def port_of(server) -> int:
    return int(server.url.rsplit(":", 1)[1])


# --- slow clients ------------------------------------------------------------------------------------------


async def trickle(port: int, until: float, reconnect: bool, closes: list) -> None:
    """A client that sends a request's headers one byte a second and never finishes them; each time the
    server closes it, records (seconds it stayed open, first bytes it was sent), then reconnects or stops."""
    while True:
        opened = time.monotonic()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET " + SEARCH.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        answer = b""
        try:
            while time.monotonic() < until + DEADLINE + SLACK:
                try:
                    chunk = await asyncio.wait_for(reader.read(1024), timeout=1.0)
                except asyncio.TimeoutError:
                    writer.write(b"x")
                    await writer.drain()
                    continue
                if not chunk:
                    break
                answer += chunk
            else:
                closes.append((None, answer))  # still open: never closed by the server
                return
        except (ConnectionResetError, BrokenPipeError):
            pass
        finally:
            writer.close()
        closes.append((time.monotonic() - opened, answer[:40]))
        if not reconnect or time.monotonic() >= until:
            return


async def attack(port: int, connections: int, seconds: float, reconnect: bool) -> tuple[list, list]:
    """`connections` trickling clients for `seconds` while one client asks for real searches one after
    another, three at a time: (status or error, seconds) of every real request, and what the trickling clients saw."""
    until = time.monotonic() + seconds
    closes: list = []
    tricklers = [asyncio.ensure_future(trickle(port, until, reconnect, closes)) for _ in range(connections)]
    answers: list = []

    async def searcher() -> None:
        while time.monotonic() < until:
            start = time.monotonic()
            try:
                status, _ = await asyncio.wait_for(fetch("127.0.0.1", port, SEARCH), timeout=2 * DEADLINE + SLACK)
            except (asyncio.TimeoutError, OSError, ValueError) as exc:
                status = type(exc).__name__
            answers.append((status, time.monotonic() - start))
            await asyncio.sleep(0.2)

    await asyncio.sleep(0.5)  # let them take their slots first
    await asyncio.gather(*(searcher() for _ in range(3)), *tricklers)
    return answers, closes


@pytest.mark.parametrize(
    "connection_limit, connections, reconnect, bound",
    [
        (None, 600, False, DEADLINE),  # more than the old 2 × 256 slots, fewer than today's
        (100, 300, True, 2 * DEADLINE + SLACK),  # every slot taken, and retaken as soon as it is freed
    ],
    ids=["600-trickling", "slots-exhausted"],
)
def test_trickling_clients_are_closed_at_the_deadline_and_real_requests_answered(
    index_dir, connection_limit, connections, reconnect, bound
):
    with start_server(
        REPORTS, index_dir, build=False, workers=2, request_timeout=DEADLINE, connection_limit=connection_limit
    ) as server:
        answers, closes = asyncio.run(attack(port_of(server), connections, 3 * DEADLINE, reconnect))
        log = "\n".join(server.log_lines())
    assert len(answers) >= 5
    assert [status for status, _ in answers] == [200] * len(answers)
    assert max(seconds for _, seconds in answers) < bound
    assert len(closes) >= connections
    lifetimes = [seconds for seconds, _ in closes]
    assert None not in lifetimes  # the server closed every one of them
    assert min(lifetimes) >= DEADLINE - 0.1
    if not reconnect:  # each was accepted at once, so it was closed at its deadline
        assert max(lifetimes) < DEADLINE + SLACK
    assert sum(answer.startswith(b"HTTP/1.1 408 Request Timeout") for _, answer in closes) >= connections // 2
    assert "sent no complete request within the deadline" in log


def test_a_slow_download_is_not_cut_at_the_deadline(server):
    """A client reading a large answer slowly, for over twice the request deadline, gets all of it."""
    path = "/export.json?year_from=2000"  # every paragraph
    whole = http_get(server.url + path)[1]
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # so the server cannot send ahead
    sock.connect(("127.0.0.1", port_of(server)))
    connection = http.client.HTTPConnection("127.0.0.1", port_of(server))
    connection.sock = sock
    start = time.monotonic()
    connection.request("GET", path)
    response = connection.getresponse()
    body = b""
    while chunk := response.read(2048):
        body += chunk
        time.sleep(0.15)
    took = time.monotonic() - start
    connection.close()
    assert response.status == 200
    assert body == whole and len(whole) > 100_000
    assert took > 2 * DEADLINE


def test_the_deadline_restarts_after_each_answer_on_a_kept_alive_connection(server):
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=DEADLINE + SLACK) as sock:
        for _ in range(3):  # together longer than one deadline
            time.sleep(DEADLINE / 2)
            sock.sendall(f"GET {SEARCH} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            assert read_answer(sock)[0] == 200


# --- oversized requests ------------------------------------------------------------------------------------


def read_answer(sock: socket.socket) -> tuple[int, str]:
    """Read one answer with a Content-Length: (status, body as text)."""
    raw = b""
    while b"\r\n\r\n" not in raw:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {raw[:200]!r}"
        raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk
        body += chunk
    return int(head.split()[1]), body.decode("utf-8")


def send_and_read(server, request: bytes) -> tuple[int, str]:
    """Send the whole request (the server may answer before it has read it all), then read the answer."""
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=30) as sock:
        sock.sendall(request)
        return read_answer(sock)


def long_url(size: int) -> bytes:
    return b"GET /search?q=" + b"%E6%B3%95" * (size // 9) + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def big_headers(size: int) -> bytes:
    return b"GET /search?q=x HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + b"a" * size + b"\r\n\r\n"


def big_body(size: int) -> bytes:
    return b"POST /search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % size + b"a" * size


@pytest.mark.parametrize(
    "request_bytes, status, says",
    [
        (long_url(MAX_REQUEST_LINE + 100), 414, f"网址超过 {MAX_REQUEST_LINE} 字节"),
        (long_url(300_000), 414, f"The URL is longer than {MAX_REQUEST_LINE} bytes"),
        (long_url(3_000_000), 414, "请缩短检索词或减少筛选条件"),
        (big_headers(MAX_REQUEST_HEAD + 100), 431, f"请求头超过 {MAX_REQUEST_HEAD} 字节"),
        (big_headers(300_000), 431, "clear this site's cookies"),
        (big_body(MAX_REQUEST_BODY + 100), 413, "本站不接收上传"),
    ],
    ids=["url-16k", "url-300k", "url-3m", "headers-64k", "headers-300k", "body-1m"],
)
def test_an_oversized_request_is_answered_not_reset(server, request_bytes, status, says):
    answer_status, body = send_and_read(server, request_bytes)
    assert answer_status == status
    assert says in body and len(body) < 400


def test_a_long_url_under_the_limit_reaches_the_site(server):
    """The site's own limit on the query (200 characters) answers it, with the site's message."""
    status, body = send_and_read(server, long_url(MAX_REQUEST_LINE - 200))
    assert status == 400 and "超过了 200 个字符的上限" in body


def send_body_at(server, size: int, bytes_per_s: float, seconds: float) -> bytes:
    """A GET whose headers come at once and whose body of `size` bytes comes at bytes_per_s for at most
    `seconds`; then whatever the server sent until it closed or answered."""
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=DEADLINE + SLACK) as sock:
        sock.sendall(f"GET {SEARCH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {size}\r\n\r\n".encode())
        start, sent = time.monotonic(), 0
        try:
            while sent < size and time.monotonic() - start < seconds:
                step = min(size - sent, max(1, int(bytes_per_s / 10)))
                sock.sendall(b"a" * step)
                sent += step
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return sock.recv(200)


def test_a_body_trickled_below_the_minimum_rate_is_cut_at_its_deadline(server):
    start = time.monotonic()
    answer = send_body_at(server, 100_000, bytes_per_s=10, seconds=DEADLINE + SLACK)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout")
    assert DEADLINE - 0.1 < time.monotonic() - start < DEADLINE + SLACK


def test_a_body_sent_above_the_minimum_rate_may_take_longer_than_the_deadline(server):
    """Each 500 bytes received give a second more (mod_reqtimeout's MinRate)."""
    start = time.monotonic()
    answer = send_body_at(server, 8_000, bytes_per_s=2_000, seconds=30)
    assert time.monotonic() - start > DEADLINE
    assert answer.startswith(b"HTTP/1.1 200")


class Busy:
    """A stand-in connection: answering a request or not."""

    def __init__(self, answering: bool):
        self.requests = ["request"] if answering else []


@pytest.mark.parametrize(
    "answering, waiting, accepts",
    [(0, 0, True), (1, 0, True), (2, 0, False), (3, 0, False), (1, 500, True), (2, 500, False)],
)
def test_a_process_takes_a_connection_only_while_a_thread_is_free(answering, waiting, accepts):
    """With 2 threads: connections waiting for a request (slow clients among them) do not count."""
    listener = socket.create_server(("127.0.0.1", 0))
    adj = Adjustments(sockets=[listener], threads=2)
    sockinfo = (listener.family, listener.type, listener.proto, listener.getsockname())
    server = GuardedServer(
        None, map={}, _sock=listener, dispatcher=object(), adj=adj, bind_socket=False, sockinfo=sockinfo
    )
    try:
        server.next_channel_cleanup = float("inf")  # no deadline checks on the stand-ins
        server.active_channels = {n: Busy(n < answering) for n in range(answering + waiting)}
        assert server.readable() is accepts
    finally:
        server.close()
