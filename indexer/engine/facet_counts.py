"""Counting the facets over every match: per place level, year and section, each ignoring its own filter."""

from __future__ import annotations

import numpy as np

from indexer.documents.levels import LEVELS
from indexer.documents.sections import SECTIONS
from indexer.engine.facets import FACET_KEYS
from indexer.engine.filters import Filters, filter_mask, filtered, narrows

#: Facets are counted per report when the hits outnumber the reports this many times.
PER_REPORT_MIN = 2


def count_facets(index, ids: np.ndarray, filters: Filters) -> dict:
    """Counts per place level, year and section; each facet ignores its own filter.

    Places and year belong to a report. For many hits they are counted per report (the
    ids are sorted, so one searchsorted over the report boundaries gives each report's
    count, shared by every facet counted over the same ids); for few, per paragraph.
    Facets without a filter of their own count the same ids, so those are selected once.
    A duplicate copy's paragraphs count zero times unless filters.duplicates (ReportIndex.counted).
    """
    ids = index.counted(ids, filters)
    out = {}
    subsets: dict[str | None, np.ndarray] = {}  # by the filter left out (None: none is)
    per_report: dict[str | None, np.ndarray] = {}  # per-report counts of a subset
    for name in FACET_KEYS:
        skip = name if narrows(filters, name) else None
        if skip not in subsets:
            subsets[skip] = ids[filter_mask(index, ids, filters, skip=skip)] if filtered(filters, skip) else ids
        sub = subsets[skip]
        if name in ("section", "level") or len(sub) < PER_REPORT_MIN * len(index.reports):
            counts = np.bincount(index.columns[name][sub.astype(np.intp)])  # intp: NumPy's own index type
        else:
            if skip not in per_report:
                per_report[skip] = per_report_counts(index, sub)
            counts = np.bincount(index.report_column(name), weights=per_report[skip]).astype(np.int64)
        out[name] = facet_items(index, name, counts)
    return out


def facet_items(index, name: str, counts: np.ndarray) -> list[dict]:
    """A facet's values with their counts: years newest first, sections in order, places by count then name."""
    values = np.flatnonzero(counts)
    found = counts[values]
    if name == "year":
        return [{"value": v or None, "count": c} for v, c in zip(values[::-1].tolist(), found[::-1].tolist())]
    if name == "section":
        return [
            {"value": index.section_keys[v], "label": SECTIONS[index.section_keys[v]], "count": c}
            for v, c in zip(values.tolist(), found.tolist())
        ]
    if name == "level":
        return [{"value": LEVELS[v], "label": LEVELS[v], "count": c} for v, c in zip(values.tolist(), found.tolist())]
    order = np.lexsort((values, -found))  # most first, then in division-code order (the values' order)
    places = index.places.values[name]
    return [places[v].to_json() | {"count": c} for v, c in zip(values[order].tolist(), found[order].tolist())]


def per_report_counts(index, ids: np.ndarray) -> np.ndarray:
    """How many of the sorted ids fall in each report."""
    starts = index.report_starts if ids.dtype == np.int64 else index._report_starts32
    return np.diff(np.searchsorted(ids, starts))
