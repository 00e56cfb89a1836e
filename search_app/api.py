"""The JSON API: /api/search and /api/reports, with one error shape."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request, url_for

from indexer.engine.facets import REPORT_FIELDS
from indexer.research.citation import citation

from .bodies import hit_body
from .facet_values import facet_page
from .params import ParamError, offset_param, parse_params
from .protect import heavy
from .results import run_search
from .store import get_index, get_report
from .urls import REPORT_PAGE_SIZE

bp = Blueprint("api", __name__, url_prefix="/api")

#: What /api answers: the endpoints, and how to send Chinese in a URL.
HELP = {
    "endpoints": {
        "/api/search?q=…": "hits, total and facets; the filters and paging of the search page "
        "(province, prefecture, county, township, level, year or year_from/year_to, section, sort, page, per_page); "
        "a place is a division code (exact), 未定 (unsettled) or a name (a name several places share chooses them "
        "all; `notices` says so); facet values carry code, name and label; facet_size=N or max (every value, "
        "default 30); "
        "whole=1 matches terms as whole jieba words (法治 in 法治建设, not in 执法治理); each hit has `url` (its "
        "paragraph here), `source_url` (原文链接) and `citation` (GB/T 7714)",
        "/api/facets/<key>?q=…&find=…": "every value of a place facet (province, prefecture, county, township) for "
        "the search's query and filters, by paragraphs, 100 a page; find= narrows by a part of the name or the "
        "start of the division code; each value's url chooses it in the search",
        "/api/reports": "every report with its metadata",
        "/api/reports/<report_id>?offset=0": "one report (its source `url` and `citation` too) and up to 1,000 of its "
        "paragraphs; `next` links on",
        "/api/trends?q=A&q=B": "per term and year: reports, paragraphs, occurrences and rates",
        "/api/concordance?q=…&sort=left": "every occurrence with its left and right context, sorted; collocates (stat=ll|mi|t) and clusters",
        "/api/similar/<report_id>/<paragraph>": "paragraphs of other reports that share most of this one's text",
        "/api/keyterms?report=<report_id> or ?township=<name>": "the words that set it apart from all reports (n=20)",
    },
    "encoding": "Percent-encode Chinese as UTF-8 in URLs: /api/search?q=%E6%B3%95%E6%B2%BB is 法治. "
    "With curl: curl -G --data-urlencode 'q=法律明白人' http://HOST/api/search . "
    "The server refuses raw (unencoded) non-ASCII bytes in a URL with 400 Bad URI.",
    "errors": '{"error": message, "code": stable name, "status": HTTP status}',
}


@bp.route("/")
def help():
    return jsonify(HELP)


@bp.route("/search")
def search():
    params = parse_params(request.args)
    if not params.q and not params.browsing:
        raise ParamError("missing_query")
    size = facet_size(request.args)
    result = run_search(get_index(), params)
    return jsonify(
        {
            "query": params.q or None,
            "whole_words": params.whole,
            "total": result.total,
            "duplicate_hits": result.duplicate_hits,
            "page": params.page,
            "per_page": params.per_page,
            "notice": result.notice,
            "notice_code": result.notice_code,
            "advice": result.query.advice if result.query else None,
            "advice_code": result.query.advice_code if result.query else None,
            "notices": [{k: n[k] for k in ("code", "facet", "value", "message", "places")} for n in result.notices],
            "hits": [hit_body(hit, params.q or None) for hit in result.hits],
            "facets": {key: values[:size] for key, values in result.facets.items()},
            "facets_truncated": {key: len(values) > size for key, values in result.facets.items()},
        }
    )


#: Values per facet /api/search gives unless asked for more (facet_size=N, or max for every value).
FACET_SIZE = 30
#: The most facet_size=N may ask for (max has no limit).
MAX_FACET_SIZE = 100_000


def facet_size(args) -> int:
    """The facet_size a URL asks for (Datasette's convention: a number, or max for every value)."""
    raw = args.get("facet_size", "").strip()
    if not raw:
        return FACET_SIZE
    if raw == "max":
        return MAX_FACET_SIZE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_FACET_SIZE:
        raise ParamError("bad_facet_size", value=raw[:20], limit=MAX_FACET_SIZE)
    return int(raw)


@bp.route("/facets/<key>")
@heavy
def facet_values(key: str):
    """A page of a place facet's values, as /facets/<key> lists them (the sidebar's find box asks this)."""
    params = parse_params(request.args)
    found = facet_page(get_index(), params, key, request.args.get("find", ""))
    return jsonify(
        {
            "facet": key,
            "label": found.facet.label,
            "find": found.find or None,
            "total": found.total,
            "page": found.page,
            "pages": found.pages,
            "values": [
                {k: f.get(k) for k in ("value", "name", "label", "code", "count")}
                | {
                    "chosen": params.is_chosen(key, f),
                    "url": params.url("/search", page=None, **{key: params.toggled(key, f)}),
                }
                for f in found.items
            ],
        }
    )


@bp.route("/reports")
def reports():
    return jsonify({"reports": [{k: r.get(k) for k in REPORT_FIELDS} for r in get_index().reports_by_path]})


@bp.route("/reports/<report_id>")
def report(report_id: str):
    """A report's metadata and REPORT_PAGE_SIZE paragraphs from `offset` (default 0); `next` links on."""
    index, meta = get_report(report_id)
    count = meta["paragraphs"]
    offset = offset_param(request.args, count)
    paragraphs = index.report_paragraphs(meta, offset, offset + REPORT_PAGE_SIZE)
    end = offset + len(paragraphs)
    return jsonify(
        {
            **{k: meta.get(k) for k in REPORT_FIELDS},
            "citation": citation(meta),
            "copies": meta.get("copies", []),
            "offset": offset,
            "limit": REPORT_PAGE_SIZE,
            "next": url_for("api.report", report_id=report_id, offset=end) if end < count else None,
            "content": [hit_body(p) | {"kind": p.kind} for p in paragraphs],
        }
    )


@bp.route("/<path:anything>")
def unknown(anything):
    abort(404, f"No API endpoint /api/{anything}; /api lists them.")
