"""The HTML pages: search, report, compare, exports, and their error pages."""

from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, redirect, render_template, request,
                   send_file, stream_with_context, url_for)
from werkzeug.exceptions import HTTPException

from indexer.query import parse_query
from indexer.facets import PLACE_FACETS
from indexer.metadata import SOURCE_NAMES
from indexer.search import SORTS, IndexNotFound, highlight_spans
from indexer.sections import SECTIONS

from .params import ParamError, as_param_error, parse_params
from .results import comparison, csv_stream, export_rows, highlight, json_stream, run_search
from .store import get_index, get_report

bp = Blueprint("pages", __name__)


@bp.app_template_filter("highlight")
def _highlight(text, query):
    return highlight(text, query)


@bp.app_context_processor
def _globals():
    return {"SECTIONS": SECTIONS, "SORTS": SORTS, "PLACE_FACETS": PLACE_FACETS, "SOURCE_NAMES": SOURCE_NAMES}


@bp.route("/")
def home():
    return redirect(url_for("pages.search"))


@bp.route("/search")
def search():
    params = parse_params(request.args)
    index = get_index()
    result = run_search(index, params) if params.q else None
    years = sorted({r["year"] for r in index.reports if r["year"]})
    return render_template("search.html", params=params, result=result, index=index, years=years)


def _export(kind: str):
    params = parse_params(request.args)
    if not params.q:
        raise ParamError("Give a query (q) to export its results.")
    index = get_index()
    rows = export_rows(index, params)
    first = next(rows, None)  # surfaces parameter errors before the response starts

    def all_rows():
        if first is not None:
            yield first
            yield from rows

    if kind == "csv":
        body, mimetype = csv_stream(all_rows()), "text/csv; charset=utf-8"
    else:
        body, mimetype = json_stream(all_rows()), "application/json; charset=utf-8"
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename=search-results.{kind}"
    return response


@bp.route("/export.csv")
def export_csv():
    return _export("csv")


@bp.route("/export.json")
def export_json():
    return _export("json")


@bp.route("/compare")
def compare():
    params = parse_params(request.args)
    index = get_index()
    data = None
    if params.q:
        data = comparison(index, params, current_app.config["KWIC_WIDTH"], current_app.config["KWIC_LIMIT"])
    return render_template("compare.html", params=params, data=data, index=index)


@bp.route("/reports")
def reports():
    return render_template("reports.html", reports=get_index().reports)


@bp.route("/reports/<report_id>")
def report(report_id: str):
    index, meta = get_report(report_id, "See the list of reports.")
    q = request.args.get("q", "").strip()
    with as_param_error():
        query = parse_query(q) if q else None
    paragraphs = index.report_paragraphs(meta)
    matches = [p.paragraph for p in paragraphs if query is not None and highlight_spans(p.text, query)]
    return render_template("report.html", report=meta, paragraphs=paragraphs, query=query, q=q,
                           matches=matches)


@bp.route("/reports/<report_id>/source")
def report_source(report_id: str):
    index = get_index()
    meta = index.report(report_id)
    path = index.source_path(meta) if meta else None
    if path is None:
        abort(404, f"No original file for report {report_id!r}.")
    return send_file(path, as_attachment=True, download_name=path.name)


@bp.app_errorhandler(ParamError)
def _param_error(exc):
    if request.path.startswith("/api/"):
        from .api import error_response
        return error_response(str(exc), 400)
    return render_template("error.html", status=400, message=str(exc)), 400


@bp.app_errorhandler(IndexNotFound)
def _no_index(exc):
    if request.path.startswith("/api/"):
        from .api import error_response
        return error_response(f"{exc} Build it with: make index (or python -m indexer build).", 503)
    return render_template("no_index.html", message=str(exc),
                           index_dir=current_app.config["INDEX_DIR"]), 503


@bp.app_errorhandler(HTTPException)
def _http_error(exc):
    if request.path.startswith("/api/"):
        from .api import error_response
        return error_response(exc.description or exc.name, exc.code or 500)
    return render_template("error.html", status=exc.code, message=exc.description), exc.code


@bp.app_errorhandler(Exception)
def _unexpected(exc):
    current_app.logger.exception("unexpected error")
    if request.path.startswith("/api/"):
        from .api import error_response
        return error_response("Something went wrong on the server; the error has been logged.", 500)
    return render_template("error.html", status=500,
                           message="Something went wrong on the server; the error has been logged."), 500
