"""Serving the app with waitress: worker processes, threads, queue and connection limits set deliberately.

One Python process runs one request at a time (the GIL), so one process uses one core.
With WORKERS processes sharing the listening socket (bound once, then forked, as
gunicorn does) every core serves; each process opens the index for itself.

Waitress logs "Task queue depth is N" for every request that waits for a thread; under
load that is one line per request. QueueLogThrottle lets one line through every
QUEUE_LOG_SECONDS, saying the deepest queue seen and how many lines it stood for.

Connections are GuardedChannels (channel.py): a client that sends its request too slowly is
closed at a deadline, and an oversized request gets its 414/431/413.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import resource
import signal
import socket
import threading
import time

from .channel import CHECK_INTERVAL, MAX_REQUEST_BODY, MAX_REQUEST_HEAD, Deadlines, GuardedServer

#: Worker processes: one per core.
WORKERS = os.cpu_count() or 1
#: Worker threads per process. Requests are CPU-bound and share the GIL, so more threads add
#: latency, not throughput; a few let a slow client or a download not block the rest.
THREADS = 6
#: Connections accepted at once per process before the OS backlog holds the rest (fewer when
#: the open-file limit is lower). Waiting for the next byte of a request costs a slot only a few KB.
CONNECTION_LIMIT = 1000
BACKLOG = 1024
#: A connection silent for this long is closed (one sending a request has Deadlines.head, less).
CHANNEL_TIMEOUT = 30
#: File descriptors kept for the index, logs and the like when sizing CONNECTION_LIMIT.
RESERVED_FILES = 64
QUEUE_LOG_SECONDS = 10.0


class QueueLogThrottle(logging.Filter):
    """Pass at most one waitress queue-depth line per interval, summarising those held back."""

    def __init__(self, interval: float = QUEUE_LOG_SECONDS, clock=time.monotonic):
        super().__init__()
        self.interval, self.clock = interval, clock
        self.last = float("-inf")
        self.held = 0
        self.deepest = 0
        self.lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        depth = record.args[0] if isinstance(record.args, tuple) and record.args else 0
        with self.lock:
            self.deepest = max(self.deepest, int(depth))
            now = self.clock()
            if now - self.last < self.interval:
                self.held += 1
                return False
            record.msg = "Task queue depth is %d (deepest %d; %d such lines held back in the last %.0f s)"
            record.args = (depth, self.deepest, self.held, self.interval)
            self.last, self.held, self.deepest = now, 0, 0
            return True


def throttle_queue_log() -> QueueLogThrottle:
    """Thin the queue-depth lines of the logger waitress writes them to (once per process)."""
    from waitress.task import ThreadedTaskDispatcher

    logger = ThreadedTaskDispatcher.queue_logger
    for existing in logger.filters:
        if isinstance(existing, QueueLogThrottle):
            return existing
    throttle = QueueLogThrottle()
    logger.addFilter(throttle)
    return throttle


def freeze_when_warm(app, frozen=None):
    """Once this process has opened and warmed an index other than `frozen`, work out its corpus-wide
    figures (store.prepare), collect once and move
    every object alive then (the index's, the app's, jieba's dictionary) out of the collector's
    sight; returns the index frozen last.

    Otherwise every full collection walks them all while holding the interpreter: 40 ms on an
    idle machine, half a second on a busy one, added to every request under way in the process."""
    from .store import opened_index, prepare

    index = opened_index(app)
    if index is None or index is frozen or not index.warmed.is_set():
        return frozen
    prepare(index)  # the corpus-wide figures first, so that they are frozen with the rest
    gc.unfreeze()  # so that a previous generation's cycles can be collected
    gc.collect()
    gc.freeze()
    return index


def keep_frozen(app, poll_s: float = 1.0) -> None:
    """freeze_when_warm every poll_s seconds, for ever (a daemon thread of each server process)."""
    frozen = None
    while True:
        time.sleep(poll_s)
        frozen = freeze_when_warm(app, frozen)


def fit_connection_limit(wanted: int = CONNECTION_LIMIT) -> int:
    """Raise the open-file limit as far as allowed and return how many connections fit under it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(16, min(wanted, soft - RESERVED_FILES))


def run_server(app, listener: socket.socket, threads: int, deadlines: Deadlines, connections: int) -> None:
    """Serve app on an already bound socket until the process is stopped."""
    from waitress.adjustments import Adjustments
    from waitress.task import ThreadedTaskDispatcher

    adj = Adjustments(
        sockets=[listener],
        threads=threads,
        connection_limit=fit_connection_limit(connections),
        backlog=BACKLOG,
        channel_timeout=CHANNEL_TIMEOUT,
        cleanup_interval=CHECK_INTERVAL,
        max_request_header_size=MAX_REQUEST_HEAD,
        max_request_body_size=MAX_REQUEST_BODY,
        asyncore_use_poll=True,  # select() fails on descriptors over 1023
        ident="township-search",
    )
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    server = GuardedServer(
        app,
        map={},
        _sock=listener,
        dispatcher=dispatcher,
        adj=adj,
        bind_socket=False,
        sockinfo=(listener.family, listener.type, listener.proto, listener.getsockname()),
        deadlines=deadlines,
    )
    server.print_listen("Serving on http://{}:{}")
    threading.Thread(target=keep_frozen, args=(app,), name="keep-frozen", daemon=True).start()
    server.run()


def serve(
    app,
    host: str,
    port: int,
    threads: int = THREADS,
    workers: int = 1,
    deadlines: Deadlines = Deadlines(),
    connection_limit: int = CONNECTION_LIMIT,
) -> None:
    """Serve app until interrupted, in `workers` processes that share one listening socket."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    throttle_queue_log()
    listener = socket.create_server((host, port), backlog=BACKLOG, reuse_port=False)
    if workers <= 1:
        run_server(app, listener, threads, deadlines, connection_limit)
        return
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # a worker: serve until the parent goes
            try:
                ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
            except (OSError, AttributeError):
                pass
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
            try:
                run_server(app, listener, threads, deadlines, connection_limit)
            finally:
                os._exit(0)
        children.append(pid)
    listener.close()

    def stop(signum, frame):
        for child in children:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for child in children:
        while True:
            try:
                os.waitpid(child, 0)
                break
            except InterruptedError:
                continue
            except ChildProcessError:
                break
