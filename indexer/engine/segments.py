"""An index of several segments: the first one of a full build, and those that updates added.

Each segment holds its own texts, gram and word postings, similar lists, columns and
reports, with paragraph ids counting from 0. Read together, a segment's ids follow those
of the segments before it, and the paragraphs of removed or replaced reports are left
out: every answer here is what one index of the live paragraphs would give (word
statistics for BM25 count live paragraphs only), so searching is the same as after a
full build. Whoosh keeps the same order (its documents are the paragraphs, segment after
segment) and marks the same paragraphs deleted.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from indexer.documents.folder import path_key
from indexer.engine import layout, similar
from indexer.engine.grams import NgramIndex
from indexer.engine.layout import IndexMeta
from indexer.engine.similar import MAX_MATCHES, SimilarIndex
from indexer.engine.word_postings import WordIndex


def split(ids: np.ndarray, bases: np.ndarray):
    """For each segment holding some of ids: (segment, where they are in ids, ids local to the segment).

    Sorted ids (as matching gives them) fall into one slice per segment; others are grouped.
    """
    ids = np.asarray(ids)
    if len(ids) < 2 or bool((ids[1:] >= ids[:-1]).all()):
        cuts = np.searchsorted(ids, bases).tolist()
        for k in range(len(bases) - 1):
            if cuts[k + 1] > cuts[k]:
                yield k, slice(cuts[k], cuts[k + 1]), ids[cuts[k] : cuts[k + 1]] - int(bases[k])
        return
    ids = ids.astype(np.int64)
    where = np.searchsorted(bases, ids, side="right") - 1
    for k in np.unique(where).tolist():
        at = np.flatnonzero(where == k)
        yield k, at, ids[at] - bases[k]


class MultiTexts:
    """The normalised texts of all segments, by global id (parts.Texts)."""

    def __init__(self, parts, bases):
        self.parts, self.bases = parts, bases

    def __len__(self) -> int:
        return int(self.bases[-1])

    def many(self, ids) -> list[str]:
        out: list[str] = [""] * len(ids)
        places = np.arange(len(ids))
        for k, at, local in split(ids, self.bases):
            for i, text in zip(places[at].tolist(), self.parts[k].many(local)):
                out[i] = text
        return out

    def lengths(self) -> np.ndarray:
        return np.concatenate([part.lengths() for part in self.parts])

    def warm(self) -> None:
        for part in self.parts:
            part.warm()


class MultiGrams:
    """Exact matching over every segment (ids global; removed paragraphs are filtered by the reader)."""

    def __init__(self, parts: list[NgramIndex], bases: np.ndarray):
        self.parts, self.bases = parts, bases
        self.texts = MultiTexts([p.texts for p in parts], bases)
        self.count = int(bases[-1])

    def __len__(self) -> int:
        return self.count

    def warm(self) -> None:
        for part in self.parts:
            part.warm()

    def clear_cache(self) -> None:
        for part in self.parts:
            part.clear_cache()

    def find(self, needle: str) -> np.ndarray:
        return np.concatenate([part.find(needle) + int(base) for part, base in zip(self.parts, self.bases)]).astype(
            np.int32
        )

    def find_within(self, needle: str, within: np.ndarray) -> np.ndarray:
        found = [
            self.parts[k].find_within(needle, local.astype(np.int32)) + int(self.bases[k])
            for k, _, local in split(within, self.bases)
        ]
        return np.concatenate(found).astype(np.int32) if found else np.zeros(0, np.int32)

    def estimate(self, needle: str) -> int:
        return sum(part.estimate(needle) for part in self.parts)

    def occurrences(self, ids: np.ndarray, needles: list[str]) -> np.ndarray:
        out = np.zeros(len(ids))
        for k, at, local in split(ids, self.bases):
            out[at] = self.parts[k].occurrences(local.astype(np.int32), needles)
        return out


#: Words whose paragraph counts MultiWords remembers (then it starts afresh).
DF_CACHE = 100_000


class MultiWords(WordIndex):
    """Word postings of every segment, live paragraphs only, so BM25 equals a full build's."""

    def __init__(self, parts: list[WordIndex], bases: np.ndarray, live: np.ndarray):
        self.parts, self.bases, self.live = parts, bases, live
        self.lengths = np.concatenate([p.lengths for p in parts])
        self.count = int(live.sum())
        self.avg_length = float(np.mean(self.lengths[live])) if self.count else 1.0
        self.all_live = bool(live.all())
        self._df: dict[str, int] = {}

    def warm(self) -> None:
        for part in self.parts:
            part.warm()

    def postings(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        docs, tfs = [], []
        for part, base in zip(self.parts, self.bases):
            d, t = part.postings(word)
            docs.append(d + int(base))
            tfs.append(t)
        docs, tfs = np.concatenate(docs).astype(np.int32), np.concatenate(tfs)
        keep = self.live[docs]
        return docs[keep], tfs[keep]

    def total_words(self) -> int:
        """Words in the live paragraphs."""
        return int(self.lengths[self.live].sum(dtype=np.int64))

    def df(self, word: str) -> int:
        """Live paragraphs holding the word (remembered: a generation's counts never change)."""
        found = self._df.get(word)
        if found is None:
            if self.all_live:
                found = sum(part.df(word) for part in self.parts)
            else:
                found = len(self.postings(word)[0])
            if len(self._df) >= DF_CACHE:
                self._df.clear()
            self._df[word] = found
        return found

    def frequencies(self, words: list[str], ids: np.ndarray) -> dict[str, np.ndarray]:
        """Each segment's frequencies for its own ids, without joining the words' postings."""
        out = {word: np.zeros(len(ids)) for word in dict.fromkeys(words)}
        for k, at, local in split(ids, self.bases):
            for word, tf in self.parts[k].frequencies(words, local.astype(np.int32)).items():
                out[word][at] = tf
        return out


class MultiSimilar:
    """Similar lists of every segment, by global id (parts.SimilarLists): a segment's own lists and
    its links to the segments before it (similar.link) merged, removed paragraphs dropped, the best
    MAX_MATCHES kept, as one list over all segments would."""

    def __init__(self, parts: list[SimilarIndex], bases: np.ndarray, live: np.ndarray, links: list[tuple]):
        self.parts, self.bases, self.live = parts, bases, live
        size = int(bases[-1])
        pairs = np.concatenate([pair for pair, _cut in links], axis=1) if links else np.zeros((3, 0), np.int64)
        src = np.concatenate((pairs[0], pairs[1]))
        dst = np.concatenate((pairs[1], pairs[0]))
        order = np.lexsort((dst, src))
        self._dst, self._score = dst[order], np.concatenate((pairs[2], pairs[2]))[order]
        self._offsets = np.zeros(size + 1, np.int64)
        np.cumsum(np.bincount(src, minlength=size), out=self._offsets[1:])
        self._cut = np.zeros(size, bool)
        for _pair, cut in links:
            self._cut[cut] = True

    def _merged(self, pid: int) -> tuple[np.ndarray, bool]:
        """pid's live listed ids, best first, and whether more than MAX_MATCHES were found (none for
        a removed paragraph)."""
        if not self.live[pid]:
            return np.zeros(0, np.int64), False
        k = int(np.searchsorted(self.bases, pid, side="right") - 1)
        own, agree = self.parts[k].scored(pid - int(self.bases[k]))
        lo, hi = int(self._offsets[pid]), int(self._offsets[pid + 1])
        ids = np.concatenate((own.astype(np.int64) + int(self.bases[k]), self._dst[lo:hi]))
        score = np.concatenate((agree.astype(np.int64), self._score[lo:hi]))
        keep = self.live[ids]
        ids, score = ids[keep], score[keep]
        if hi > lo:
            order = np.lexsort((ids, -score))
            ids = ids[order]
        return ids[:MAX_MATCHES], len(ids) > MAX_MATCHES

    def listed(self, pid: int) -> np.ndarray:
        return self._merged(int(pid))[0]

    def counts_of(self, pids: np.ndarray) -> np.ndarray:
        return np.array([len(self.listed(pid)) for pid in np.asarray(pids).tolist()], dtype=np.int64)

    def counts(self, first: int, stop: int) -> np.ndarray:
        return self.counts_of(np.arange(first, stop))

    def _each(self, pids: np.ndarray, read) -> np.ndarray:
        """read(part, local ids) for every segment holding some of pids, put back in pids' order."""
        pids = np.asarray(pids, np.int64)
        out = np.zeros(len(pids), np.int64)
        for k, at, local in split(pids, self.bases):
            out[at] = read(self.parts[k], local)
        return out

    def compared(self, pids: np.ndarray) -> np.ndarray:
        return self._each(pids, SimilarIndex.compared).astype(bool)

    def more(self, pids: np.ndarray) -> np.ndarray:
        pids = np.asarray(pids, np.int64)
        own = self._each(pids, SimilarIndex.more).astype(bool)
        over = np.fromiter((self._merged(pid)[1] for pid in pids.tolist()), bool, len(pids))
        return own | self._cut[pids] | over

    def size(self) -> int:
        return int(self.bases[-1])

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Every segment's listed pairs and the links (uncapped: a paragraph with more than
        MAX_MATCHES gives them all), live ones only."""
        own = [part.pairs() for part in self.parts]
        a = np.concatenate([x + base for (x, _), base in zip(own, self.bases.tolist())] + [self._src_of_links()])
        b = np.concatenate([y + base for (_, y), base in zip(own, self.bases.tolist())] + [self._dst])
        keep = self.live[a] & self.live[b]
        return a[keep], b[keep]

    def _src_of_links(self) -> np.ndarray:
        return np.repeat(np.arange(len(self._offsets) - 1, dtype=np.int64), np.diff(self._offsets))


def mark_duplicates(reports: list[dict], duplicates: dict[str, list]) -> None:
    """Each live report's `duplicate_of` (the original's id, or None) and `copies` (the ids of its
    duplicates, in path order), from meta.json's duplicates (duplicates.py)."""
    copies: dict[str, list[str]] = {}
    for report in reports:
        found = duplicates.get(report["report_id"])
        report["duplicate_of"] = found[0] if found else None
        if found:
            copies.setdefault(found[0], []).append(report["report_id"])
    sources = {r["report_id"]: path_key(r["source"]) for r in reports}
    for report in reports:
        report["copies"] = sorted(copies.get(report["report_id"], []), key=sources.__getitem__)


def read_segments(generation: Path, meta: IndexMeta) -> dict:
    """The parts of a generation's segments joined: grams, words, similar loader, columns
    (place codes into meta's names), live reports (first_pid global), bases and the live mask."""
    segments = meta.segments
    folders = [generation / s.dir for s in segments]
    bases = np.cumsum([0] + [s.paragraphs for s in segments]).astype(np.int64)
    values = meta.values
    codes = {key: {v: i for i, v in enumerate(names)} for key, names in values.items()}
    deleted = {tuple(d) for d in meta.deleted_reports}  # (segment folder, report id)
    live = np.ones(int(bases[-1]), bool)
    columns: dict[str, list[np.ndarray]] = {}
    reports: list[dict] = []
    for segment, folder, base in zip(segments, folders, bases.tolist()):
        own = json.loads((folder / layout.SEGMENT).read_text(encoding="utf-8"))["values"]
        # the report column indexes the live reports (a removed report's paragraphs are never read through it)
        report_code = []
        headings = json.loads((folder / layout.HEADINGS).read_text(encoding="utf-8"))
        for report, contents in zip(json.loads((folder / layout.REPORTS).read_text(encoding="utf-8")), headings):
            report["headings"] = contents
            first = report["first_pid"] + base
            if (segment.dir, report["report_id"]) in deleted:
                live[first : first + report["paragraphs"]] = False
                report_code.append(0)
            else:
                report_code.append(len(reports))
                reports.append({**report, "first_pid": first})
        with np.load(folder / layout.COLUMNS) as cols:
            for name in cols.files:
                column = cols[name]
                if len(column) and name in own:  # the segment's place codes → the generation's
                    column = np.array([codes[name].get(v, 0) for v in own[name]], np.int32)[column]
                elif len(column) and name == "report":
                    column = np.array(report_code, np.int32)[column]
                columns.setdefault(name, []).append(column)
    joined = {name: np.concatenate(parts).astype(np.int32) for name, parts in columns.items()}
    mark_duplicates(reports, meta.duplicates)
    grams = [NgramIndex.load(folder, s.paragraphs) for folder, s in zip(folders, segments)]
    words = [WordIndex.load(folder) for folder in folders]
    single = len(segments) == 1 and live.all()
    return {
        "bases": bases,
        "live": live,
        "columns": joined,
        "reports": reports,
        "grams": grams[0] if single else MultiGrams(grams, bases),
        "words": words[0] if single else MultiWords(words, bases, live),
        "similar": (lambda: SimilarIndex.load(folders[0]))
        if single
        else (
            lambda: MultiSimilar(
                [SimilarIndex.load(f) for f in folders], bases, live, [similar.load_links(f) for f in folders]
            )
        ),
        "single": single,
    }
