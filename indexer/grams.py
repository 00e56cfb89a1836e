"""Exact substring matching: character unigram and bigram postings in arrays, verified against the text.

Every paragraph's normalised text is kept. A needle of one character is looked
up in the unigram postings (exact). A longer needle intersects the postings of
its bigrams, rarest first, and each candidate is then checked with a plain
substring test, so recall and precision are both complete.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

_SEP = "\n"  # normalised text never holds whitespace, so this separates paragraphs safely
_DOC_BITS = 21
_SHIFT = 21  # code points fit in 21 bits


def _unigram_keys(codes: np.ndarray) -> np.ndarray:
    return codes


def _bigram_keys(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    return ((first + 1) << _SHIFT) | second


def gram_keys(needle: str) -> list[int]:
    """Keys to look up for a needle: its character for one character, else its distinct bigrams."""
    codes = [ord(c) for c in needle]
    if len(codes) == 1:
        return [codes[0]]
    return sorted({((a + 1) << _SHIFT) | b for a, b in zip(codes, codes[1:])})


class NgramIndex:
    """Unigram and bigram postings over a list of normalised paragraph texts."""

    def __init__(self, texts: list[str], keys: np.ndarray, offsets: np.ndarray, postings: np.ndarray):
        self.texts = texts
        self.keys = keys
        self.offsets = offsets
        self.postings = postings

    @classmethod
    def build(cls, texts: list[str], chunk: int = 50_000) -> "NgramIndex":
        """Build postings for texts (a chunk of paragraphs at a time, to bound memory)."""
        parts = []
        for lo in range(0, len(texts), chunk):
            parts.append(_chunk_pairs(texts[lo: lo + chunk], lo))
        if parts:
            keys_all = np.concatenate([p[0] for p in parts])
            docs_all = np.concatenate([p[1] for p in parts])
            order = np.lexsort((docs_all, keys_all))
            keys_all, docs_all = keys_all[order], docs_all[order]
        else:
            keys_all = np.zeros(0, np.int64)
            docs_all = np.zeros(0, np.int64)
        if len(keys_all):
            change = np.flatnonzero(np.diff(keys_all)) + 1
            starts = np.concatenate(([0], change))
            keys = keys_all[starts]
            offsets = np.concatenate((starts, [len(keys_all)])).astype(np.int64)
        else:
            keys = np.zeros(0, np.int64)
            offsets = np.zeros(1, np.int64)
        return cls(list(texts), keys, offsets, docs_all.astype(np.int32))

    def save(self, directory: Path) -> None:
        np.savez(directory / "grams.npz", keys=self.keys, offsets=self.offsets,
                 postings=self.postings, count=np.int64(len(self.texts)))
        (directory / "norm.txt").write_text(_SEP.join(self.texts), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> "NgramIndex":
        with np.load(directory / "grams.npz") as data:
            keys, offsets, postings = data["keys"], data["offsets"], data["postings"]
            count = int(data["count"])
        raw = (directory / "norm.txt").read_text(encoding="utf-8")
        texts = raw.split(_SEP) if count else []
        if len(texts) != count:
            raise ValueError(f"{directory}: norm.txt holds {len(texts)} paragraphs, expected {count}")
        return cls(texts, keys, offsets, postings)

    def __len__(self) -> int:
        return len(self.texts)

    def postings_for(self, key: int) -> np.ndarray:
        i = int(np.searchsorted(self.keys, key))
        if i >= len(self.keys) or self.keys[i] != key:
            return self.postings[:0]
        return self.postings[self.offsets[i]: self.offsets[i + 1]]

    def find(self, needle: str) -> np.ndarray:
        """Sorted ids of the paragraphs whose normalised text contains the normalised needle."""
        if not needle:
            return np.arange(len(self.texts), dtype=np.int32)
        lists = sorted((self.postings_for(k) for k in gram_keys(needle)), key=len)
        result = lists[0]
        for other in lists[1:]:
            if len(result) == 0 or len(result) * 4 < len(other) and len(result) < 64:
                break  # few candidates left: checking the text is cheaper than intersecting
            result = _intersect(result, other)
        if len(needle) <= 2 and len(lists) == 1:
            return result  # one unigram or bigram posting list is exact
        texts = self.texts
        return np.fromiter((d for d in result.tolist() if needle in texts[d]), dtype=np.int32)


def _intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if len(a) * 16 < len(b):
        pos = np.searchsorted(b, a)
        pos[pos >= len(b)] = 0
        return a[b[pos] == a]
    return np.intersect1d(a, b, assume_unique=True)


def _chunk_pairs(texts: list[str], first_doc: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (gram key, doc id) pairs of a chunk of texts, as two arrays."""
    joined = _SEP.join(texts) + _SEP
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))
    docs = np.repeat(np.arange(first_doc, first_doc + len(texts), dtype=np.int64), lengths)
    valid = codes != ord(_SEP)
    pair = valid[:-1] & valid[1:]
    keys = np.concatenate((_unigram_keys(codes[valid]), _bigram_keys(codes[:-1][pair], codes[1:][pair])))
    doc_ids = np.concatenate((docs[valid], docs[:-1][pair]))
    # Deduplicate (key, doc) pairs: pack both into one int64 where they fit.
    local = doc_ids - first_doc
    if len(texts) < (1 << _DOC_BITS):
        packed = np.unique((keys << _DOC_BITS) | local)
        return packed >> _DOC_BITS, (packed & ((1 << _DOC_BITS) - 1)) + first_doc
    order = np.lexsort((doc_ids, keys))
    keys, doc_ids = keys[order], doc_ids[order]
    keep = np.ones(len(keys), bool)
    keep[1:] = (keys[1:] != keys[:-1]) | (doc_ids[1:] != doc_ids[:-1])
    return keys[keep], doc_ids[keep]
