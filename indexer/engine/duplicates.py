"""Duplicate reports: one place's report of one year saved twice (a web page and its .txt, a
repost on the county's site), told apart from reuse (another place's report copied).

A report's fingerprint is the set of its sentences: the text of its body paragraphs and
headings (not the letterhead, title or signature, which one copy may keep and another not),
normalised (normalize.py), joined, cut at the sentence and clause ends 。！？；： and at the end of
each heading, the remaining punctuation dropped; each sentence kept as a 64-bit hash and its
length. Joining the paragraphs first makes the sentences the same however a format broke the
paragraphs. Each segment keeps its reports' fingerprints (layout.FINGERPRINTS).

Two live reports are the same report when (1) their years are known and equal; (2) their places
agree: both settled and the same place (level and place at every level), or either unsettled
(no township or county found), the same level where both are known and no place name at any
level that both give differs; (3) at
least SAME_SHARE of the characters of the longer one's sentences are in sentences the other
has too. Which copy is the original does not depend on history: of each set of copies, the
first in ORIGINAL_ORDER (a text-native format first, then path order) is the original, and
every other copy that is the same report as it is its duplicate. The answer is written to
meta.json with each generation (a build or update), from the live reports only.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

from indexer.documents.folder import path_key
from indexer.documents.levels import CITY_LEVEL, COUNTY_LEVEL, TOWNSHIP_LEVEL, UNSETTLED
from indexer.documents.metadata import PLACE_FIELDS
from indexer.engine import layout
from indexer.engine.places import NOT_APPLICABLE, place_key
from indexer.text.normalize import normalize

#: Share of the longer report's characters that must be in sentences the other has.
SAME_SHARE = 0.9
#: Paragraph kinds fingerprinted (documents/report.tag_paragraphs).
KINDS = ("body", "heading")
_ENDS = re.compile(r"[。!?;:]")
#: Formats in the order their copy is preferred as the original: text-native first, scans last.
FORMAT_ORDER = {".txt": 0, ".md": 0, ".docx": 1, ".doc": 1, ".html": 2, ".htm": 2, ".pdf": 3}


def fingerprint(kinds: list[str], norms: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """A report's sentences, from its paragraphs' kinds and normalised texts: sorted unique 64-bit
    hashes and each one's length in characters."""
    pieces = [norm + ("。" if kind == "heading" else "") for kind, norm in zip(kinds, norms) if kind in KINDS]
    found: dict[int, int] = {}
    for sentence in _ENDS.split("".join(pieces).replace("、", "").replace(",", "")):
        if sentence:
            key = int.from_bytes(hashlib.blake2b(sentence.encode("utf-8"), digest_size=8).digest(), "little")
            found.setdefault(key, len(sentence))
    hashes = np.array(sorted(found), np.uint64)
    return hashes, np.array([found[h] for h in hashes.tolist()], np.int64)


def report_fingerprint(report) -> tuple[np.ndarray, np.ndarray]:
    """fingerprint of a parsed report (its paragraphs normalised here)."""
    return fingerprint([p.kind for p in report.paragraphs], [normalize(p.text) for p in report.paragraphs])


def write_fingerprints(folder: Path, reports, norms: list[str] | None = None) -> None:
    """A segment's reports' fingerprints, in the segment's report order; norms are the normalised
    texts of all their paragraphs in order, when at hand."""
    prints, at = [], 0
    for r in reports:
        n = len(r.paragraphs)
        if norms is None:
            prints.append(report_fingerprint(r))
        else:
            prints.append(fingerprint([p.kind for p in r.paragraphs], norms[at : at + n]))
        at += n
    offsets = np.cumsum([0] + [len(h) for h, _ in prints]).astype(np.int64)
    np.savez(
        folder / layout.FINGERPRINTS,
        ids=np.array([r.report_id for r in reports], dtype=str),
        offsets=offsets,
        hashes=np.concatenate([h for h, _ in prints]) if prints else np.zeros(0, np.uint64),
        chars=np.concatenate([c for _, c in prints]) if prints else np.zeros(0, np.int64),
    )


def same_share(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
    """The share of the longer fingerprint's characters in sentences the other has."""
    (ha, ca), (hb, cb) = a, b
    if ca.sum() < cb.sum():
        (ha, ca), (hb, cb) = (hb, cb), (ha, ca)
    total = int(ca.sum())
    return float(ca[np.isin(ha, hb, assume_unique=True)].sum()) / total if total else 0.0


#: The place level that is a report's own, by its level (a department's or zone's: any found).
OWN_PLACE = {TOWNSHIP_LEVEL: "township", COUNTY_LEVEL: "county", CITY_LEVEL: "prefecture"}


def settled(report: dict) -> bool:
    """Whether a report's own place is known: a level other than 未定 and its place at that level
    (a township's township, a county's county …; a department's or zone's at any level) found."""
    level = report.get("level") or UNSETTLED
    if level == UNSETTLED:
        return False
    keys = [OWN_PLACE[level]] if level in OWN_PLACE else PLACE_FIELDS
    return any(place_key(report, key) not in ("", NOT_APPLICABLE) for key in keys)


def place_of(report: dict) -> tuple:
    """What same_place compares of a report: (level and place at every level, or None when
    unsettled; its level, None when 未定; the names it gives at every level)."""
    level = report.get("level") or UNSETTLED
    place = (level, *(place_key(report, k) for k in PLACE_FIELDS)) if settled(report) else None
    return place, None if level == UNSETTLED else level, tuple(report.get(k) or None for k in PLACE_FIELDS)


def same_place(a: tuple, b: tuple) -> bool:
    """Whether two reports (their place_of) may be of one place: both settled and the same place
    at every level; or either unsettled, the same level when both are known (a county's report
    is not its township's), and no level where both give a name that differs."""
    if a[0] is not None and b[0] is not None:
        return a[0] == b[0]
    if a[1] and b[1] and a[1] != b[1]:
        return False
    return not any(x and y and x != y for x, y in zip(a[2], b[2]))


def original_order(report: dict) -> tuple:
    """Where a copy stands in the choice of the original: its format (FORMAT_ORDER), then its path."""
    source = report["source"]
    dot = source.rfind(".")
    return (FORMAT_ORDER.get(source[dot:].lower() if dot > source.rfind("/") else "", 4), path_key(source))


def find_duplicates(generation: Path, live: list[tuple[str, dict]]) -> dict[str, list]:
    """{copy's report id: [original's report id, whether either place was unsettled]} over the live
    reports ((segment folder, record with year and places), as IndexMeta.live_reports gives them).

    Per year, in ORIGINAL_ORDER: a report is compared with the originals before it that share a
    sentence of their prefixes (_copies_in_year) and whose length allows SAME_SHARE; the first of
    its place it matches is its original, else it is one itself."""
    by_year: dict[int, list[tuple[str, dict]]] = {}
    for folder, report in live:
        if report.get("year"):
            by_year.setdefault(report["year"], []).append((folder, report))
    prints = _Fingerprints(generation)
    out: dict[str, list] = {}
    for reports in by_year.values():
        if len(reports) > 1:
            reports.sort(key=lambda fr: original_order(fr[1]))
            found = [prints.of(folder, report["report_id"]) for folder, report in reports]
            out.update(_copies_in_year([r for _, r in reports], found))
    return out


def _copies_in_year(reports: list[dict], prints: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, list]:
    """The copies among one year's reports (in ORIGINAL_ORDER; prints their fingerprints).

    Candidates come from prefix filtering, which misses none: order every report's sentences the
    same way (rarest in the year first, then by hash); a report's prefix is its first sentences up
    to just over 1 - SAME_SHARE of its characters. If two reports share SAME_SHARE of their
    characters, the first sentence they share lies in both prefixes, since every sentence before it
    is one the other lacks. Rare sentences first keep the candidates few."""
    every = np.concatenate([h for h, _ in prints])
    sentences, counts = np.unique(every, return_counts=True)
    by_sentence: dict[int, list[int]] = {}  # a sentence of an original's prefix → those originals
    places = [place_of(r) for r in reports]
    sizes = [int(c.sum()) for _, c in prints]
    out: dict[str, list] = {}
    for k, (report, (hashes, chars)) in enumerate(zip(reports, prints)):
        order = np.lexsort((hashes, counts[np.searchsorted(sentences, hashes)]))
        # (a hair over the bound, so rounding never leaves the first shared sentence out)
        cut = int(np.searchsorted(np.cumsum(chars[order]), (1 - SAME_SHARE) * sizes[k] + 1e-6, side="right")) + 1
        prefix = hashes[order[:cut]].tolist() if sizes[k] else []
        for i in sorted({i for h in prefix for i in by_sentence.get(h, ())}):
            if min(sizes[k], sizes[i]) < SAME_SHARE * max(sizes[k], sizes[i]) - 1e-6:
                continue
            if not same_place(places[k], places[i]):
                continue
            if same_share(prints[k], prints[i]) >= SAME_SHARE:
                out[report["report_id"]] = [reports[i]["report_id"], places[k][0] is None or places[i][0] is None]
                break
        else:
            for h in prefix:
                by_sentence.setdefault(h, []).append(k)
    return out


class _Fingerprints:
    """The segments' fingerprint files of a generation, each read once when first needed."""

    def __init__(self, generation: Path):
        self.generation = generation
        self.segments: dict[str, tuple[dict[str, int], np.ndarray, np.ndarray, np.ndarray]] = {}

    def of(self, folder: str, report_id: str) -> tuple[np.ndarray, np.ndarray]:
        if folder not in self.segments:
            with np.load(self.generation / folder / layout.FINGERPRINTS) as f:
                where = {rid: i for i, rid in enumerate(f["ids"].tolist())}
                self.segments[folder] = (where, f["offsets"], f["hashes"], f["chars"])
        where, offsets, hashes, chars = self.segments[folder]
        i = where[report_id]
        lo, hi = int(offsets[i]), int(offsets[i + 1])
        return hashes[lo:hi], chars[lo:hi]


def duplicate_lines(meta: layout.IndexMeta, before: layout.IndexMeta | None = None) -> list[tuple[str, str]]:
    """(copy's file, what the build says of it) for each duplicate of a generation (with before,
    the generation it updates: only those marked anew), in path order."""
    sources = {r["report_id"]: r["source"] for _, r in meta.live_reports()}
    was = {} if before is None else {c: [_source(before, o)] for c, (o, _) in before.duplicates.items()}
    lines = []
    for copy, (original, unsettled) in meta.duplicates.items():
        if was.get(copy) == [sources[original]]:
            continue
        note = "; place unsettled, same year and text" if unsettled else ""
        lines.append((sources[copy], f"same report as {sources[original]} (counted once{note})"))
    return sorted(lines, key=lambda line: path_key(line[0]))


def _source(meta: layout.IndexMeta, report_id: str) -> str | None:
    return next((r["source"] for _, r in meta.live_reports() if r["report_id"] == report_id), None)
