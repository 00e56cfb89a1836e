"""What the pages, the API and the exports compute from search parameters."""

from __future__ import annotations

import json
from collections import Counter
from typing import Iterator

import numpy as np
from markupsafe import Markup, escape

from indexer.engine.places import place_key
from indexer.engine.search import ReportIndex, SearchResult, highlight_spans
from indexer.text.snippets import fragments, kwic, snippet

from .bodies import HIT_FIELDS, hit_body
from .params import SearchParams, as_param_error
from .store import get_index

EXPORT_FIELDS = list(HIT_FIELDS)
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


def export_rows(index: ReportIndex, params: SearchParams) -> Iterator[dict]:
    """Every hit of the search, in order, as export rows (read in batches)."""
    with as_param_error():
        query = params.query()
        ids = index.select(query, params.filters)
        ordered, scores = index.order(ids, params.sort, query)
    for start in range(0, len(ordered), EXPORT_BATCH):
        chunk = ordered[start : start + EXPORT_BATCH].tolist()
        for hit in index.hits(chunk, scores[start : start + EXPORT_BATCH].tolist()):
            yield hit_body(hit, params.q or None)


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
