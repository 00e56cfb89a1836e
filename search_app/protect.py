"""What every response carries, and how much work one request may cause.

Hardening headers go on every response. Heavy endpoints (the comparison page, the
exports) share a small number of slots, so a burst of them cannot starve the light
searches of threads and CPU: a request that finds no free slot within HEAVY_WAIT
seconds is told to come back later (503 with Retry-After).
"""

from __future__ import annotations

import threading
from functools import wraps
from typing import Callable, Iterable

from flask import Flask, current_app, make_response

#: Only the app's own files; no inline script or style, no framing by other sites.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class Busy(Exception):
    """Every slot for heavy requests is taken; the client should retry later."""


def init_app(app: Flask) -> None:
    app.extensions["heavy_slots"] = threading.BoundedSemaphore(app.config["HEAVY_LIMIT"])

    @app.after_request
    def _headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def heavy(view: Callable) -> Callable:
    """Run a view in one of the heavy slots; a streamed answer keeps its slot until it is sent."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        slots = current_app.extensions["heavy_slots"]
        if not slots.acquire(timeout=current_app.config["HEAVY_WAIT"]):
            raise Busy()
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            slots.release()
            raise
        if response.is_streamed:
            response.response = _Releasing(response.response, slots)
        else:
            slots.release()
        return response

    return wrapper


class _Releasing:
    """A streamed body that gives its slot back once sent, or when the server closes it unsent."""

    def __init__(self, body: Iterable, slots: threading.BoundedSemaphore):
        self.body, self.slots, self.released = body, slots, False

    def __iter__(self):
        try:
            yield from self.body
        finally:
            self.close()

    def close(self) -> None:
        if not self.released:
            self.released = True
            self.slots.release()
            getattr(self.body, "close", lambda: None)()
