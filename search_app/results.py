"""What the pages, the API and the exports compute from search parameters."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from typing import Iterator

from markupsafe import Markup, escape

from indexer.search import ReportIndex, SearchResult, highlight_spans
from indexer.snippets import fragments, kwic

from .params import SearchParams, as_param_error

EXPORT_FIELDS = ["query", "report_id", "source", "paragraph", "province", "prefecture", "county", "township",
                 "code", "year", "section", "section_name", "heading", "text", "url", "score"]
EXPORT_BATCH = 500


def run_search(index: ReportIndex, params: SearchParams) -> SearchResult:
    """The page of hits, total and facets the parameters ask for."""
    with as_param_error():
        return index.search(params.query(), params.filters, sort=params.sort,
                            offset=params.offset, limit=params.per_page)


def highlight(text: str, query) -> Markup:
    """Escape text, then wrap each match in <mark> (markup only after escaping)."""
    spans = highlight_spans(text, query) if query is not None else []
    return Markup("".join(f"<mark>{escape(p)}</mark>" if m else str(escape(p))
                          for p, m in fragments(text, spans)))


def export_rows(index: ReportIndex, params: SearchParams) -> Iterator[dict]:
    """Every hit of the search, in order, as export rows (read in batches)."""
    with as_param_error():
        query = params.query()
        ids = index.select(query, params.filters)
        ordered, scores = index.order(ids, params.sort, query)
    for start in range(0, len(ordered), EXPORT_BATCH):
        chunk = ordered[start:start + EXPORT_BATCH].tolist()
        for hit in index.hits(chunk, scores[start:start + EXPORT_BATCH].tolist()):
            yield hit.to_json(params.q)


def csv_stream(rows: Iterator[dict]) -> Iterator[str]:
    """CSV text with a UTF-8 BOM so Excel shows the Chinese."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS, extrasaction="ignore")
    buffer.write("\ufeff")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
        if buffer.tell() > 65536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_stream(rows: Iterator[dict]) -> Iterator[str]:
    """A JSON array of hits, written as it is read."""
    yield "["
    for i, row in enumerate(rows):
        yield ("," if i else "") + "\n" + json.dumps(row, ensure_ascii=False)
    yield "\n]\n"


def comparison(index: ReportIndex, params: SearchParams, width: int, limit: int) -> dict:
    """Township × year counts and keyword-in-context lines grouped by township."""
    with as_param_error():
        query = params.query()
        ids = index.select(query, params.filters)
    table = index.crosstab(ids)
    townships = sorted({t for t, _ in table})
    years = sorted({y for _, y in table if y is not None})
    groups: dict[str, list] = defaultdict(list)
    shown = 0
    total_occurrences = 0
    ordered, _ = index.order(ids, "township", query)
    for start in range(0, len(ordered), EXPORT_BATCH):
        for hit in index.hits(ordered[start:start + EXPORT_BATCH].tolist()):
            spans = highlight_spans(hit.text, query)
            total_occurrences += len(spans)
            for line in kwic(hit.text, spans, width):
                if shown < limit:
                    groups[hit.township].append((hit, line))
                    shown += 1
    return {"query": query, "table": table, "townships": townships, "years": years,
            "groups": dict(groups), "shown": shown, "occurrences": total_occurrences,
            "total": int(len(ids))}
