"""/reports as a table (Datasette's table view): the reports that pass the search's filters (and
contain its query, when there is one), sortable by every column, 50 rows a page, with facets
that count reports."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import asdict, dataclass, fields, is_dataclass

import numpy as np
from werkzeug.datastructures import MultiDict

from indexer.engine.facet_counts import facet_items, per_report_counts
from indexer.engine.facets import FACET_KEYS, PLACE_FACETS, PLACE_KEYS
from indexer.engine.filters import filter_mask, filtered, narrows
from indexer.engine.search import ReportIndex
from indexer.research.reuse import reuse_shares

from .params import ParamError, SearchParams, as_param_error, int_param, parse_params

PER_PAGE, MAX_PER_PAGE = 50, 500
#: Division code digits that name each place level (省 2, 市 4, 县 6; a township its whole code).
CODE_DIGITS = {"province": 2, "prefecture": 4, "county": 6, "township": None}


@dataclass(frozen=True)
class Column:
    """A column of the report table: the report field it shows (also its ?sort= value) and its heading."""

    key: str
    label: str
    place: bool = False  # ordered by division code
    numeric: bool = False  # right-aligned; sorted largest first when clicked


#: The table's columns, in order; a new report field is one more entry. The township comes first:
#: on a phone the first column stays in view while the others scroll.
COLUMNS: tuple[Column, ...] = (
    *(Column(f.key, f.label, place=True) for f in PLACE_FACETS[-1:] + PLACE_FACETS[:-1]),
    Column("level", "级别"),
    Column("year", "年度", numeric=True),
    Column("date", "成文日期"),
    Column("title", "标题"),
    Column("paragraphs", "段落", numeric=True),
    #: The share of the report's text found in earlier reports (research/reuse.py), 0-1.
    Column("reuse", "复用率", numeric=True),
)
SORTABLE = {c.key: c for c in COLUMNS}
#: The URL parameters the table reads itself; the rest are the search page's.
OWN = ("sort", "page", "per_page", "min_reuse")


@dataclass
class ReportListParams(SearchParams):
    """A /reports URL: the search's query and filters, with the table's sort (`county`, `-year`) and paging."""

    sort: str = ""
    per_page: int = PER_PAGE
    #: Only reports with at least this share (in %) of their text found in earlier reports (?min_reuse=50).
    min_reuse: int | None = None

    @property
    def sort_key(self) -> str:
        """The column sorted by (place order by default)."""
        return self.sort.lstrip("-") or "province"

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    def pairs(self, **changes) -> list[tuple[str, str]]:
        own = {
            "sort": self.sort or None,
            "page": None if self.page == 1 else self.page,
            "per_page": None if self.per_page == PER_PAGE else self.per_page,
            "min_reuse": self.min_reuse,
        }
        return super().pairs(**{**own, **changes})

    def url(self, endpoint: str = "/reports", **changes) -> str:
        return super().url(endpoint, **changes)

    @property
    def has_filters(self) -> bool:
        return super().has_filters or bool(self.min_reuse)

    def unfiltered_url(self, endpoint: str = "/reports", **changes) -> str:
        return super().unfiltered_url(endpoint, **{"min_reuse": None, **changes})

    def chips(self) -> list[dict]:
        chips = super().chips()
        if self.min_reuse:
            chips.append({"label": f"复用率：≥{self.min_reuse}%", "url": self.url(min_reuse=None)})
        return chips

    def sort_url(self, key: str) -> str:
        """The link of a column heading: sort by it, or reverse the order if it is the sort already."""
        column = SORTABLE[key]
        if self.sort_key == key:
            return self.url(sort=key if self.descending else "-" + key)
        return self.url(sort="-" + key if column.numeric else key)

    def pages(self, rows: int) -> int:
        return max(1, -(-rows // self.per_page))


def parse_report_list_params(args: MultiDict) -> ReportListParams:
    """The search's query and filters, plus sort, page and per_page; raises ParamError."""
    base = parse_params(MultiDict([(k, v) for k, v in args.items(multi=True) if k not in OWN]))
    sort = args.get("sort", "").strip()
    if sort and sort.lstrip("-") not in SORTABLE:
        raise ParamError(
            "unknown_sort",
            value=sort[:30],
            choices=", ".join(SORTABLE),
            choices_zh="、".join(c.label for c in COLUMNS),
        )
    own = {
        "sort": sort,
        "page": int_param(args, "page", 1, 100_000) or 1,
        "per_page": int_param(args, "per_page", 1, MAX_PER_PAGE) or PER_PAGE,
        "min_reuse": int_param(args, "min_reuse", 1, 100),
    }
    return ReportListParams(**{f.name: getattr(base, f.name) for f in fields(SearchParams) if f.name not in own}, **own)


@dataclass
class ReportTable:
    """One page of the table: its rows (report dicts, with `matches` when there is a query), how many
    reports match in all, and the facets counted in reports."""

    rows: list[dict]
    total: int
    facets: dict
    query: object


def report_table(index: ReportIndex, params: ReportListParams) -> ReportTable:
    """The page of the report table that params ask for."""
    with as_param_error():
        query = params.query()
        matched = index.match(query)
    dups = params.filters.duplicates  # a copy's text counts as found earlier only with dups=1
    if params.min_reuse:  # a filter on reports: their paragraphs pass or not, as the other filters' do
        passing = reuse_shares(index, dups) * 100 >= params.min_reuse - 1e-9
        matched = matched[passing[index.columns["report"][matched]]]
    filters = params.filters
    everything = query is None and not filtered(filters, None) and not params.min_reuse
    counts = None if everything else per_report_counts(index, _passing(index, matched, filters, None))
    chosen = np.arange(len(index.reports)) if counts is None else np.flatnonzero(counts)
    order = sorted_reports(index, params.sort_key, params.descending, dups)
    if counts is not None:
        order = order[np.isin(order, chosen)]
    start = params.offset
    rows = []
    shares = reuse_shares(index, dups)
    for i in order[start : start + params.per_page].tolist():
        row = as_row(index.reports[i]) | {"reuse": float(shares[i])}
        if query is not None:
            row["matches"] = int(counts[i])
        rows.append(row)
    return ReportTable(rows=rows, total=len(order), facets=count_reports(index, matched, filters), query=query)


def _passing(index: ReportIndex, ids: np.ndarray, filters, skip: str | None) -> np.ndarray:
    """The ids that pass every filter but the one on `skip`."""
    return ids[filter_mask(index, ids, filters, skip=skip)] if filtered(filters, skip) else ids


def count_reports(index: ReportIndex, matched: np.ndarray, filters) -> dict:
    """Facets as the search counts them (each ignoring its own filter), but in reports, not paragraphs;
    a duplicate copy of a report is not counted unless filters.duplicates (ReportIndex.counted)."""
    matched = index.counted(matched, filters)
    out = {}
    for name in FACET_KEYS:
        sub = _passing(index, matched, filters, name if narrows(filters, name) else None)
        if name == "section":  # a report counts once for each section it has a passing paragraph in
            owner = np.searchsorted(index.report_starts, sub, side="right") - 1
            present = np.zeros((len(index.reports), len(index.section_keys)), bool)
            present[owner, index.columns["section"][sub.astype(np.intp)]] = True
            counts = present.sum(axis=0)
        else:
            present = per_report_counts(index, sub) > 0
            counts = np.bincount(index.report_column(name)[present])
        out[name] = facet_items(index, name, counts)
    return out


# -- orders ---------------------------------------------------------------------------------

_orders: dict[tuple[str, str, bool, bool], np.ndarray] = {}
_orders_lock = threading.Lock()


def sorted_reports(index: ReportIndex, key: str, descending: bool = False, duplicates: bool = False) -> np.ndarray:
    """Positions in index.reports in the order of a column (computed once per index generation).

    Places follow division codes (the `code` of the reports that have one), never the code points
    of their names; ties keep place order, then file order. Empty values come last either way.
    `duplicates` matters to the reuse column only (reuse_shares)."""
    duplicates = duplicates and key == "reuse"
    cache_key = (str(index.generation), key, descending, duplicates)
    cached = _orders.get(cache_key)
    if cached is not None:
        return cached
    by_path = {id(r): n for n, r in enumerate(index.reports_by_path)}
    base = sorted(range(len(index.reports)), key=lambda i: by_path[id(index.reports[i])])
    reports = [as_row(r) for r in index.reports]
    if key == "reuse":
        for row, share in zip(reports, reuse_shares(index, duplicates).tolist()):
            row["reuse"] = share
    places = place_keys(reports)
    base.sort(key=lambda i: places[i])
    column = SORTABLE[key]
    if column.place:
        level = PLACE_KEYS.index(key)
        known = [i for i in base if reports[i].get(key)]
        known.sort(key=lambda i: places[i][: level + 1], reverse=descending)
    else:
        known = [i for i in base if reports[i].get(key) not in (None, "")]
        known.sort(key=lambda i: value_key(reports[i][key]), reverse=descending)
    placed = set(known)
    unknown = [i for i in base if i not in placed]
    order = np.asarray(known + unknown, dtype=np.int64)
    with _orders_lock:
        if len(_orders) > 64:
            _orders.clear()
        _orders[cache_key] = order
    return order


def as_row(report) -> dict:
    """A report's fields as a dict (a listing's report is a dict today, may become a record)."""
    return asdict(report) if is_dataclass(report) else dict(report)


def value_key(value):
    """Numbers as numbers, text in GB18030 order: the first 3,755 common characters of GB2312 are
    ordered by pinyin, which Chinese readers expect (Unicode orders by radical and stroke)."""
    if isinstance(value, (int, float)):
        return (0, value, b"")
    return (1, 0, str(value).encode("gb18030", errors="replace"))


def place_keys(reports: list[dict]) -> list[tuple]:
    """Each report's sort key over its place levels: for each level, the division code prefix of that
    place when any report there has a code, else its name in GB18030 order; unknown places last."""
    codes: list[dict[tuple, str]] = [{} for _ in PLACE_KEYS]
    votes: list[Counter] = [Counter() for _ in PLACE_KEYS]
    for r in reports:
        code = str(r.get("code") or "")
        if not code.isdigit() or len(code) < 6:
            continue
        path = tuple(r.get(k) or "" for k in PLACE_KEYS)
        for level, key in enumerate(PLACE_KEYS):
            digits = CODE_DIGITS[key]
            votes[level][(path[: level + 1], code[:digits] if digits else code)] += 1
    for level, counter in enumerate(votes):
        for (path, code), _ in counter.most_common()[::-1]:  # the most common code wins
            codes[level][path] = code
    keys = []
    for r in reports:
        path = tuple(r.get(k) or "" for k in PLACE_KEYS)
        parts = []
        for level in range(len(PLACE_KEYS)):
            name = path[level]
            code = codes[level].get(path[: level + 1])
            if code is not None:
                parts.append((0, code, b""))
            elif name:
                parts.append((1, "", name.encode("gb18030", errors="replace")))
            else:
                parts.append((2, "", b""))
        keys.append(tuple(parts))
    return keys
