"""Reuse across the corpus: which reports share paragraphs, in which direction, and how much of
each report was already written elsewhere (from the similar-paragraph lists, engine/similar.py).

Two reports share a paragraph when one is listed as similar to the other (an estimated Jaccard
similarity of their 5-character shingles of 0.5 or more; research/similar.py gives the exact
one). The earlier report, by date (or year when a report has no date), is the likely source; of
two reports of the same date neither is.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from indexer.engine.search import ReportIndex


@dataclass
class ReportPair:
    """Two reports that share paragraphs: `earlier` the likely source of `later` (unless same_date)."""

    earlier: dict
    later: dict
    shared: int  # paragraphs of the later report with a similar paragraph in the earlier one
    compared: int  # the later report's paragraphs long enough to compare
    same_date: bool

    @property
    def share(self) -> float:
        return self.shared / self.compared if self.compared else 0.0


class CorpusReuse:
    """Report pairs by share (as arrays, one row a pair), and each report's share of text found in
    earlier reports. Rows are in the order pages list them: share, then shared paragraphs, first."""

    def __init__(self, reports: list[dict], later, earlier, shared, compared, same_date, shares: np.ndarray):
        self.reports = reports
        self.later, self.earlier, self.shared, self.compared, self.same_date = (
            later,
            earlier,
            shared,
            compared,
            same_date,
        )
        self.share = np.divide(shared, compared, out=np.zeros(len(shared)), where=compared > 0)
        self.share_array = shares  # each report's share of its compared characters found in earlier reports
        self.shares = {r["report_id"]: float(x) for r, x in zip(reports, shares.tolist())}  # the same by report id
        self._position = {r["report_id"]: i for i, r in enumerate(reports)}

    def __len__(self) -> int:
        return len(self.later)

    def pair(self, row: int) -> ReportPair:
        return ReportPair(
            self.reports[int(self.earlier[row])],
            self.reports[int(self.later[row])],
            int(self.shared[row]),
            int(self.compared[row]),
            bool(self.same_date[row]),
        )

    @property
    def pairs(self) -> list[ReportPair]:
        """Every pair (a list as long as the rows: for tests and small indexes; pages take slices)."""
        return [self.pair(row) for row in range(len(self))]

    def at_least(self, share: float) -> int:
        """How many pairs have at least this share: the first rows, as rows go by share."""
        return int(np.count_nonzero(self.share >= share - 1e-12))

    def rows_of(self, report_id: str) -> np.ndarray:
        """The rows of the pairs a report is part of, as source or as copy, by share."""
        i = self._position.get(report_id)  # a scan of the rows: 5 ms for 4M pairs, once per report page
        return np.flatnonzero((self.later == i) | (self.earlier == i)) if i is not None else np.zeros(0, np.int64)


_computing = threading.Lock()


def _when(report: dict) -> str:
    """A report's date as a sortable key: its date, else its year, else last."""
    if report.get("date"):
        return str(report["date"])
    return f"{report['year']}-99" if report.get("year") else "9999"


def corpus_reuse(index: ReportIndex, duplicates: bool = False) -> CorpusReuse:
    """Pairs of reports that share paragraphs, the likely copy's share first, and reuse shares;
    worked out once per opened index (an index never changes: an update opens a new one). A
    duplicate copy of a report (duplicates.py) shares nothing, unless `duplicates`."""
    name = "_corpus_reuse_with_duplicates" if duplicates else "_corpus_reuse"
    found = index.__dict__.get(name)
    if found is None:
        with _computing:  # one computation, which concurrent first requests wait for
            found = index.__dict__.get(name)
            if found is None:
                found = index.__dict__[name] = _corpus_reuse(index, duplicates)
    return found


def pairs_of(reuse: CorpusReuse, report_id: str, most: int | None = None) -> list[ReportPair]:
    """The pairs a report is part of, as source or as copy, by share (the first `most`)."""
    return [reuse.pair(row) for row in reuse.rows_of(report_id)[:most].tolist()]


def reuse_shares(index: ReportIndex, duplicates: bool = False) -> np.ndarray:
    """Each report's share of text found in earlier reports (CorpusReuse.shares), in index.reports order."""
    return corpus_reuse(index, duplicates).share_array


def _corpus_reuse(index: ReportIndex, duplicates: bool) -> CorpusReuse:
    reports = index.reports
    n = max(1, len(reports))
    a, b = index.similar.pairs()
    copies = index.duplicate_paragraphs
    if copies is not None and not duplicates and len(a):
        keep = ~(copies[a] | copies[b])
        a, b = a[keep], b[keep]
    column = index.columns["report"]
    ra, rb = column[a].astype(np.int64), column[b].astype(np.int64)
    # reports ranked by date (ties share a rank) and by source, for directions and tie-breaks
    _, when = np.unique(np.array([_when(r) for r in reports] or [""]), return_inverse=True)
    by_source = np.argsort(np.argsort(np.array([r["source"] for r in reports] or [""])))
    live = np.flatnonzero(index.live)
    compared_ids = live[index.similar.compared(live)]
    compared = np.bincount(column[compared_ids], minlength=len(reports))
    # a paragraph of the later report with a match in the earlier one (or either, on the same date),
    # each (paragraph, other report) once
    keep = when[rb] <= when[ra]
    key, _ = _distinct(a[keep].astype(np.int64) * n + rb[keep])
    copy_report = column[key // n].astype(np.int64)
    pair_key, shared = _distinct(copy_report * n + key % n)
    later, earlier = pair_key // n, pair_key % n
    same = when[later] == when[earlier]
    kept = ~(same & (later > earlier))  # a same-date pair is listed both ways: keep one
    later, earlier, shared, same = later[kept], earlier[kept], shared[kept], same[kept]
    share = np.divide(shared, compared[later], out=np.zeros(len(shared)), where=compared[later] > 0)
    order = np.lexsort((by_source[earlier], by_source[later], -shared, -share))
    return CorpusReuse(
        reports,
        later[order],
        earlier[order],
        shared[order],
        compared[later][order],
        same[order],
        _shares(index, compared_ids, a, ra, rb, when),
    )


def _distinct(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys, sorted, and how often each occurs: np.unique by sorting (numpy's hashing
    unique took 12.5 s on the 8.1M keys of 1M paragraphs; a stable sort, which finds their runs, 0.1 s)."""
    ordered = np.sort(keys, kind="stable")
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1]))) if len(ordered) else np.zeros(0, int)
    return ordered[starts], np.diff(np.append(starts, len(ordered)))


def _shares(
    index: ReportIndex, compared: np.ndarray, a: np.ndarray, ra: np.ndarray, rb: np.ndarray, when: np.ndarray
) -> np.ndarray:
    """Per report (index.reports order), the share of its compared characters in paragraphs with a
    match in a strictly earlier report."""
    lengths = index.texts.lengths()
    column = index.columns["report"]
    per_report = np.bincount(column[compared], weights=lengths[compared], minlength=len(index.reports))
    borrowed_pids = _distinct(a[when[rb] < when[ra]])[0]
    borrowed = np.bincount(column[borrowed_pids], weights=lengths[borrowed_pids], minlength=len(index.reports))
    return np.divide(borrowed, per_report, out=np.zeros(len(per_report)), where=per_report > 0)
