"""Trends: how often terms are mentioned year by year, as counts and as rates, optionally per place.

For each term (a query in the full syntax) and each year of the reports that pass the
filters, it counts the reports that mention the term, the paragraphs that do (the CLI's
hit count for that term and year), and the occurrences of its terms (non-overlapping,
as `str.count` counts them in the normalised text). Two rates make years comparable:
the share of that year's reports that mention it, and occurrences per 10,000
characters of normalised text. Paragraphs without a year are counted apart (`undated`).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from indexer.engine.facets import PLACE_FACETS
from indexer.engine.query import Query, QueryError, parse_query
from indexer.engine.search import Filters, ReportIndex

#: The most terms one trends request compares.
MAX_TREND_TERMS = 8
#: The most places a breakdown lists per term (those with the most matching paragraphs).
MAX_PLACES = 50
#: Each measure: its name on the site and the unit of its axis.
MEASURES: dict[str, tuple[str, str]] = {
    "report_share": ("报告占比", "提及的报告占当年报告的比例（%）"),
    "reports": ("报告数", "提及的报告数（份）"),
    "paragraphs": ("段落数", "提及的段落数（段）"),
    "occurrences": ("出现次数", "出现次数（次）"),
    "per10k": ("每万字次数", "每万字出现次数（次/万字）"),
}
#: The measures that count (whole numbers); the others are rates.
COUNTS = ("reports", "paragraphs", "occurrences")
#: Place levels a breakdown may use, with their names on the site.
BREAKDOWNS: dict[str, str] = {f.key: f.label for f in PLACE_FACETS}


class TrendError(QueryError):
    """A trends request that cannot be run: too many terms, or an unknown measure or breakdown."""


def check_terms(raw: list[str]) -> list[str]:
    """The terms to chart: stripped, blanks and repeats dropped; raises for more than MAX_TREND_TERMS
    or a term the query parser refuses (over 200 characters)."""
    terms = list(dict.fromkeys(t.strip() for t in raw if t.strip()))
    if len(terms) > MAX_TREND_TERMS:
        raise TrendError("too_many_trend_terms", count=len(terms), limit=MAX_TREND_TERMS)
    for term in terms:
        parse_query(term)
    return terms


def check_measure(measure: str) -> None:
    if measure not in MEASURES:
        raise TrendError(
            "unknown_trend_measure",
            value=measure[:30],
            choices=", ".join(MEASURES),
            choices_zh="、".join(f"{k}（{name}）" for k, (name, _) in MEASURES.items()),
        )


def check_breakdown(by: str) -> None:
    if by not in BREAKDOWNS:
        raise TrendError(
            "unknown_breakdown",
            value=by[:30],
            choices=", ".join(BREAKDOWNS),
            choices_zh="、".join(f"{k}（{label}）" for k, label in BREAKDOWNS.items()),
        )


@dataclass(frozen=True)
class Cell:
    """A term's counts in one year (or place and year), with what its rates divide by."""

    reports: int
    paragraphs: int
    occurrences: int
    of_reports: int  # reports of that year passing the filters
    of_chars: int  # characters of normalised text of their paragraphs

    @property
    def report_share(self) -> float | None:
        """Reports mentioning the term ÷ reports of the year."""
        return self.reports / self.of_reports if self.of_reports else None

    @property
    def per10k(self) -> float | None:
        """Occurrences per 10,000 characters."""
        return self.occurrences * 10_000 / self.of_chars if self.of_chars else None

    def measure(self, name: str):
        check_measure(name)
        return getattr(self, name)

    def to_json(self) -> dict:
        return {name: getattr(self, name) for name in MEASURES}


@dataclass
class Line:
    """One term's (or one place's) cells, one per year, and those without a year and over all years."""

    label: str
    cells: list[Cell]
    undated: Cell
    total: Cell
    #: A place's line: the place as filters take it (its code, 未定 or 无: places.PlaceValue.value).
    value: str | None = None

    def values(self, measure: str) -> list:
        """A measure per year."""
        return [cell.measure(measure) for cell in self.cells]

    def to_json(self) -> dict:
        """Each measure as a list aligned with the years; `undated` and `total` as objects."""
        return {
            **{name: self.values(name) for name in MEASURES},
            "undated": self.undated.to_json(),
            "total": self.total.to_json(),
        }


@dataclass
class Series(Line):
    """A term's line, with its parsed query and, when asked for, one line per place."""

    query: Query | None = None
    places: list[Line] = field(default_factory=list)
    places_more: int = 0  # places with matches beyond MAX_PLACES, left out

    @property
    def term(self) -> str:
        return self.label


@dataclass
class Trends:
    """Every term's series over the years of the reports that pass the filters."""

    years: list[int]
    reports_per_year: list[int]
    paragraphs_per_year: list[int]
    chars_per_year: list[int]
    undated: dict[str, int]  # reports, paragraphs, chars without a year
    series: list[Series]
    by: str | None = None

    def cells(self, line: Line) -> list[tuple[int | None, Cell]]:
        """(year, cell) for each year, then (None, undated cell) if some paragraphs passing the filters have no year."""
        pairs: list[tuple[int | None, Cell]] = list(zip(self.years, line.cells))
        return pairs + [(None, line.undated)] if self.undated["paragraphs"] else pairs

    @property
    def empty(self) -> bool:
        """No term is mentioned anywhere."""
        return all(s.total.paragraphs == 0 for s in self.series)


# -- the filtered corpus ------------------------------------------------------------------------


@dataclass
class _Base:
    """What the rates divide by: per slot (year, or place × year), reports and characters."""

    years: np.ndarray
    reports: np.ndarray
    paragraphs: np.ndarray
    chars: np.ndarray


class _IndexCache:
    """Per opened index: normalised length of every paragraph, and recent bases by filters."""

    SIZE = 32

    def __init__(self, index: ReportIndex):
        self.lengths = _lengths(index)
        self.bases: OrderedDict[Filters, _Base] = OrderedDict()
        self.lock = threading.Lock()


_caches: "weakref.WeakKeyDictionary[ReportIndex, _IndexCache]" = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _cache(index: ReportIndex) -> _IndexCache:
    """The cache of an index; a new generation is a new index object, so it gets a new cache."""
    with _caches_lock:
        cache = _caches.get(index)
        if cache is None:
            cache = _caches[index] = _IndexCache(index)
        return cache


def _lengths(index: ReportIndex) -> np.ndarray:
    """Characters of normalised text of every paragraph (read once per index, block by block)."""
    return index.texts.lengths()


def _base(index: ReportIndex, filters: Filters, by: str | None) -> _Base:
    """Reports, paragraphs and characters per year (per place and year with `by`) under the filters.

    Per-year bases are small and cached; per-place ones (places × years) are computed each time.
    """
    cache = _cache(index)
    with cache.lock:
        if by is None and filters in cache.bases:
            cache.bases.move_to_end(filters)
            return cache.bases[filters]
    ids = index.select_counted(None, filters)
    years = np.unique(index.columns["year"][ids])
    years = years[years != 0]
    slots, size = _slots(index, ids, years, by)
    reports, paragraphs = _reports_and_paragraphs(index, ids, slots, size)
    chars = np.bincount(slots, weights=cache.lengths[ids], minlength=size).astype(np.int64)
    base = _Base(years, reports, paragraphs, chars)
    if by is None:
        with cache.lock:
            cache.bases[filters] = base
            while len(cache.bases) > cache.SIZE:
                cache.bases.popitem(last=False)
    return base


def _slots(index: ReportIndex, ids: np.ndarray, years: np.ndarray, by: str | None) -> tuple[np.ndarray, int]:
    """Per id its slot: the position of its year (len(years) when it has none), within its place if by."""
    year = index.columns["year"][ids]
    width = len(years) + 1
    slots = np.where(year == 0, len(years), np.searchsorted(years, year)).astype(np.int64)
    if by is None:
        return slots, width
    return index.columns[by][ids].astype(np.int64) * width + slots, len(index.values[by]) * width


def _reports_and_paragraphs(index: ReportIndex, ids: np.ndarray, slots: np.ndarray, size: int):
    """Reports and paragraphs per slot (a report has one year and one place, so one slot).

    A report's paragraphs have consecutive ids, so in sorted ids each report starts where
    the report column changes: no sort needed.
    """
    report = index.columns["report"][ids]
    first = np.flatnonzero(np.r_[True, report[1:] != report[:-1]]) if len(ids) else np.zeros(0, np.int64)
    return np.bincount(slots[first], minlength=size), np.bincount(slots, minlength=size)


# -- the series ---------------------------------------------------------------------------------


def trends(index: ReportIndex, terms: list[str], filters: Filters = Filters(), by: str | None = None) -> Trends:
    """Counts and rates per year for each term (already checked by check_terms), under the filters;
    with `by` (a place level), also per place, the MAX_PLACES places with most matches first."""
    if by is not None:
        check_breakdown(by)
    base = _base(index, filters, None)
    place_base = _base(index, filters, by) if by else None
    series = []
    for term in terms:
        query = parse_query(term)
        ids = index.select_counted(query, filters)
        occurrences = index.grams.occurrences(ids, query.terms) if len(ids) else np.zeros(0)
        line = _line(term, *_tally(index, ids, occurrences, base.years, None), base.reports, base.chars)
        s = Series(**vars(line), query=query)
        if place_base is not None:
            s.places, s.places_more = _places(index, ids, occurrences, base.years, by, place_base)
        series.append(s)
    n = len(base.years)
    return Trends(
        years=base.years.tolist(),
        reports_per_year=base.reports[:n].tolist(),
        paragraphs_per_year=base.paragraphs[:n].tolist(),
        chars_per_year=base.chars[:n].tolist(),
        undated={"reports": int(base.reports[n]), "paragraphs": int(base.paragraphs[n]), "chars": int(base.chars[n])},
        series=series,
        by=by,
    )


def _tally(index, ids, occurrences, years, by):
    """Reports, paragraphs and occurrences of the matches per slot."""
    slots, size = _slots(index, ids, years, by)
    reports, paragraphs = _reports_and_paragraphs(index, ids, slots, size)
    return reports, paragraphs, np.bincount(slots, weights=occurrences, minlength=size).round().astype(np.int64)


def _line(label: str, reports, paragraphs, occurrences, of_reports, of_chars) -> Line:
    """A line from per-slot arrays whose last slot holds what has no year."""
    cells = [
        Cell(*values) for values in zip(*(a.tolist() for a in (reports, paragraphs, occurrences, of_reports, of_chars)))
    ]
    total = Cell(*(int(a.sum()) for a in (reports, paragraphs, occurrences, of_reports, of_chars)))
    return Line(label=label, cells=cells[:-1], undated=cells[-1], total=total)


def _places(index, ids, occurrences, years, by, base: _Base) -> tuple[list[Line], int]:
    """One line per place with matches, most matching paragraphs first (then by name), at most MAX_PLACES."""
    width = len(years) + 1
    counts = [a.reshape(-1, width) for a in _tally(index, ids, occurrences, years, by)]
    totals = counts[1].sum(axis=1)
    places = index.places.values[by]
    found = [int(c) for c in np.flatnonzero(totals)]
    found.sort(key=lambda c: (-int(totals[c]), c))  # then in code order
    reports, chars = base.reports.reshape(-1, width), base.chars.reshape(-1, width)
    lines = []
    for c in found[:MAX_PLACES]:
        line = _line(places[c].label, counts[0][c], counts[1][c], counts[2][c], reports[c], chars[c])
        line.value = places[c].value
        lines.append(line)
    return lines, max(0, len(found) - MAX_PLACES)
