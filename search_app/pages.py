"""The HTML pages: search, report, compare, exports, and their error pages."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from indexer.documents.metadata import SOURCE_NAMES
from indexer.documents.sections import SECTIONS
from indexer.engine.facets import PLACE_FACETS
from indexer.engine.query import parse_query
from indexer.engine.ranking import SORTS
from indexer.engine.search import Filters
from indexer.messages import NotFound, Unavailable

from .params import as_param_error, page_number, parse_params
from .protect import heavy
from .results import comparison, export_response, highlight, run_search, snippet_html
from .store import get_index, get_report
from .urls import REPORT_PAGE_SIZE, report_url

bp = Blueprint("pages", __name__)


@bp.app_template_filter("highlight")
def _highlight(text, query):
    return highlight(text, query)


@bp.app_template_global()
def hit_url(hit, params) -> str:
    """A hit's paragraph in its report, marked, with the way back to these results."""
    return report_url(hit.report_id, hit.paragraph, params.q or None, back=urlencode(params.pairs()))


@bp.app_context_processor
def _globals():
    return {
        "SECTIONS": SECTIONS,
        "SORTS": SORTS,
        "PLACE_FACETS": PLACE_FACETS,
        "SOURCE_NAMES": SOURCE_NAMES,
        "report_url": report_url,
        "snippet_html": snippet_html,
    }


@bp.route("/")
def home():
    return redirect(url_for("pages.search"))


@bp.route("/search")
def search():
    params = parse_params(request.args)
    index = get_index()
    result = run_search(index, params) if params.q or params.browsing else None
    years = sorted({r["year"] for r in index.reports if r["year"]})
    return render_template("search.html", params=params, result=result, index=index, years=years)


def _export(kind: str):
    return export_response(kind)


@bp.route("/export.csv")
@heavy
def export_csv():
    return _export("csv")


@bp.route("/export.json")
@heavy
def export_json():
    return _export("json")


@bp.route("/compare")
@heavy
def compare():
    params = parse_params(request.args)
    index = get_index()
    data = None
    if params.q:
        config = current_app.config
        data = comparison(index, params, config["KWIC_WIDTH"], config["KWIC_PER_TOWNSHIP"], config["KWIC_LIMIT"])
    return render_template("compare.html", params=params, data=data, index=index)


@bp.route("/reports")
def reports():
    return render_template("reports.html", reports=get_index().reports_by_path)


@bp.route("/reports/<report_id>")
def report(report_id: str):
    index, meta = get_report(report_id)
    q = request.args.get("q", "").strip()
    with as_param_error():
        query = parse_query(q) if q else None
    pages = max(1, -(-meta["paragraphs"] // REPORT_PAGE_SIZE))
    page = page_number(request.args, pages)
    start = (page - 1) * REPORT_PAGE_SIZE
    paragraphs = index.report_paragraphs(meta, start, start + REPORT_PAGE_SIZE)
    matches = []
    if query is not None:  # every matching paragraph of the report, found by the engine, not by reading it
        first = meta["first_pid"]
        ids = index.select(query, Filters())
        lo, hi = ids.searchsorted([first, first + meta["paragraphs"]])
        matches = (ids[lo:hi] - first + 1).tolist()
    back = request.args.get("back", "")[:2000]
    return render_template(
        "report.html",
        report=meta,
        paragraphs=paragraphs,
        query=query,
        q=q,
        back=back,
        matches=matches,
        page=page,
        pages=pages,
        page_size=REPORT_PAGE_SIZE,
        page_url=lambda n: url_for(
            "pages.report", report_id=report_id, q=q or None, page=n if n > 1 else None, back=back or None
        ),
    )


@bp.route("/reports/<report_id>/source")
def report_source(report_id: str):
    index = get_index()
    meta = index.report(report_id)
    path = index.source_path(meta) if meta else None
    if path is None:
        raise NotFound("no_source_file", report_id=report_id[:80])
    try:  # only the copy inside the index generation is ever served
        handle = path.open("rb")
    except OSError as exc:
        current_app.logger.error("cannot read source copy %s: %s", path, exc)
        raise Unavailable("source_unreadable") from None
    return send_file(handle, as_attachment=True, download_name=path.name)
