"""The concordance: /concordance (page), /api/concordance (JSON) and /concordance.csv (every sorted line)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, fields

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from werkzeug.datastructures import MultiDict

from indexer.engine.search import ReportIndex
from indexer.research.concordance import (
    DEFAULT_SPAN,
    DEFAULT_WIDTH,
    MAX_SPAN,
    MAX_WIDTH,
    MIN_COLLOCATE_COUNT,
    MIN_G2,
    SORT_LIMIT,
    SORTS,
    TOP_COLLOCATES,
    Concordance,
    concordance,
)

from .bodies import line_body
from .params import ParamError, SearchParams, as_param_error, int_param, parse_params
from .protect import heavy
from .spreadsheet import csv_stream
from .store import get_index

bp = Blueprint("concordance", __name__)

PER_PAGE, MAX_PER_PAGE = 50, 500
#: Most lines kept in memory by the cache of recent concordances (about 15 MB per 20,000 lines).
CACHE_LINES = 60_000
CSV_FIELDS = ["left", "match", "right", "township", "year", "report_id", "paragraph", "url"]
#: The URL parameters the concordance reads itself; the rest are the search page's.
OWN = ("sort", "page", "per_page", "width", "span")


@dataclass
class ConcordanceParams(SearchParams):
    """A concordance URL: the search's query and filters, with its own sort, paging, width and span."""

    sort: str = "report"
    per_page: int = PER_PAGE
    width: int = DEFAULT_WIDTH
    span: int = DEFAULT_SPAN

    def pairs(self, **changes) -> list[tuple[str, str]]:
        own = {
            "sort": None if self.sort == "report" else self.sort,
            "page": None if self.page == 1 else self.page,
            "per_page": None if self.per_page == PER_PAGE else self.per_page,
            "width": None if self.width == DEFAULT_WIDTH else self.width,
            "span": None if self.span == DEFAULT_SPAN else self.span,
        }
        return super().pairs(**{**own, **changes})

    def url(self, endpoint: str = "/concordance", **changes) -> str:
        return super().url(endpoint, **changes)

    def search_url(self, **changes) -> str:
        """The search page for this query and filters (with changes)."""
        return self.url("/search", sort=None, page=None, per_page=None, width=None, span=None, **changes)

    def pages(self, lines: int) -> int:
        return max(1, -(-lines // self.per_page))


def parse_concordance_params(args: MultiDict) -> ConcordanceParams:
    """The search's query and filters, plus sort, page, per_page, width and span; raises ParamError."""
    # Occurrences here are substrings: whole-word mode (`whole`) belongs to the search page.
    base = parse_params(MultiDict([(k, v) for k, v in args.items(multi=True) if k not in OWN and k != "whole"]))
    sort = args.get("sort", "").strip() or "report"
    if sort not in SORTS:
        raise ParamError(
            "unknown_sort", value=sort[:30], choices=", ".join(SORTS), choices_zh="、".join(SORTS.values())
        )
    own = {
        "sort": sort,
        "page": int_param(args, "page", 1, 100_000) or 1,
        "per_page": int_param(args, "per_page", 1, MAX_PER_PAGE) or PER_PAGE,
        "width": int_param(args, "width", 1, MAX_WIDTH) or DEFAULT_WIDTH,
        "span": int_param(args, "span", 1, MAX_SPAN) or DEFAULT_SPAN,
    }
    return ConcordanceParams(
        **{f.name: getattr(base, f.name) for f in fields(SearchParams) if f.name not in own}, **own
    )


class _Recent:
    """The last few concordances computed, up to CACHE_LINES lines in all: paging and sorting reuse them.

    Requests for one concordance that is being computed wait for it instead of computing it again.
    """

    def __init__(self):
        self.items: OrderedDict[tuple, Concordance] = OrderedDict()
        self.pending: dict[tuple, threading.Lock] = {}
        self.lock = threading.Lock()

    def _cached(self, key: tuple) -> Concordance | None:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def get(self, index: ReportIndex, params: ConcordanceParams) -> Concordance:
        key = (str(index.generation), params.q, params.filters, params.width, params.span)
        with self.lock:
            computing = self.pending.setdefault(key, threading.Lock())
        with computing:
            result = self._cached(key)
            if result is not None:
                return result
            try:
                with as_param_error():
                    result = concordance(index, params.query(), params.filters, params.width, params.span)
                with self.lock:
                    self.items[key] = result
                    while sum(len(c.lines) for c in self.items.values()) > CACHE_LINES and len(self.items) > 1:
                        self.items.popitem(last=False)
            finally:
                with self.lock:
                    self.pending.pop(key, None)
        return result


@bp.record_once
def _init(state) -> None:
    state.app.extensions["concordances"] = _Recent()


def _compute(params: ConcordanceParams) -> Concordance:
    if not params.q:
        raise ParamError("concordance_needs_query")
    return current_app.extensions["concordances"].get(get_index(), params)


def collocates_json(data: Concordance, params: ConcordanceParams) -> dict:
    return {
        "measure": "log-likelihood (Dunning G2) against the whole index",
        "span": params.span,
        "min_count": MIN_COLLOCATE_COUNT,
        "min_g2": MIN_G2,
        "window_words": data.window_words,
        "corpus_words": data.corpus_words,
        "items": [
            {
                "word": c.word,
                "count": c.count,
                "left": c.left,
                "right": c.right,
                "corpus": c.corpus,
                "expected": round(c.expected, 3),
                "g2": round(c.g2, 2),
                "search_url": params.search_url(q=f"{params.q} {c.word}"),
            }
            for c in data.collocates
        ],
    }


@bp.route("/concordance")
@heavy
def page():
    params = parse_concordance_params(request.args)
    data = _compute(params) if params.q else None
    lines, pages, facets = [], 1, {}
    if data is not None:
        pages = params.pages(len(data.lines))
        lines = data.sorted_lines(params.sort)[params.offset : params.offset + params.per_page]
        index = get_index()
        facets = index.facets(index.match(data.query), params.filters)
    return render_template(
        "concordance.html",
        params=params,
        data=data,
        lines=lines,
        pages=pages,
        facets=facets,
        CONCORDANCE_SORTS=SORTS,
        MAX_WIDTH=MAX_WIDTH,
        MAX_SPAN=MAX_SPAN,
        SORT_LIMIT=SORT_LIMIT,
        min_count=MIN_COLLOCATE_COUNT,
        min_g2=MIN_G2,
        TOP=TOP_COLLOCATES,
    )


@bp.route("/api/concordance")
@heavy
def api():
    params = parse_concordance_params(request.args)
    data = _compute(params)
    lines = data.sorted_lines(params.sort)[params.offset : params.offset + params.per_page]
    return jsonify(
        {
            "query": params.q,
            "notice": data.query.notice,
            "notice_code": data.query.notice_code,
            "total": data.total,
            "paragraphs": data.paragraphs,
            "sorted": len(data.lines),
            "sorted_limit": SORT_LIMIT,
            "truncated": data.truncated,
            "sample_every": data.every,
            "sort": params.sort,
            "width": params.width,
            "page": params.page,
            "per_page": params.per_page,
            "pages": params.pages(len(data.lines)),
            "lines": [line_body(line, params.q) for line in lines],
            "collocates": collocates_json(data, params),
        }
    )


@bp.route("/concordance.csv")
@heavy
def export():
    params = parse_concordance_params(request.args)
    data = _compute(params)
    lines = (line_body(line, params.q) for line in data.sorted_lines(params.sort))
    response = Response(csv_stream(lines, CSV_FIELDS, request.host_url), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = "attachment; filename=concordance.csv"
    return response
