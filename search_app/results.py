"""What the pages, the API and the exports compute from search parameters."""

from __future__ import annotations

import json
from collections import Counter
from typing import Iterator

import numpy as np
from flask import Response, render_template, request, stream_with_context
from markupsafe import Markup, escape

from indexer.engine.facets import PLACE_FACETS
from indexer.engine.places import place_key
from indexer.engine.search import ReportIndex, SearchResult, highlight_spans
from indexer.text.snippets import fragments, kwic, snippet

from .bodies import citation, hit_body
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
    each with its citation."""
    with as_param_error():
        query = params.query()
        ids = index.select(query, params.filters)
        ordered, scores = index.order(ids, params.sort, query)

    def rows():
        for start in range(0, len(ordered), EXPORT_BATCH):
            chunk = ordered[start : start + EXPORT_BATCH].tolist()
            for hit in index.hits(chunk, scores[start : start + EXPORT_BATCH].tolist()):
                yield hit_body(hit, params.q or None) | {
                    "citation": citation(index.report(hit.report_id), hit.paragraph)
                }

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


def comparison(index: ReportIndex, params: SearchParams, width: int, per_township: int, limit: int) -> dict:
    """Township × year counts over every hit, and keyword-in-context lines for the first few of each township.

    The counts cost array work only; the lines need the stored text, so only the first
    per_township paragraphs of each township (and limit lines in all) are read.
    """
    with as_param_error():
        query = params.query()
        ids = index.select(query, params.filters)
    places = {place.key: place for place in index.places.values["township"]}
    # townships by their code (two of one name are two rows), in code order; shown by their labels
    table = {(places[t].value, y): n for (t, y), n in index.crosstab(ids).items()}
    townships = [places[t] for t in sorted({t for t, _ in index.crosstab(ids)})]
    years = sorted({y for _, y in table if y is not None})
    ordered, _ = index.order(ids, "township", query)
    codes = index.columns["township"][ordered]
    position = np.arange(len(codes))
    group_start = np.maximum.accumulate(np.where(np.r_[True, codes[1:] != codes[:-1]], position, 0))
    chosen = ordered[position - group_start < per_township][:limit]
    groups: dict[str, dict] = {}
    for start in range(0, len(chosen), EXPORT_BATCH):
        for hit in index.hits(chosen[start : start + EXPORT_BATCH].tolist()):
            place = places[place_key(hit.report, "township")]
            group = groups.setdefault(place.value, {"lines": [], "more": False, "label": place.label})
            for line in kwic(hit.text, highlight_spans(hit.text, query, index.segmenter), width):
                if len(group["lines"]) < per_township:
                    group["lines"].append((hit, line))
                else:
                    group["more"] = True
    paragraphs = Counter()
    for (township, _), n in table.items():
        paragraphs[township] += n
    for township, group in groups.items():
        group["paragraphs"] = paragraphs[township]
        group["more"] = group["more"] or len({h.pid for h, _ in group["lines"]}) < paragraphs[township]
    return {
        "query": query,
        "table": table,
        "townships": townships,
        "years": years,
        "groups": groups,
        "shown": sum(len(g["lines"]) for g in groups.values()),
        "per_township": per_township,
        "occurrences": int(index.grams.occurrences(ids, list(query.terms)).sum()) if len(ids) else 0,
        "total": int(len(ids)),
        "notices": index.place_notices(params.filters),
    }
