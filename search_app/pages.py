"""The HTML pages: search, report, compare, exports, and their error pages."""

from __future__ import annotations

import io
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

from indexer.documents.metadata import SOURCE_NAMES, manifest_entry
from indexer.documents.sections import SECTIONS
from indexer.documents.versions import content_hash
from indexer.engine.facets import PLACE_FACETS
from indexer.engine.query import parse_query
from indexer.engine.ranking import SORTS
from indexer.engine.search import Filters
from indexer.messages import NotFound, Unavailable
from indexer.research.citation import citation
from indexer.research.reuse import corpus_reuse, pairs_of

from . import facet_values as facet_values_module
from .facet_values import facet_page
from .params import ParamError, as_param_error, page_number, parse_params, township_reports_by_default
from .protect import heavy
from .report_list import COLUMNS, parse_report_list_params, report_table
from .results import COMPARE_ORDERS, comparison, export_response, highlight, run_search, snippet_html
from .store import get_index, get_report
from .urls import REPORT_PAGE_SIZE, TOOLS, report_page, report_url, tool_url

bp = Blueprint("pages", __name__)


@bp.app_template_filter("highlight")
def _highlight(text, query):
    return highlight(text, query)


@bp.app_template_global()
def hit_url(hit, params, position: int | None = None) -> str:
    """A hit's paragraph in its report, marked, with the way back to these results: their query
    string, and the anchor of the hit (its position in the results) to land on it again."""
    back = urlencode(params.pairs()) + (f"#hit{position}" if position else "")
    return report_url(hit.report_id, hit.paragraph, params.q or None, back=back)


@bp.app_template_global()
def report_of(report_id: str | None) -> dict | None:
    """A live report's record by its id (the original a duplicate copy names), or None."""
    return get_index().report(report_id) if report_id else None


@bp.app_template_global()
def duplicate_reports() -> int:
    """How many live reports are duplicate copies of another (engine/duplicates.py)."""
    return get_index().duplicate_count


@bp.app_template_global("tool_url")
def _tool_url(path: str) -> str:
    """The link to a tool with this page's query and filters."""
    return tool_url(path, request.args)


#: The 范围 choices of the search form (params.near): terms in one paragraph, one sentence, or near.
NEAR_CHOICES = [
    ("", "同段"),
    ("s", "同句"),
    ("5", "相距 5 字内"),
    ("10", "相距 10 字内"),
    ("20", "相距 20 字内"),
    ("50", "相距 50 字内"),
]


@bp.app_context_processor
def _globals():
    return {
        "TOOLS": TOOLS,
        "SECTIONS": SECTIONS,
        "SORTS": SORTS,
        "PLACE_FACETS": PLACE_FACETS,
        "SIDEBAR_VALUES": facet_values_module.SIDEBAR_VALUES,
        "NEAR_CHOICES": NEAR_CHOICES,
        "SOURCE_NAMES": SOURCE_NAMES,
        "report_url": report_url,
        "snippet_html": snippet_html,
        "manifest_entry": manifest_entry,
        "citation": citation,
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
    params = township_reports_by_default(parse_params(request.args))
    index = get_index()
    data = facets = None
    order = request.args.get("order", "count") or "count"
    if order not in COMPARE_ORDERS:
        raise ParamError(
            "unknown_sort",
            value=order[:30],
            choices=", ".join(COMPARE_ORDERS),
            choices_zh="、".join(COMPARE_ORDERS.values()),
        )
    if params.q:
        config = current_app.config
        width, per_township, limit = config["KWIC_WIDTH"], config["KWIC_PER_TOWNSHIP"], config["KWIC_LIMIT"]
        data = comparison(index, params, width, per_township, limit, order)
        facets = index.facets(index.match(data["query"]), params.filters)  # the search's sidebar
    years = sorted({r["year"] for r in index.reports if r["year"]})
    return render_template(
        "compare.html", params=params, data=data, index=index, facets=facets, years=years, orders=COMPARE_ORDERS
    )


#: Reports a report page links to as sharing most paragraphs with it.
REUSE_PARTNERS = 3


@bp.route("/facets/<key>")
@heavy
def facet_values(key: str):
    """Every value of a place facet for the search's query and filters, paged, narrowed by `find`
    (a part of the name, or the start of the division code); each links back to the search with it."""
    params = parse_params(request.args)
    found = facet_page(get_index(), params, key, request.args.get("find", ""))
    return render_template("facet_values.html", params=params, **vars(found))


@bp.route("/reports")
def reports():
    """The report table (report_list.py), and the reports whose metadata is missing or doubtful with
    the manifest entry that settles each (?county=未定 lists the unsettled)."""
    params = parse_report_list_params(request.args)
    index = get_index()
    table = report_table(index, params)
    years = sorted({r["year"] for r in index.reports if r["year"]})
    unsettled = [(r, manifest_entry(r)) for r in table.rows if manifest_entry(r)]
    return render_template(
        "reports.html",
        params=params,
        table=table,
        columns=COLUMNS,
        years=years,
        pages=params.pages(table.total),
        unsettled=unsettled,
        notices=index.place_notices(params.filters),
    )


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

    def hit_href(n: int) -> str:
        """A link to the matching paragraph n: its anchor on this page, else its page."""
        return f"#p{n}" if report_page(n) == page else report_url(report_id, n, q, back)

    before = [n for n in matches if report_page(n) < page]
    after = [n for n in matches if report_page(n) > page]
    reuse = corpus_reuse(index)  # the reports it shares most paragraphs with, either way
    partners = [
        (pair, pair.later if pair.earlier["report_id"] == report_id else pair.earlier)
        for pair in pairs_of(reuse, report_id, REUSE_PARTNERS)
    ]
    return render_template(
        "report.html",
        report=meta,
        partners=partners,
        reuse_share=reuse.shares.get(report_id, 0.0),
        paragraphs=paragraphs,
        query=query,
        q=q,
        back=back,
        matches=matches,
        hits={n: i + 1 for i, n in enumerate(matches)},  # paragraph → its place among the matches
        hit_href=hit_href,
        hit_first=hit_href(matches[0]) if matches else None,
        hits_before=len(before),
        hit_prev_page=hit_href(before[-1]) if before else "",
        hit_next_page=hit_href(after[0]) if after else "",
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
    try:  # only the copy inside the index generation is ever served, and only as it was indexed
        data = path.read_bytes()
    except OSError as exc:
        current_app.logger.error("cannot read source copy %s: %s", path, exc)
        raise Unavailable("source_unreadable") from None
    if content_hash(data) != index.source_hash(meta):
        current_app.logger.error("source copy %s is damaged (not the bytes indexed)", path)
        raise Unavailable("source_damaged")
    return send_file(io.BytesIO(data), as_attachment=True, download_name=path.name)
