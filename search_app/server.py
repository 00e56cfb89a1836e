"""Serving the app with waitress: worker processes, threads, queue and connection limits set deliberately.

One Python process runs one request at a time (the GIL), so one process uses one core.
With WORKERS processes sharing the listening socket (bound once, then forked, as
gunicorn does) every core serves; each process opens the index for itself.

Waitress logs "Task queue depth is N" for every request that waits for a thread; under
load that is one line per request. QueueLogThrottle lets one line through every
QUEUE_LOG_SECONDS, saying the deepest queue seen and how many lines it stood for.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import threading
import time

#: Worker processes: one per core.
WORKERS = os.cpu_count() or 1
#: Worker threads per process. Requests are CPU-bound and share the GIL, so more threads add
#: latency, not throughput; a few let a slow client or a download not block the rest.
THREADS = 6
#: Connections accepted at once before the OS backlog holds the rest.
CONNECTION_LIMIT = 256
BACKLOG = 1024
#: A connection silent for this long is closed.
CHANNEL_TIMEOUT = 30
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


def serve(app, host: str, port: int, threads: int = THREADS, workers: int = 1) -> None:
    """Serve app until interrupted, in `workers` processes that share one listening socket."""
    from waitress import serve as waitress_serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    throttle_queue_log()
    settings = dict(
        threads=threads,
        connection_limit=CONNECTION_LIMIT,
        backlog=BACKLOG,
        channel_timeout=CHANNEL_TIMEOUT,
        ident="township-search",
    )
    if workers <= 1:
        waitress_serve(app, host=host, port=port, **settings)
        return
    listener = socket.create_server((host, port), backlog=BACKLOG, reuse_port=False)
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
                waitress_serve(app, sockets=[listener], **settings)
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
