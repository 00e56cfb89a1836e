"""Exact substring matching: character unigram and bigram postings, verified against the text.

Every paragraph's normalised text is kept in memory. A needle of one or two
characters reads its unigram or bigram postings, which are exact, and so does a
longer needle that is a frequent phrase (phrases.py). Any other needle intersects
the lists of the longest frequent phrases inside it and of its other distinct
bigrams, rarest first, and each candidate is checked with a plain substring test,
so recall and precision are both complete.

Posting lists are sorted id arrays or bitmaps (postings.py); lists, bitmaps and
texts are compressed blocks (blocks.py), read on first use, so opening an index
costs little.
"""

from __future__ import annotations

import codecs
import threading
from collections import OrderedDict
from itertools import repeat
from operator import contains
from pathlib import Path

import numpy as np

from indexer.engine import layout
from indexer.engine.blocks import BlockTexts
from indexer.engine.layout import DOC_BITS, MAX_PARAGRAPHS
from indexer.engine.phrases import PhraseTable
from indexer.engine.phrases import write as write_phrases
from indexer.engine.postings import Postings, bitmap_ids

_SHIFT = 21  # code points fit in 21 bits
#: How many paragraph ids the cache of recent answers may hold in all.
CACHE_IDS = 8_000_000
_SEP = ord("\n")  # normalised text never holds whitespace, so this separates paragraphs safely


def gram_keys(needle: str, outside: list[tuple[int, int]] = ()) -> list[int]:
    """Keys to look up for a needle: its character for one character, else its distinct bigrams
    (leaving out those inside the spans `outside`, as (start, end))."""
    codes = [ord(c) for c in needle]
    if len(codes) == 1:
        return [codes[0]]
    return sorted(
        {
            ((a + 1) << _SHIFT) | b
            for p, (a, b) in enumerate(zip(codes, codes[1:]))
            if not any(lo <= p and p + 2 <= hi for lo, hi in outside)
        }
    )


def chunk_grams(texts: list[str], first_doc: int) -> np.ndarray:
    """Sorted, distinct (gram key << DOC_BITS | paragraph id) for a chunk of normalised texts."""
    if not texts:
        return np.zeros(0, np.int64)
    joined = "\n".join(texts) + "\n"
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))
    docs = np.repeat(np.arange(first_doc, first_doc + len(texts), dtype=np.int64), lengths)
    valid = codes != _SEP
    pair = valid[:-1] & valid[1:]
    keys = np.concatenate((codes[valid], ((codes[:-1][pair] + 1) << _SHIFT) | codes[1:][pair]))
    doc_ids = np.concatenate((docs[valid], docs[:-1][pair]))
    packed = np.sort((keys << DOC_BITS) | doc_ids)
    keep = np.ones(len(packed), bool)
    keep[1:] = packed[1:] != packed[:-1]
    return packed[keep]


# Texts become code points through UTF-32. The codec is looked up with this module, so the build's
# forked processes find it cached rather than importing it (the code may have changed on disk since).
codecs.lookup("utf-32-le")


class NgramIndex:
    """Gram postings, frequent-phrase lists, and the normalised texts they are verified against."""

    def __init__(self, texts: BlockTexts, grams: Postings, phrases: PhraseTable):
        self.texts = texts  # normalised paragraph texts
        self.count = len(texts)
        self.grams = grams  # unigram and bigram postings, keyed as in gram_keys
        self.phrases = phrases  # exact lists of the frequent longer phrases (phrases.py)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cached_ids = 0
        self._cache_lock = threading.Lock()

    # -- building -------------------------------------------------------------------------------

    @staticmethod
    def write(directory: Path, texts: list[str], chunks: list[np.ndarray], **phrase_options) -> None:
        """Write the index for normalised texts from the packed gram arrays of their chunks.

        phrase_options are passed to phrases.write (the tests lower its thresholds).
        """
        NgramIndex.write_grams(directory, texts, chunks)
        write_phrases(directory, texts, **phrase_options)

    @staticmethod
    def write_grams(directory: Path, texts: list[str], chunks: list[np.ndarray]) -> None:
        """The gram postings and the texts, without the phrases (phrases.write adds those).
        The chunks list is emptied once its runs are merged (so their arrays can be freed)."""
        count = len(texts)
        if count > MAX_PARAGRAPHS:
            raise ValueError(f"an index holds at most {MAX_PARAGRAPHS} paragraphs, not {count}")
        Postings.write(directory, layout.GRAMS, chunks, count)
        BlockTexts.save(directory / layout.TEXTS, texts)

    @classmethod
    def load(cls, directory: Path, count: int) -> "NgramIndex":
        """Open the index of `count` paragraphs in directory."""
        texts = BlockTexts(directory / layout.TEXTS)
        if len(texts) != count:
            raise ValueError(f"{directory}: the texts hold {len(texts)} paragraphs, expected {count}")
        return cls(texts, Postings.load(directory, layout.GRAMS, count), PhraseTable.load(directory, count))

    def warm(self) -> None:
        """Decompress every block now rather than on first use."""
        self.texts.warm()
        self.grams.warm()
        self.phrases.warm()

    # -- reading --------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self.count

    def find(self, needle: str) -> np.ndarray:
        """Sorted ids of the paragraphs whose normalised text contains the normalised needle.

        Recent answers are cached (researchers repeat their terms and combine them), up
        to CACHE_IDS ids in all; the arrays are read-only, so callers cannot alter them.
        """
        with self._cache_lock:
            cached = self._cache.get(needle)
            if cached is not None:
                self._cache.move_to_end(needle)
                return cached
        result = self._find(needle)
        result.flags.writeable = False
        with self._cache_lock:
            self._cache[needle] = result
            self._cached_ids += len(result)
            while self._cached_ids > CACHE_IDS and len(self._cache) > 1:
                _, old = self._cache.popitem(last=False)
                self._cached_ids -= len(old)
        return result

    def clear_cache(self) -> None:
        with self._cache_lock:
            self._cache.clear()
            self._cached_ids = 0

    def estimate(self, needle: str) -> int:
        """An upper bound on how many paragraphs contain needle: its rarest list's length."""
        if not needle:
            return self.count
        lists, _ = self._lists(needle)
        return min((store.size(i) for store, i in lists), default=0)

    def find_within(self, needle: str, within: np.ndarray) -> np.ndarray:
        """find(needle) ∩ within (sorted ids), checking only the candidates inside `within`."""
        with self._cache_lock:
            cached = self._cache.get(needle)
        if cached is not None:
            return intersect_sorted(within, cached)
        return self._find(needle, within)

    def _lists(self, needle: str) -> tuple[list[tuple[Postings, int]], bool]:
        """The posting lists every paragraph holding needle is in, and whether they are exact.

        One character: its unigram list, exact. Two: the bigram's, exact. Longer: the list of
        the needle itself when it is a stored phrase (exact), else those of the longest
        phrases inside it and of the bigrams outside them. No lists at all when one of the
        pieces occurs nowhere.
        """
        if len(needle) >= 3:
            cover = self.phrases.cover(needle)
            if any(i < 0 for _, _, i in cover):
                return [], True
            if cover and cover[0][:2] == (0, len(needle)):
                return [(self.phrases.postings, cover[0][2])], True
            spans = [(lo, hi) for lo, hi, _ in cover]
            keys = gram_keys(needle, outside=spans)
        else:
            cover, keys = [], gram_keys(needle)
        found = [(self.grams, self.grams.find(k)) for k in keys]
        if any(i < 0 for _, i in found):
            return [], True
        return found + [(self.phrases.postings, i) for _, _, i in cover], len(needle) <= 2

    def _find(self, needle: str, within: np.ndarray | None = None) -> np.ndarray:
        if not needle:
            return np.arange(self.count, dtype=np.int32) if within is None else within
        lists, exact = self._lists(needle)
        if not lists:
            return np.zeros(0, np.int32)
        dense = [(store, i) for store, i in lists if store.is_dense(i)]
        sparse = sorted((item for item in lists if not item[0].is_dense(item[1])), key=lambda s: s[0].size(s[1]))
        # start from the shortest list (or from `within`); bitmaps are applied last, as bit tests
        from_within = within is not None and (not sparse or len(within) <= sparse[0][0].size(sparse[0][1]))
        if from_within:
            result = np.asarray(within, dtype=np.int32)
        elif sparse:
            store, i = sparse.pop(0)
            result = store.ids(i)
        else:
            store, i = dense.pop(0)
            acc = np.array(store.bitmap(i))
            for store, i in dense:
                acc &= store.bitmap(i)
            result, dense = bitmap_ids(acc, self.count), []
        for store, i in sparse:
            if not exact and len(result) < 64 and len(result) * 4 < store.size(i):
                break  # few candidates left: checking the text is cheaper than intersecting
            result = intersect_sorted(result, store.ids(i))
        if within is not None and not from_within:
            result = intersect_sorted(result, within)
        for store, i in dense:
            if len(result) == 0:
                break
            row = store.bitmap(i)
            result = result[(row[result >> 3] >> (7 - (result & 7)) & 1).astype(bool)]
        if exact:
            return result.astype(np.int32)
        return self.verify(result, needle)

    def verify(self, candidates: np.ndarray, needle: str) -> np.ndarray:
        """The candidates whose normalised text really contains needle."""
        texts = self.texts.many(candidates)
        keep = np.fromiter(map(contains, texts, repeat(needle)), bool, len(texts))
        return np.asarray(candidates, dtype=np.int32)[keep]

    def occurrences(self, ids: np.ndarray, needles: list[str]) -> np.ndarray:
        """How many times the needles occur in each paragraph (non-overlapping counts)."""
        texts = self.texts.many(ids)
        total = np.zeros(len(ids))
        for needle in needles:
            total += np.fromiter(map(str.count, texts, repeat(needle)), float, len(texts))
        return total


def intersect_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Ids in both sorted arrays of distinct ids."""
    if len(a) * 16 < len(b):
        pos = np.searchsorted(b, a)
        pos[pos >= len(b)] = 0
        return a[b[pos] == a]
    return np.intersect1d(a, b, assume_unique=True)
