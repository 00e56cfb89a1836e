"""Reuse across the corpus: which reports share paragraphs, in which direction, and how much of
each report was already written elsewhere (from the similar-paragraph lists, engine/similar.py).

Two reports share a paragraph when one is listed as similar to the other (an estimated Jaccard
similarity of their 5-character shingles of 0.5 or more; research/similar.py gives the exact
one). The earlier report, by date (or year when a report has no date), is the likely source; of
two reports of the same date neither is.
"""

from __future__ import annotations

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


@dataclass
class CorpusReuse:
    """Report pairs by share, and each report's share of text found in earlier reports."""

    pairs: list[ReportPair]
    shares: dict[str, float]  # report id -> share of its compared characters found in earlier reports


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
        found = index.__dict__[name] = _corpus_reuse(index, duplicates)
    return found


def pairs_of(reuse: CorpusReuse, report_id: str) -> list[ReportPair]:
    """The pairs a report is part of, as source or as copy, by share."""
    return [p for p in reuse.pairs if report_id in (p.earlier["report_id"], p.later["report_id"])]


def _corpus_reuse(index: ReportIndex, duplicates: bool) -> CorpusReuse:
    reports = index.reports
    a, b = index.similar.pairs()
    copies = index.duplicate_paragraphs
    if copies is not None and not duplicates and len(a):
        keep = ~(copies[a] | copies[b])
        a, b = a[keep], b[keep]
    column = index.columns["report"]
    ra, rb = column[a].astype(np.int64), column[b].astype(np.int64)
    when = np.array([_when(r) for r in reports]) if reports else np.zeros(0, str)
    # a paragraph of the later report with a match in the earlier one (or either, on the same date)
    earlier_b = when[rb] <= when[ra] if len(a) else np.zeros(0, bool)
    copy_pid, copy_report, source_report = a[earlier_b], ra[earlier_b], rb[earlier_b]
    keys = np.unique(np.stack([copy_report, source_report, copy_pid], axis=1), axis=0) if len(copy_pid) else None
    compared = _compared_per_report(index)
    pairs: list[ReportPair] = []
    if keys is not None:
        report_pairs, shared = np.unique(keys[:, :2], axis=0, return_counts=True)
        for (later, earlier), n in zip(report_pairs.tolist(), shared.tolist()):
            same = when[later] == when[earlier]
            if same and later > earlier:
                continue  # listed both ways: keep one
            pairs.append(ReportPair(reports[earlier], reports[later], n, int(compared[later]), bool(same)))
    pairs.sort(key=lambda p: (-p.share, -p.shared, p.later["source"], p.earlier["source"]))
    return CorpusReuse(pairs, _shares(index, a, ra, rb, when))


def _compared_per_report(index: ReportIndex) -> np.ndarray:
    live = np.flatnonzero(index.live)
    compared = live[index.similar.compared(live)]
    return np.bincount(index.columns["report"][compared], minlength=len(index.reports))


def _shares(index: ReportIndex, a: np.ndarray, ra: np.ndarray, rb: np.ndarray, when: np.ndarray) -> dict[str, float]:
    """Per report, the share of its compared characters in paragraphs with a match in a strictly earlier report."""
    live = np.flatnonzero(index.live)
    compared = live[index.similar.compared(live)]
    lengths = index.texts.lengths()
    per_report = np.bincount(index.columns["report"][compared], weights=lengths[compared], minlength=len(index.reports))
    borrowed_pids = np.unique(a[when[rb] < when[ra]]) if len(a) else np.zeros(0, np.int64)
    borrowed = np.bincount(
        index.columns["report"][borrowed_pids], weights=lengths[borrowed_pids], minlength=len(index.reports)
    )
    return {
        r["report_id"]: float(borrowed[i] / per_report[i]) if per_report[i] else 0.0
        for i, r in enumerate(index.reports)
    }
