"""Exact substring matching: character unigram and bigram postings, verified against the text.

Every paragraph's normalised text is kept in memory. A needle of one
character reads its unigram postings, which are exact; a longer needle intersects
the postings of its distinct bigrams, rarest first, and each candidate is checked
with a plain substring test, so recall and precision are both complete.

A posting list is a sorted array of paragraph ids, or, for a gram in more than one
paragraph in 32, a bitmap over all paragraphs (smaller, and intersected with a
bitwise test). Id lists, bitmaps and texts are compressed blocks (blocks.py), read
on first use, so opening an index costs little.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from itertools import repeat
from operator import contains
from pathlib import Path

import numpy as np

from indexer.engine import layout
from indexer.engine.blocks import BlockArray, BlockRows, BlockTexts
from indexer.engine.layout import DOC_BITS, DOC_MASK, MAX_PARAGRAPHS

_SHIFT = 21  # code points fit in 21 bits
#: How many paragraph ids the cache of recent answers may hold in all.
CACHE_IDS = 8_000_000
_SEP = ord("\n")  # normalised text never holds whitespace, so this separates paragraphs safely


def gram_keys(needle: str) -> list[int]:
    """Keys to look up for a needle: its character for one character, else its distinct bigrams."""
    codes = [ord(c) for c in needle]
    if len(codes) == 1:
        return [codes[0]]
    return sorted({((a + 1) << _SHIFT) | b for a, b in zip(codes, codes[1:])})


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


class NgramIndex:
    """Gram postings (arrays and bitmaps) and the normalised texts they are verified against."""

    def __init__(self, texts: BlockTexts, keys, slots, offsets, sizes, postings: BlockArray, bitmaps: BlockRows):
        self.texts = texts        # normalised paragraph texts
        self.count = len(texts)
        self.keys = keys          # sorted gram keys
        self.slots = slots        # per key: bitmap row, or -1 when the key has a sorted id list
        self.offsets = offsets    # per key: start of its id list in postings (len(keys) + 1)
        self.sizes = sizes        # per key: how many paragraphs hold it
        self.postings = postings  # int32 paragraph ids, as sorted lists
        self.bitmaps = bitmaps    # uint8 rows of ceil(count / 8) bytes, big-endian bit order
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cached_ids = 0
        self._cache_lock = threading.Lock()

    # -- building -------------------------------------------------------------------------------

    @staticmethod
    def write(directory: Path, texts: list[str], chunks: list[np.ndarray]) -> None:
        """Write the index for normalised texts from the packed gram arrays of their chunks."""
        count = len(texts)
        if count > MAX_PARAGRAPHS:
            raise ValueError(f"an index holds at most {MAX_PARAGRAPHS} paragraphs, not {count}")
        packed = np.concatenate(chunks) if chunks else np.zeros(0, np.int64)
        packed.sort(kind="stable")  # chunks are sorted runs: a merge
        keys_all = packed >> DOC_BITS
        docs_all = (packed & DOC_MASK).astype(np.int32)
        del packed
        starts = np.flatnonzero(np.diff(keys_all, prepend=-1)) if len(keys_all) else np.zeros(0, np.int64)
        keys = keys_all[starts]
        bounds = np.append(starts, len(keys_all))
        sizes = np.diff(bounds).astype(np.int32)
        dense = sizes * 32 > count
        slots = np.full(len(keys), -1, np.int32)
        slots[dense] = np.arange(int(dense.sum()), dtype=np.int32)
        nbytes = (count + 7) // 8
        bitmaps = np.zeros((int(dense.sum()), nbytes), np.uint8)
        for row, i in enumerate(np.flatnonzero(dense)):
            bits = np.zeros(nbytes * 8, bool)
            bits[docs_all[bounds[i]:bounds[i + 1]]] = True
            bitmaps[row] = np.packbits(bits)
        sparse = np.repeat(~dense, sizes)
        postings = docs_all[sparse]
        offsets = np.zeros(len(keys) + 1, np.int64)
        offsets[1:] = np.cumsum(np.where(dense, 0, sizes))
        for name, array in (("keys", keys), ("slots", slots), ("offsets", offsets), ("sizes", sizes)):
            np.save(layout.part(directory, layout.GRAMS, f"{name}.npy"), array)
        BlockArray.save(layout.part(directory, layout.GRAMS, "postings"), postings, starts=np.unique(offsets[:-1]))
        BlockRows.save(layout.part(directory, layout.GRAMS, "bitmaps"), bitmaps)
        BlockTexts.save(directory / layout.TEXTS, texts)

    @classmethod
    def load(cls, directory: Path, count: int) -> "NgramIndex":
        """Open the index of `count` paragraphs in directory."""
        keys, slots, offsets, sizes = (np.load(layout.part(directory, layout.GRAMS, f"{name}.npy"))
                                       for name in ("keys", "slots", "offsets", "sizes"))
        texts = BlockTexts(directory / layout.TEXTS)
        if len(texts) != count:
            raise ValueError(f"{directory}: the texts hold {len(texts)} paragraphs, expected {count}")
        return cls(texts, keys, slots, offsets, sizes, BlockArray(layout.part(directory, layout.GRAMS, "postings")),
                   BlockRows(layout.part(directory, layout.GRAMS, "bitmaps")))

    def warm(self) -> None:
        """Decompress every block now rather than on first use."""
        self.texts.warm()
        self.postings.warm()
        self.bitmaps.warm()

    # -- reading --------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self.count

    def _lookup(self, key: int) -> tuple[int, int]:
        """(slot, index) of a key: slot >= 0 for a bitmap; index -1 when the key is absent."""
        i = int(np.searchsorted(self.keys, key))
        if i >= len(self.keys) or int(self.keys[i]) != key:
            return -1, -1
        return int(self.slots[i]), i

    def _list(self, i: int) -> np.ndarray:
        """The sorted id list of key i (a key without a bitmap)."""
        return self.postings.get(int(self.offsets[i]), int(self.offsets[i + 1]))

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
        """An upper bound on how many paragraphs contain needle: its rarest gram's count."""
        if not needle:
            return self.count
        return min((int(self.sizes[i]) if i >= 0 else 0) for _, i in map(self._lookup, gram_keys(needle)))

    def find_within(self, needle: str, within: np.ndarray) -> np.ndarray:
        """find(needle) ∩ within (sorted ids), checking only the candidates inside `within`."""
        with self._cache_lock:
            cached = self._cache.get(needle)
        if cached is not None:
            return intersect_sorted(within, cached)
        return self._find(needle, within)

    def _find(self, needle: str, within: np.ndarray | None = None) -> np.ndarray:
        if not needle:
            return np.arange(self.count, dtype=np.int32) if within is None else within
        found = [self._lookup(k) for k in gram_keys(needle)]
        if any(i < 0 for _, i in found):
            return np.zeros(0, np.int32)
        dense = [slot for slot, _ in found if slot >= 0]
        sparse = sorted((i for slot, i in found if slot < 0), key=lambda i: int(self.sizes[i]))
        if sparse:
            result = self._list(sparse[0])
            for i in sparse[1:]:
                if len(result) < 64 and len(result) * 4 < int(self.sizes[i]):
                    break  # few candidates left: checking the text is cheaper than intersecting
                result = intersect_sorted(result, self._list(i))
            for slot in dense:
                if len(result) == 0:
                    break
                row = self.bitmaps[slot]
                result = result[(row[result >> 3] >> (7 - (result & 7)) & 1).astype(bool)]
        else:
            acc = np.array(self.bitmaps[dense[0]])
            for slot in dense[1:]:
                acc &= self.bitmaps[slot]
            result = np.flatnonzero(np.unpackbits(acc)[: self.count]).astype(np.int32)
        if within is not None:
            result = intersect_sorted(within, result)
        if len(found) == 1 and len(needle) <= 2:
            return result.astype(np.int32)  # one unigram or bigram list is exact
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
