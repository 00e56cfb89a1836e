"""Frequent phrases: exact paragraph lists for the substrings that many paragraphs share.

A needle made of common pieces (法治政府建设) has hundreds of thousands of candidates in
the intersection of its bigram lists, and reading and testing each candidate's text is
most of the time such a query takes. So the build stores the exact list of every
substring of 3 to MAX_LENGTH characters that occurs at least MIN_SHARE times per
paragraph, as a bitmap over the paragraphs (postings.py). A needle that is such a phrase reads its list and is done; a longer or rarer one
intersects the lists of the longest phrases inside it (and its other bigrams) and
verifies the candidates as before (grams.py), so answers never depend on the table.

The phrases are found apriori-style, one length at a time: a k-character string can
only be frequent if its (k-1)-character prefix and suffix are. A phrase is keyed
exactly, without hashing, as (id of its (k-1)-character prefix << 21) | its last code
point, a bigram as in grams.py; ids are positions in the table, which is sorted by
length, then key. The phrases are chosen on an even sample of the paragraphs; each
stored list is computed over all of them.

At 1M generated paragraphs (MIN_SHARE 2%, up to 8 characters): some 5,500 phrases,
240 MB of bitmaps (the index grows a fifth), 30 s of build; the slowest queries went
from 300 ms to 60 ms.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from indexer.engine import layout
from indexer.engine.postings import Postings

#: A phrase is stored when it occurs at least this many times per paragraph ...
MIN_SHARE = 0.02
#: ... and at least this many times (small collections need no table).
MIN_PARAGRAPHS = 64
#: At most this many phrases of 3 characters or more (each a bitmap): the bar rises until they fit.
MAX_PHRASES = 20_000
#: The longest phrase stored, in characters.
MAX_LENGTH = 8
#: Bytes of marks (phrases × paragraphs) per step of the pass that finds the lists.
MARKS = 1 << 26
#: Texts marked at a time (their code points are held as several int64 arrays).
TEXTS_PER_STEP = 8192
#: Paragraphs the phrases are chosen on (every paragraph in a smaller collection).
SAMPLE = 50_000

_SHIFT = 21  # code points fit in 21 bits
_MASK = (1 << _SHIFT) - 1
_SEP = ord("\n")  # normalised text never holds whitespace, so this separates paragraphs safely


class PhraseTable:
    """The stored phrases (keys by length) and their exact paragraph lists."""

    def __init__(self, keys: np.ndarray, starts: np.ndarray, postings: Postings):
        self.keys = keys  # sorted keys of each length, from 2 characters up, one run after another
        self.starts = starts  # where the run of each length starts in keys (2, 3, ...), and the end
        self.postings = postings  # keyed by phrase id (position in keys); phrases of 3 characters or more
        self.max_length = len(starts)  # runs for lengths 2 .. len(starts) (starts has one more entry)

    @classmethod
    def load(cls, directory: Path, count: int) -> "PhraseTable":
        # thousands of bitmaps (690 MB at 1M paragraphs): decompressed at each use, not kept
        return cls(
            np.load(layout.part(directory, layout.PHRASES, "table.npy")),
            np.load(layout.part(directory, layout.PHRASES, "starts.npy")),
            Postings.load(directory, layout.PHRASES, count, keep_bitmaps=False),
        )

    def warm(self) -> None:
        self.postings.warm()

    def _id(self, length: int, key: int) -> int:
        """The id of a phrase of `length` characters with this key, or -1 when it is not stored."""
        if length > self.max_length:
            return -1
        lo, hi = int(self.starts[length - 2]), int(self.starts[length - 1])
        i = lo + int(np.searchsorted(self.keys[lo:hi], key))
        return i if i < hi and int(self.keys[i]) == key else -1

    def cover(self, needle: str) -> list[tuple[int, int, int]]:
        """The longest stored phrases (3 characters or more) inside needle, none inside another.

        Each is (start, end, index in postings), the index -1 for a phrase no paragraph holds.
        """
        codes = [ord(c) for c in needle]
        found: list[tuple[int, int, int]] = []
        reach = 0
        for i in range(len(codes) - 2):
            pid = self._id(2, ((codes[i] + 1) << _SHIFT) | codes[i + 1])
            end = i + 2
            while pid >= 0 and end < len(codes):
                longer = self._id(end - i + 1, (pid << _SHIFT) | codes[end])
                if longer < 0:
                    break
                pid, end = longer, end + 1
            if end - i >= 3 and end > reach:  # not inside the phrase found from an earlier start
                found.append((i, end, self.postings.find(pid)))
                reach = end
        return found


def write(
    directory: Path,
    texts: list[str],
    min_share: float = MIN_SHARE,
    min_paragraphs: int = MIN_PARAGRAPHS,
    max_length: int = MAX_LENGTH,
    sample: int = SAMPLE,
) -> None:
    """Choose the frequent phrases of the normalised texts and save them with their exact lists."""
    count = len(texts)
    step = max(1, math.ceil(count / sample))
    chosen = texts[::step]
    bar = max(1, math.ceil(min_paragraphs / step), math.ceil(min_share * len(chosen)))
    keys, starts = choose(chosen, bar, max_length)
    while len(keys) - _first(starts) > MAX_PHRASES:
        bar *= 2
        keys, starts = choose(chosen, bar, max_length)
    first = _first(starts)
    rows = np.zeros((len(keys) - first, (count + 7) // 8), np.uint8)
    if len(rows):
        lookup = _Lookup(keys, starts)
        # a step starts on a byte of the bitmaps; its marks and its texts' code arrays stay small
        step = max(8, min(MARKS // len(rows), TEXTS_PER_STEP) // 8 * 8)
        for lo in range(0, count, step):
            part = texts[lo : lo + step]
            marks = np.zeros((len(rows), len(part)), bool)
            ids, docs = chunk_phrases(part, lookup)
            marks[ids - first, docs] = True
            rows[:, lo // 8 : lo // 8 + (len(part) + 7) // 8] = np.packbits(marks, axis=1)
    np.save(layout.part(directory, layout.PHRASES, "table.npy"), keys)
    np.save(layout.part(directory, layout.PHRASES, "starts.npy"), starts)
    Postings.write_bitmaps(directory, layout.PHRASES, np.arange(first, len(keys)), rows, count)


def _first(starts: np.ndarray) -> int:
    """The id of the first phrase of 3 characters or more (those have lists)."""
    return int(starts[min(1, len(starts) - 1)])


def _codes(texts: list[str]) -> np.ndarray:
    """Code points of the texts, each followed by a separator."""
    return np.frombuffer(("\n".join(texts) + "\n").encode("utf-32-le"), dtype=np.uint32).astype(np.int64)


def choose(texts: list[str], min_count: int, max_length: int) -> tuple[np.ndarray, np.ndarray]:
    """The keys of every string of 2 to max_length characters found at least min_count times in the texts.

    Returns the keys (a sorted run per length) and where each run starts, then the end.
    Occurrences are counted rather than paragraphs (a bincount, no sorting): a string
    occurs at least as often as any longer one that starts or ends with it, which is
    all the search needs.
    """
    codes = _codes(texts)
    counts = np.bincount(codes)
    counts[_SEP] = 0
    chars = np.flatnonzero(counts >= min_count)  # the characters of frequent strings, ascending
    width = len(chars)
    column = np.full(len(counts), -1, np.int64)
    column[chars] = np.arange(width)
    column = column[codes]
    at = np.flatnonzero((column[:-1] >= 0) & (column[1:] >= 0))
    candidates = column[at] * width + column[at + 1]
    runs: list[np.ndarray] = []
    base = 0
    for length in range(2, max_length + 1):
        rows = width if length == 2 else len(runs[-1])
        frequent = np.flatnonzero(np.bincount(candidates, minlength=rows * width) >= min_count)
        if len(frequent) == 0:
            break
        prefixes = chars[frequent // width] + 1 if length == 2 else base + frequent // width
        runs.append((prefixes << _SHIFT) | chars[frequent % width])  # sorted, as frequent is
        if length > 2:
            base += len(runs[-2])
        # the string at each position as an index into this run (-1 where it is not frequent) ...
        index = np.full(rows * width, -1, np.int64)
        index[frequent] = np.arange(len(frequent))
        ids = index[candidates]
        keep = ids >= 0
        at, ids = at[keep], ids[keep]
        # ... and the candidates one longer: both the string at i and the one at i + 1 frequent
        after = np.full(len(codes), -1, np.int64)
        after[at] = ids
        keep = (at + 1 < len(codes)) & (after[np.minimum(at + 1, len(codes) - 1)] >= 0)
        at, ids = at[keep], ids[keep]
        candidates = ids * width + column[at + length]
    starts = np.cumsum([0] + [len(r) for r in runs]).astype(np.int64)
    return (np.concatenate(runs) if runs else np.zeros(0, np.int64)).astype(np.int64), starts


class _Lookup:
    """The table as dense arrays for the build's pass over every position: a gather per
    position and length instead of a binary search (several times faster)."""

    def __init__(self, table: np.ndarray, starts: np.ndarray):
        self.starts = starts
        two = table[starts[0] : starts[1]]
        chars = np.unique(np.concatenate([(two >> _SHIFT) - 1, table & _MASK]))
        self.width = len(chars)
        self.char = np.full(int(chars[-1]) + 2 if len(chars) else 1, -1, np.int64)
        self.char[chars] = np.arange(len(chars))
        first, second = self.char[(two >> _SHIFT) - 1], self.char[two & _MASK]
        self.dense = [self._array(first, second, len(chars), 0, len(two))]
        for length in range(3, len(starts) + 1):
            lo, hi = int(starts[length - 2]), int(starts[length - 1])
            run = table[lo:hi]
            prefix_lo = int(starts[length - 3])
            prefixes = (run >> _SHIFT) - prefix_lo
            self.dense.append(self._array(prefixes, self.char[run & _MASK], lo - prefix_lo, lo, hi))

    def _array(self, row: np.ndarray, column: np.ndarray, rows: int, lo: int, hi: int) -> np.ndarray:
        dense = np.full(rows * self.width, -1, np.int32)
        dense[row * self.width + column] = np.arange(lo, hi, dtype=np.int32)
        return dense

    def columns(self, codes: np.ndarray) -> np.ndarray:
        """Each code point's column (-1 for a character in no phrase)."""
        return self.char[np.minimum(codes, len(self.char) - 1)]


def chunk_phrases(texts: list[str], lookup: _Lookup) -> tuple[np.ndarray, np.ndarray]:
    """Every occurrence of a stored phrase of 3 characters or more in the texts: (phrase ids, text indexes)."""
    if not texts or len(lookup.starts) < 3:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    codes = _codes(texts)
    lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))
    docs = np.repeat(np.arange(len(texts)), lengths)
    column = lookup.columns(codes)  # the separator is in no phrase: its column is -1
    width = lookup.width
    at = np.flatnonzero((column[:-1] >= 0) & (column[1:] >= 0))  # where a string of the table may start
    ids = lookup.dense[0][column[at] * width + column[at + 1]]
    found_ids, found_at = [], []
    for length in range(3, len(lookup.starts) + 1):
        keep = ids >= 0
        at, ids = at[keep], ids[keep]
        nxt = column[np.minimum(at + length - 1, len(column) - 1)]
        keep = nxt >= 0
        at, ids, nxt = at[keep], ids[keep], nxt[keep]
        ids = lookup.dense[length - 2][(ids - int(lookup.starts[length - 3])) * width + nxt]
        hit = ids >= 0
        found_ids.append(ids[hit])
        found_at.append(at[hit])
    return np.concatenate(found_ids).astype(np.int64), docs[np.concatenate(found_at)]
