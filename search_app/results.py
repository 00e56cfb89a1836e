"""What the pages, the API and the exports compute from search parameters."""

from __future__ import annotations

import json
from typing import Iterator

import numpy as np
from flask import Response, render_template, request, stream_with_context
from markupsafe import Markup, escape

from indexer.engine.facets import PLACE_FACETS
from indexer.engine.places import place_key
from indexer.engine.search import ReportIndex, SearchResult, highlight_spans
from indexer.text.snippets import fragments, kwic, snippet

from .bodies import hit_body
from .params import ParamError, SearchParams, as_param_error, parse_params
from .spreadsheet import attachment, csv_stream, file_name
from .store import get_index

#: The columns of /export.csv (a hit's JSON key → its header): what a reader opens in Excel, no internal ones.
EXPORT_COLUMNS = {
    "province": "省",
    "prefecture": "市",
    "county": "县",
    "township": "乡镇",
    "year": "年份",
    "section_name": "部分",
    "paragraph": "段落",
    "text": "原文",
    "url": "链接",
    "source_url": "原文链接",
    "citation": "引用",
}
#: An export of more rows than this asks first (a page saying how many, with a link that goes on).
EXPORT_CONFIRM = 50_000
EXPORT_BATCH = 500


def run_search(index: ReportIndex, params: SearchParams) -> SearchResult:
    """The page of hits, total and facets the parameters ask for."""
    with as_param_error():
        return index.search(
            params.query(), params.filters, sort=params.sort, offset=params.offset, limit=params.per_page
        )


def highlight(text: str, query) -> Markup:
    """Escape text, then wrap each match in <mark> (markup only after escaping)."""
    return marked(text, spans_of(text, query))


def spans_of(text: str, query) -> list[tuple[int, int]]:
    """What the live index marks in text for the query (nothing without one)."""
    if query is None:
        return []
    return highlight_spans(text, query, get_index().segmenter if query.whole_words else None)


#: Characters of context around each occurrence in a results snippet.
SNIPPET_WIDTH = 60


def snippet_html(text: str, query) -> tuple[Markup, Markup | None]:
    """The cropped, highlighted snippet of a paragraph, and the whole paragraph highlighted when
    the snippet leaves something out (None otherwise); the matches are found once for both."""
    spans = spans_of(text, query)
    cropped, inside = snippet(text, spans, SNIPPET_WIDTH)
    return marked(cropped, inside), (marked(text, spans) if cropped != text else None)


def marked(text: str, spans) -> Markup:
    return Markup("".join(f"<mark>{escape(p)}</mark>" if m else str(escape(p)) for p, m in fragments(text, spans)))


def export_rows(index: ReportIndex, params: SearchParams) -> tuple[np.ndarray, Iterator[dict]]:
    """The ids of every hit of the search, in order, and the hits as export rows (read in batches),
    each with its source URL and citation."""
    with as_param_error():
        query = params.query()
        ids = index.select(query, params.filters)
        ordered, scores = index.order(ids, params.sort, query)

    def rows():
        for start in range(0, len(ordered), EXPORT_BATCH):
            chunk = ordered[start : start + EXPORT_BATCH].tolist()
            for hit in index.hits(chunk, scores[start : start + EXPORT_BATCH].tolist()):
                yield hit_body(hit, params.q or None)

    return ordered, rows()


def export_megabytes(index: ReportIndex, ids: np.ndarray) -> int:
    """About how many megabytes an export of ids is: the text of an even sample of 200 of them,
    3 bytes a character in UTF-8, and about 250 bytes of place, citation and link a row."""
    sample = np.unique(ids[np.linspace(0, len(ids) - 1, min(200, len(ids))).astype(np.int64)])
    mean = float(np.mean([len(text) for text in index.texts.many(sample)])) if len(sample) else 0.0
    return max(1, round(len(ids) * (mean * 3 + 250) / 1e6))


def name_parts(params: SearchParams) -> list[str]:
    """What a download's name says of the filters: the one place chosen at the narrowest level that has
    one, and the year or years."""
    place = next((chosen[0] for f in reversed(PLACE_FACETS) if len(chosen := params.chosen(f.key)) == 1), "")
    if params.year_from and params.year_from == params.year_to:
        years = str(params.year_from)
    elif params.year_from or params.year_to:
        years = f"{params.year_from or ''}-{params.year_to or ''}"
    else:
        years = ""
    return [place, years]


def export_response(kind: str):
    """/export.csv or /export.json for the request's search: every hit, streamed under a name that says what
    it is; over EXPORT_CONFIRM hits, a page that says how many and links on (`confirm=1`) instead."""
    params = parse_params(request.args)
    if not params.q and not params.browsing:
        raise ParamError("export_needs_query")
    index = get_index()
    index.check_all()  # a damaged file is a 503 before the download starts, not a cut-off download
    ordered, rows = export_rows(index, params)
    if len(ordered) > EXPORT_CONFIRM and request.args.get("confirm") != "1":
        return render_template(
            "export_confirm.html",
            params=params,
            count=len(ordered),
            kind=kind,
            megabytes=export_megabytes(index, ordered),
            proceed=params.url(f"/export.{kind}", page=None, confirm=1),
        )
    if kind == "csv":
        body, content_type = csv_stream(rows, EXPORT_COLUMNS, request.host_url), "text/csv; charset=utf-8"
    else:
        body, content_type = json_stream(rows), "application/json; charset=utf-8"
    response = Response(stream_with_context(body), content_type=content_type)
    name = file_name(params.q, *name_parts(params), "检索结果" if params.q else "浏览结果")
    response.headers["Content-Disposition"] = attachment(name, kind, "search-results")
    return response


def json_stream(rows: Iterator[dict]) -> Iterator[str]:
    """A JSON array of hits, written as it is read."""
    yield "["
    for i, row in enumerate(rows):
        yield ("," if i else "") + "\n" + json.dumps(row, ensure_ascii=False)
    yield "\n]\n"


#: Townships a page of /compare shows.
COMPARE_PAGE = 50
#: How /compare may order its townships (?order=): key → what the page calls it.
COMPARE_ORDERS = {"count": "段落数", "share": "提及报告占比", "name": "名称", "code": "区划代码"}


def comparison(
    index: ReportIndex, params: SearchParams, width: int, per_township: int, limit: int, order: str = "count"
) -> dict:
    """Township × year counts over every hit, a page of COMPARE_PAGE townships in the order asked
    for, and keyword-in-context lines for the first few paragraphs of each township on the page.

    The counts cost array work only; the lines need the stored text, so only the first
    per_township paragraphs of the townships shown (and limit lines in all) are read.
    """
    with as_param_error():
        query = params.query()
        ids = index.select_counted(query, params.filters)
    places = index.places.values["township"]
    column = index.columns["township"]
    found = column[ids].astype(np.int64)
    paragraphs = np.bincount(found, minlength=len(places))
    years_of = index.columns["year"][ids]
    # reports that mention it, and the township's reports under the same filters
    owner = np.searchsorted(index.report_starts, ids, side="right") - 1
    mentioning = np.bincount(index.report_column("township")[np.unique(owner)], minlength=len(places))
    passing = index.select_counted(None, params.filters)
    passing_reports = np.unique(np.searchsorted(index.report_starts, passing, side="right") - 1)
    reports_of = np.bincount(index.report_column("township")[passing_reports], minlength=len(places))
    share = np.divide(mentioning, reports_of, out=np.zeros(len(places)), where=reports_of > 0)
    rows = np.flatnonzero(paragraphs)
    rows = _ordered_townships(rows, places, paragraphs, share, order)
    pages = max(1, -(-len(rows) // COMPARE_PAGE))
    page = min(params.page, pages)
    shown = rows[(page - 1) * COMPARE_PAGE : page * COMPARE_PAGE]
    years = sorted({int(y) for y in np.unique(years_of).tolist() if y})
    table: dict[tuple[str, int | None], int] = {}
    on_page = np.isin(found, shown)
    if on_page.any():
        pairs, counts = np.unique(np.stack([found[on_page], years_of[on_page]], axis=1), axis=0, return_counts=True)
        table = {(places[t].value, int(y) or None): int(n) for (t, y), n in zip(pairs.tolist(), counts.tolist())}
    counties = _township_counties(index)
    townships = [
        {
            "place": places[t],
            "value": places[t].value,
            "label": places[t].label,
            "county": counties.get(int(t), ""),
            "paragraphs": int(paragraphs[t]),
            "reports": int(mentioning[t]),
            "of_reports": int(reports_of[t]),
            "share": float(share[t]),
        }
        for t in shown.tolist()
    ]
    groups = _kwic_groups(index, query, ids[on_page], places, width, per_township, limit)
    for row in townships:
        group = groups.get(row["value"])
        if group is not None:
            group["paragraphs"] = row["paragraphs"]
            group["more"] = group["more"] or len({h.pid for h, _ in group["lines"]}) < row["paragraphs"]
    return {
        "query": query,
        "table": table,
        "townships": townships,
        "years": years,
        "groups": {row["value"]: groups[row["value"]] for row in townships if row["value"] in groups},
        "shown": sum(len(g["lines"]) for g in groups.values()),
        "per_township": per_township,
        "occurrences": int(index.grams.occurrences(ids, list(query.terms)).sum()) if len(ids) else 0,
        "total": int(len(ids)),
        "township_count": int(len(rows)),
        "page": page,
        "pages": pages,
        "order": order,
        "notices": index.place_notices(params.filters),
    }


def _ordered_townships(rows: np.ndarray, places, paragraphs: np.ndarray, share: np.ndarray, order: str) -> np.ndarray:
    """The townships (value indexes) in the order asked for; ties and unknown places in code order."""

    def code(t: int) -> tuple:
        place = places[t]
        return (place.code is None, place.code or "", place.name.encode("gb18030", "replace"))

    if order == "name":
        key = lambda t: (places[t].name.encode("gb18030", "replace"), code(t))  # noqa: E731  pinyin order for common characters
    elif order == "code":
        key = code
    elif order == "share":
        key = lambda t: (-share[t], -paragraphs[t], code(t))  # noqa: E731
    else:
        key = lambda t: (-paragraphs[t], code(t))  # noqa: E731
    return np.array(sorted(rows.tolist(), key=key), dtype=np.int64)


def _township_counties(index: ReportIndex) -> dict[int, str]:
    """Each township value's county label (from its reports), worked out once per index."""
    found = index.__dict__.get("_township_counties")
    if found is None:
        places = index.places
        found = {}
        for report in index.reports:
            at = places.find("township", place_key(report, "township") or "未定")
            if len(at) == 1 and report.get("county"):
                found.setdefault(at[0], report["county"])
        index.__dict__["_township_counties"] = found
    return found


def _kwic_groups(index: ReportIndex, query, ids: np.ndarray, places, width: int, per_township: int, limit: int) -> dict:
    """Keyword-in-context lines of the first per_township paragraphs (by township, then newest) of each township."""
    if len(ids) == 0:
        return {}
    ordered, _ = index.order(ids, "township", query)
    codes = index.columns["township"][ordered]
    position = np.arange(len(codes))
    group_start = np.maximum.accumulate(np.where(np.r_[True, codes[1:] != codes[:-1]], position, 0))
    chosen = ordered[position - group_start < per_township][:limit]
    groups: dict[str, dict] = {}
    for start in range(0, len(chosen), EXPORT_BATCH):
        for hit in index.hits(chosen[start : start + EXPORT_BATCH].tolist()):
            place = places[int(index.columns["township"][hit.pid])]
            group = groups.setdefault(place.value, {"lines": [], "more": False, "label": place.label})
            for line in kwic(hit.text, highlight_spans(hit.text, query, index.segmenter), width):
                if len(group["lines"]) < per_township:
                    group["lines"].append((hit, line))
                else:
                    group["more"] = True
    return groups
