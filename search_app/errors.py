"""Every error the site answers, through one handler: the status comes with the error (UserError.status,
HTTPException.code), and the answer is the one JSON shape under /api/ or the error page elsewhere."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from indexer.engine.errors import IndexNotFound
from indexer.messages import Unavailable, UserError

from .protect import Busy

#: The `code` of an HTTP error that carries none of its own.
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 500: "server_error", 503: "unavailable"}

#: What a page says for an HTTP error that carries no message of its own.
PAGE_ERRORS = {
    404: "没有这个页面，请检查网址。",
    405: "这个网址不接受这种请求方式。",
    413: "请求内容过大。",
    414: "网址过长，请缩短检索词或减少筛选条件。",
}


def error_response(message: str, status: int, code: str | None = None):
    """Every API error: {"error": message, "code": a stable name, "status": status}."""
    response = jsonify({"error": message, "code": code or HTTP_CODES.get(status, "error"), "status": status})
    response.status_code = status
    return response


def answer(status: int, code: str, english: str, chinese: str, template: str = "error.html"):
    """The API's JSON under /api/, else the page (in Chinese)."""
    if request.path.startswith("/api/"):
        return error_response(english, status, code)
    return render_template(template, status=status, message=chinese), status


def _user_error(exc: UserError):
    return answer(exc.status, exc.code, str(exc), exc.chinese)


def _no_index(exc: IndexNotFound):
    # The reason names server paths: it goes to the log, not to the visitor.
    current_app.logger.error("index unavailable: %s", exc)
    error = Unavailable("index_unavailable")
    return answer(error.status, error.code, str(error), error.chinese, template="no_index.html")


def _busy(exc: Busy):
    error = Unavailable("busy")
    response = current_app.make_response(answer(error.status, error.code, str(error), error.chinese))
    response.headers["Retry-After"] = "5"
    return response


def _http_error(exc: HTTPException):
    status = exc.code or 500
    message = exc.description
    if message == type(exc).description:  # werkzeug's English default
        message = PAGE_ERRORS.get(status, "请求无法完成。")
    return answer(status, HTTP_CODES.get(status, "error"), exc.description or exc.name, message)


def _unexpected(exc: Exception):
    current_app.logger.exception("unexpected error")
    error = UserError("server_error")
    return answer(500, error.code, str(error), error.chinese)


def register(app: Flask) -> None:
    """The site's error handlers, most specific first."""
    app.register_error_handler(UserError, _user_error)
    app.register_error_handler(IndexNotFound, _no_index)
    app.register_error_handler(Busy, _busy)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
