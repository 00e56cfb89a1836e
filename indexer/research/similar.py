"""Looking up reused text in an index: a paragraph's similar paragraphs, with their exact similarity,
and a report's reuse of other reports' text (the lists are made by engine/similar.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from indexer.engine.places import place_key
from indexer.engine.search import ReportIndex
from indexer.engine.similar import SHINGLE, shingles
from indexer.messages import NotFound
from indexer.text.normalize import KEPT_MARKS, normalize_with_offsets


class UnknownParagraph(NotFound):
    """A report id or paragraph number that the index does not have."""


@dataclass
class Match:
    """A paragraph of another report that shares most of a paragraph's text."""

    pid: int
    report_id: str
    paragraph: int
    township: str
    county: str
    year: int | None
    similarity: float


def paragraph_id(index: ReportIndex, report_id: str, paragraph: int) -> int:
    """The id of a report's paragraph (1-based number); UnknownParagraph when there is none."""
    report = index.report(report_id)
    if report is None:
        raise UnknownParagraph("unknown_report", report_id=report_id[:60])
    if not 1 <= paragraph <= report["paragraphs"]:
        raise UnknownParagraph(
            "unknown_paragraph", report_id=report_id[:60], paragraph=paragraph, count=report["paragraphs"]
        )
    return report["first_pid"] + paragraph - 1


def similar_paragraphs(index: ReportIndex, pid: int) -> list[Match]:
    """The paragraphs listed as similar to pid, with their exact similarity, best first."""
    listed = index.similar.listed(pid)
    if len(listed) == 0:
        return []
    texts = index.texts.many(np.concatenate(([pid], listed)))
    mine = shingles(texts[0])
    sims = []
    for text in texts[1:]:
        theirs = shingles(text)
        union = len(mine | theirs)
        sims.append(len(mine & theirs) / union if union else 0.0)
    matches = [_match(index, int(p), s) for p, s in zip(listed.tolist(), sims)]
    place = {int(p): i for i, p in enumerate(index.in_path_order(np.sort(listed)).tolist())}
    matches.sort(key=lambda m: (-m.similarity, place[m.pid]))  # ties in file order, as in a full build
    return matches


def _match(index: ReportIndex, pid: int, similarity: float) -> Match:
    cols = index.columns
    report = index.reports[int(cols["report"][pid])]
    return Match(
        pid=pid,
        report_id=report["report_id"],
        paragraph=pid - report["first_pid"] + 1,
        township=report.get("township") or "",
        county=report.get("county") or "",
        year=report.get("year") or None,
        similarity=similarity,
    )


def shared_spans(text: str, other_norm: str) -> list[tuple[int, int]]:
    """Spans [start, end) of text, as written, covered by shingles that other_norm also has."""
    norm, offsets = normalize_with_offsets(text)
    kept = [(c, o) for c, o in zip(norm, offsets) if c not in KEPT_MARKS]
    chars = "".join(c for c, _ in kept)
    theirs = shingles(other_norm)
    covered = [False] * len(chars)
    for i in range(len(chars) - SHINGLE + 1):
        if chars[i : i + SHINGLE] in theirs:
            covered[i : i + SHINGLE] = [True] * SHINGLE
    spans: list[tuple[int, int]] = []
    for i, inside in enumerate(covered):
        if not inside:
            continue
        start, end = kept[i][1], kept[i][1] + 1
        if spans and i > 0 and covered[i - 1]:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


# -- a report's reuse --------------------------------------------------------------------------


@dataclass
class Partner:
    """A township whose reports share paragraphs with a report."""

    township: str
    county: str
    paragraphs: int  # paragraphs of the report with a match in this township
    reports: list[tuple[str, int | None, int]] = field(default_factory=list)  # (report_id, year, paragraphs)
    own: bool = False  # the report's own township (its other years)


@dataclass
class Reuse:
    """How much of a report's text is shared with other reports, and with which townships."""

    report_id: str
    paragraphs: int  # all paragraphs of the report
    compared: int  # those long enough to compare
    matched: int  # those with at least one similar paragraph elsewhere
    chars: int  # normalised characters of the report
    matched_chars: int  # of them, in matched paragraphs
    counts: list[int]  # per paragraph, how many similar paragraphs are listed
    more: list[bool]  # per paragraph, whether there may be more than listed
    partners: list[Partner]

    @property
    def share(self) -> float:
        return self.matched_chars / self.chars if self.chars else 0.0


def report_reuse(index: ReportIndex, report: dict) -> Reuse:
    """The reuse of a report's text: its share in matched paragraphs and its partner townships."""
    first, count = report["first_pid"], report["paragraphs"]
    similar = index.similar
    counts = similar.counts(first, first + count)
    lengths = np.fromiter(map(len, index.texts.many(np.arange(first, first + count))), np.int64, count)
    own = np.repeat(np.arange(first, first + count), counts)
    other = np.concatenate([similar.listed(pid) for pid in range(first, first + count)] or [np.zeros(0, np.int64)])
    cols = index.columns
    # places by their codes (two townships of one name are two partners), shown by their labels
    townships, counties = index.places.values["township"], index.places.values["county"]
    place = cols["township"][other].astype(np.int64) * len(counties) + cols["county"][other]
    partners: dict[int, Partner] = {}

    def key_of(meta: dict) -> int:
        return (
            index.value_code["township"][place_key(meta, "township")] * len(counties)
            + index.value_code["county"][place_key(meta, "county")]
        )

    home = key_of(report)
    for key, n in _per_key(place, own) if len(other) else ():  # an own paragraph counts once per township
        township, county = townships[key // len(counties)], counties[key % len(counties)]
        partners[key] = Partner(
            township=township.label if township.code else "",
            county=county.label if county.code else "",
            paragraphs=n,
            own=key == home,
        )
    for r, n in _per_key(cols["report"][other].astype(np.int64), own) if len(other) else ():
        meta = index.reports[r]
        partners[key_of(meta)].reports.append((meta["report_id"], meta.get("year") or None, n))
    for p in partners.values():
        p.reports.sort(key=lambda r: (-r[2], -(r[1] or 0), r[0]))
    ranked = [partners[k] for k in sorted(partners, key=lambda k: (-partners[k].paragraphs, k))]  # then by code
    return Reuse(
        report_id=report["report_id"],
        paragraphs=count,
        compared=int(similar.compared(np.arange(first, first + count)).sum()),
        matched=int((counts > 0).sum()),
        chars=int(lengths.sum()),
        matched_chars=int(lengths[counts > 0].sum()),
        counts=counts.tolist(),
        more=similar.more(np.arange(first, first + count)).tolist(),
        partners=ranked,
    )


def _per_key(keys: np.ndarray, own: np.ndarray) -> list[tuple[int, int]]:
    """(key, how many distinct own ids are paired with it) for each distinct key."""
    pairs = np.unique(np.stack([keys, own.astype(np.int64)], axis=1), axis=0)
    values, n = np.unique(pairs[:, 0], return_counts=True)
    return list(zip(values.tolist(), n.tolist()))
