"""The concordance: /concordance (page), /api/concordance (JSON) and /concordance.csv (lines, collocates or clusters).

Each request computes its concordance afresh (about as fast as reading a cached one would be):
no server process keeps one, so a sort or a page costs the same on every worker.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from flask import Blueprint, Response, jsonify, render_template, request, stream_with_context
from werkzeug.datastructures import MultiDict

from indexer.engine.query import parse_query
from indexer.research.concordance import (
    CLUSTER_WORDS,
    COLLOCATE_LINES,
    COLLOCATE_SORTS,
    DEFAULT_SPAN,
    DEFAULT_WIDTH,
    MAX_SPAN,
    MAX_WIDTH,
    MIN_COLLOCATE_COUNT,
    MIN_G2,
    SORT_CHARS,
    SORT_LIMIT,
    SORTS,
    STATISTICS,
    TOP_CLUSTERS,
    TOP_COLLOCATES,
    Cluster,
    Collocate,
    Concordance,
    concordance,
    sort_collocates,
)

from .bodies import line_body
from .params import ParamError, SearchParams, as_param_error, int_param, parse_params, switch_param
from .protect import heavy
from .results import name_parts
from .spreadsheet import attachment, csv_stream, file_name
from .store import get_index

bp = Blueprint("concordance", __name__)

PER_PAGE, MAX_PER_PAGE = 50, 500
MAX_MIN_COUNT = 1000
#: The URL parameters the concordance reads itself; the rest are the search page's.
OWN = ("sort", "page", "per_page", "width", "span", "stat", "csort", "min_count", "stop", "table")
#: What /concordance.csv can hold: its name in the file name, and its columns (key → Chinese header).
TABLES: dict[str, tuple[str, str, dict[str, str]]] = {
    "lines": (
        "语境索引",
        "concordance",
        {
            "left": "左侧语境",
            "match": "检索词",
            "right": "右侧语境",
            "township": "乡镇",
            "year": "年份",
            "paragraph": "段落",
            "url": "链接",
            "citation": "引用",
        },
    ),
    "collocates": (
        "搭配词",
        "collocates",
        {
            "word": "词",
            "count": "共现次数",
            "left": "左侧",
            "right": "右侧",
            "corpus": "全库次数",
            "expected": "期望次数",
            "g2": "对数似然值G2",
            "mi": "互信息MI",
            "t": "t值",
            "url": "链接",
        },
    ),
    "clusters": (
        "词簇",
        "clusters",
        {"cluster": "词簇", "side": "位置", "words": "增加词数", "count": "次数", "url": "链接"},
    ),
}
SIDES = {"left": "检索词左侧", "right": "检索词右侧"}


@dataclass
class ConcordanceParams(SearchParams):
    """A concordance URL: the search's query and filters, with its own sort, paging, width, span and
    the collocates' statistic, order, minimum count and stop-list."""

    sort: str = "report"
    per_page: int = PER_PAGE
    width: int = DEFAULT_WIDTH
    span: int = DEFAULT_SPAN
    stat: str = "ll"
    csort: str = ""  # the collocates' order: empty for the statistic's
    min_count: int = MIN_COLLOCATE_COUNT
    stop: bool = True

    def pairs(self, **changes) -> list[tuple[str, str]]:
        own = {
            "sort": None if self.sort == "report" else self.sort,
            "page": None if self.page == 1 else self.page,
            "per_page": None if self.per_page == PER_PAGE else self.per_page,
            "width": None if self.width == DEFAULT_WIDTH else self.width,
            "span": None if self.span == DEFAULT_SPAN else self.span,
            "stat": None if self.stat == "ll" else self.stat,
            "csort": self.csort or None,
            "min_count": None if self.min_count == MIN_COLLOCATE_COUNT else self.min_count,
            "stop": None if self.stop else 0,
        }
        return super().pairs(**{**own, **changes})

    def url(self, endpoint: str = "/concordance", **changes) -> str:
        return super().url(endpoint, **changes)

    def search_url(self, **changes) -> str:
        """The search page for this query and filters (with changes)."""
        own = {key: None for key in OWN}
        return super().url("/search", **{**own, **changes})

    def cluster_url(self, cluster: str) -> str:
        """The concordance of a cluster under the same filters and settings (quoted if the syntax needs it)."""
        q = cluster if parse_query(cluster).terms == [cluster] and " " not in cluster else f'"{cluster}"'
        return self.url(q=q, sort=None, page=None)

    @property
    def collocate_order(self) -> str:
        return self.csort or self.stat

    def pages(self, lines: int) -> int:
        return max(1, -(-lines // self.per_page))


def parse_concordance_params(args: MultiDict) -> ConcordanceParams:
    """The search's query and filters, plus the concordance's own parameters; raises ParamError."""
    # Occurrences here are substrings: whole-word mode (`whole`) belongs to the search page.
    base = parse_params(MultiDict([(k, v) for k, v in args.items(multi=True) if k not in OWN and k != "whole"]))
    sort = args.get("sort", "").strip() or "report"
    if sort not in SORTS:
        raise ParamError(
            "unknown_sort", value=sort[:30], choices=", ".join(SORTS), choices_zh="、".join(SORTS.values())
        )
    stat = args.get("stat", "").strip() or "ll"
    if stat not in STATISTICS:
        raise ParamError(
            "unknown_statistic",
            value=stat[:30],
            choices=", ".join(STATISTICS),
            choices_zh="、".join(f"{k}（{v}）" for k, v in STATISTICS.items()),
        )
    csort = args.get("csort", "").strip()
    if csort and csort not in COLLOCATE_SORTS:
        raise ParamError(
            "unknown_sort", value=csort[:30], choices=", ".join(COLLOCATE_SORTS), choices_zh="、".join(COLLOCATE_SORTS)
        )
    own = {
        "sort": sort,
        "page": int_param(args, "page", 1, 100_000) or 1,
        "per_page": int_param(args, "per_page", 1, MAX_PER_PAGE) or PER_PAGE,
        "width": int_param(args, "width", 1, MAX_WIDTH) or DEFAULT_WIDTH,
        "span": int_param(args, "span", 1, MAX_SPAN) or DEFAULT_SPAN,
        "stat": stat,
        "csort": "" if csort == stat else csort,
        "min_count": int_param(args, "min_count", 1, MAX_MIN_COUNT) or MIN_COLLOCATE_COUNT,
        "stop": switch_param(args, "stop") if args.get("stop", "").strip() else True,
    }
    return ConcordanceParams(
        **{f.name: getattr(base, f.name) for f in fields(SearchParams) if f.name not in own}, **own
    )


def _compute(params: ConcordanceParams) -> Concordance:
    if not params.q:
        raise ParamError("concordance_needs_query")
    with as_param_error():
        return concordance(
            get_index(),
            params.query(),
            params.filters,
            params.width,
            params.span,
            min_count=params.min_count,
            stop=params.stop,
        )


def collocate_body(c: Collocate, params: ConcordanceParams) -> dict:
    return {
        "word": c.word,
        "count": c.count,
        "left": c.left,
        "right": c.right,
        "corpus": c.corpus,
        "expected": round(c.expected, 3),
        "g2": round(c.g2, 2),
        "mi": round(c.mi, 3),
        "t": round(c.t, 3),
        "search_url": params.search_url(q=f"{params.q} {c.word}"),
    }


def cluster_body(c: Cluster, params: ConcordanceParams) -> dict:
    return {"cluster": c.text, "side": c.side, "words": c.words, "count": c.count, "url": params.cluster_url(c.text)}


def collocates_json(data: Concordance, params: ConcordanceParams, top: int | None = TOP_COLLOCATES) -> dict:
    items = sort_collocates(data.collocates, params.collocate_order)
    return {
        "measure": "log-likelihood (Dunning G2) against the whole index; MI and t-score from the same table",
        "statistic": params.stat,
        "order": params.collocate_order,
        "span": params.span,
        "min_count": params.min_count,
        "min_g2": MIN_G2,
        "stop_list": params.stop,
        "window_words": data.window_words,
        "corpus_words": data.corpus_words,
        "sampled_lines": data.sampled,
        "found": len(items),
        "items": [collocate_body(c, params) for c in items[:top]],
    }


def clusters_json(data: Concordance, params: ConcordanceParams, top: int | None = TOP_CLUSTERS) -> dict:
    return {
        "max_words": CLUSTER_WORDS,
        "min_count": params.min_count,
        "stop_list": params.stop,
        "sampled_lines": data.sampled,
        "found": len(data.clusters),
        "items": [cluster_body(c, params) for c in data.clusters[:top]],
    }


def _page_lines(data: Concordance, params: ConcordanceParams):
    return data.lines(data.order(params.sort)[params.offset : params.offset + params.per_page])


@bp.route("/concordance")
@heavy
def page():
    params = parse_concordance_params(request.args)
    data = _compute(params) if params.q else None
    lines, pages, facets, collocates, clusters = [], 1, {}, [], []
    if data is not None:
        pages = params.pages(len(data))
        lines = _page_lines(data, params)
        index = get_index()
        facets = index.facets(index.match(data.query), params.filters)
        collocates = sort_collocates(data.collocates, params.collocate_order)[:TOP_COLLOCATES]
        clusters = data.clusters[:TOP_CLUSTERS]
    return render_template(
        "concordance.html",
        params=params,
        data=data,
        lines=lines,
        pages=pages,
        facets=facets,
        collocates=collocates,
        clusters=clusters,
        CONCORDANCE_SORTS=SORTS,
        STATISTICS=STATISTICS,
        SIDES=SIDES,
        MAX_WIDTH=MAX_WIDTH,
        MAX_SPAN=MAX_SPAN,
        MAX_MIN_COUNT=MAX_MIN_COUNT,
        SORT_LIMIT=SORT_LIMIT,
        SORT_CHARS=SORT_CHARS,
        COLLOCATE_LINES=COLLOCATE_LINES,
        CLUSTER_WORDS=CLUSTER_WORDS,
        min_g2=MIN_G2,
        TOP=TOP_COLLOCATES,
        TOP_CLUSTERS=TOP_CLUSTERS,
    )


@bp.route("/api/concordance")
@heavy
def api():
    params = parse_concordance_params(request.args)
    data = _compute(params)
    return jsonify(
        {
            "query": params.q,
            "notice": data.query.notice,
            "notice_code": data.query.notice_code,
            "total": data.total,
            "paragraphs": data.paragraphs,
            "sorted": len(data),
            "sorted_limit": SORT_LIMIT,
            "truncated": data.truncated,
            "sample_every": data.every,
            "sort": params.sort,
            "width": params.width,
            "page": params.page,
            "per_page": params.per_page,
            "pages": params.pages(len(data)),
            "lines": [
                line_body(line, params.q, data.index.report(line.report_id)) for line in _page_lines(data, params)
            ],
            "collocates": collocates_json(data, params),
            "clusters": clusters_json(data, params),
        }
    )


def _csv_rows(data: Concordance, params: ConcordanceParams, table: str):
    if table == "collocates":
        yield from collocates_json(data, params, top=None)["items"]
    elif table == "clusters":
        for item in clusters_json(data, params, top=None)["items"]:
            yield {**item, "side": SIDES[item["side"]]}
    else:
        order = data.order(params.sort)
        for start in range(0, len(order), 500):  # the published text of 500 lines at a time
            for line in data.lines(order[start : start + 500]):
                yield line_body(line, params.q, data.index.report(line.report_id))


@bp.route("/concordance.csv")
@heavy
def export():
    params = parse_concordance_params(request.args)
    table = request.args.get("table", "").strip() or "lines"
    if table not in TABLES:
        raise ParamError("unknown_table", value=table[:30], choices=", ".join(TABLES))
    data = _compute(params)
    label, fallback, columns = TABLES[table]
    body = csv_stream(_csv_rows(data, params, table), columns, request.host_url)
    response = Response(stream_with_context(body), content_type="text/csv; charset=utf-8")
    name = file_name(params.q, *name_parts(params), label)
    response.headers["Content-Disposition"] = attachment(name, "csv", fallback)
    return response
