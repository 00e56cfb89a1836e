"""jieba-word postings and BM25, computed over arrays for every match at once.

The formula is Whoosh's BM25F for one field (B=0.75, K1=1.2, idf = log(N/(df+1)) + 1),
so scores agree with Whoosh's own scorer over the same words (see tests/test_ranking.py),
but a whole result set is scored in a few vectorised NumPy steps instead of a Python loop.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from itertools import chain, count
from pathlib import Path

import numpy as np

from indexer.engine import layout
from indexer.engine.blocks import BlockArray
from indexer.engine.layout import DOC_BITS, DOC_MASK
from indexer.text.normalize import KEPT_MARKS

B = 0.75
K1 = 1.2
_TF_BITS = 8
_DOC_SHIFT = _TF_BITS
_WORD_SHIFT = DOC_BITS + _TF_BITS  # paragraph id and tf below the word id


@dataclass
class ChunkWords:
    """The jieba words of a chunk of paragraphs as postings, one per word and paragraph, sorted by
    word (in UTF-8 order, as Whoosh's term index needs), then paragraph.

    Postings of vocab[i] are bounds[i]:bounds[i+1]; a posting's positions (counting every
    token, clause marks too) are positions[starts[k] : starts[k] + tfs[k]]."""

    vocab: list[str]
    bounds: np.ndarray
    docs: np.ndarray
    tfs: np.ndarray
    starts: np.ndarray
    positions: np.ndarray
    lengths: np.ndarray  # words per paragraph, clause marks not counted


def chunk_postings(tokens: list[list[str]]) -> ChunkWords:
    """Postings of every word of the paragraphs' jieba tokens (clause marks hold positions but
    are not words), over arrays: tokens get ids once, and one sort orders the occurrences."""
    vocab: dict[str, int] = defaultdict(count().__next__)  # a new word gets the next id, all in C
    ids = np.fromiter(map(vocab.__getitem__, chain.from_iterable(tokens)), np.int64)
    sizes = np.fromiter(map(len, tokens), np.int64, len(tokens))
    names = list(vocab)
    order = sorted(range(len(names)), key=names.__getitem__)  # str order is UTF-8 byte order
    rank = np.empty(len(names), np.int64)
    rank[order] = np.arange(len(names))
    doc = np.repeat(np.arange(len(tokens), dtype=np.int64), sizes)
    pos = np.arange(len(ids), dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    marks = [vocab[m] for m in KEPT_MARKS if m in vocab]
    keep = ~np.isin(ids, marks) if marks else np.ones(len(ids), bool)
    # One int64 key per occurrence: word rank, paragraph, position, each in as many bits as it needs.
    pos_bits = int(sizes.max(initial=1)).bit_length()
    doc_bits = len(tokens).bit_length()
    if len(names).bit_length() + doc_bits + pos_bits > 63:
        raise ValueError("too many words, paragraphs or positions in one chunk")
    key = np.sort((rank[ids[keep]] << (doc_bits + pos_bits)) | (doc[keep] << pos_bits) | pos[keep])
    posting = key >> pos_bits  # word and paragraph
    starts = np.flatnonzero(np.diff(posting, prepend=-1)) if len(key) else np.zeros(0, np.int64)
    word = posting[starts] >> doc_bits
    present = np.flatnonzero(np.bincount(word, minlength=len(names)))  # ranks of words, not marks
    bounds = np.searchsorted(word, np.append(present, len(names)))
    return ChunkWords(
        vocab=[names[order[r]] for r in present.tolist()],
        bounds=bounds,
        docs=posting[starts] & ((1 << doc_bits) - 1),
        tfs=np.diff(np.append(starts, len(key))),
        starts=starts,
        positions=key & ((1 << pos_bits) - 1),
        lengths=np.bincount(doc[keep], minlength=len(tokens)).astype(np.int32),
    )


def chunk_words(chunk: ChunkWords, first_doc: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    """What WordIndex.write merges of a chunk: (local vocabulary, packed postings, lengths in words).
    Packed postings are local word id << 29 | paragraph id << 8 | min(tf, 255)."""
    wid = np.repeat(np.arange(len(chunk.vocab), dtype=np.int64), np.diff(chunk.bounds))
    packed = (wid << _WORD_SHIFT) | ((chunk.docs + first_doc) << _DOC_SHIFT) | np.minimum(chunk.tfs, 255)
    return chunk.vocab, packed, chunk.lengths


class WordIndex:
    """Postings of jieba words: for each word, sorted paragraph ids and term frequencies."""

    def __init__(self, vocab: list[str], offsets, docs, tfs, lengths):
        self.vocab = {w: i for i, w in enumerate(vocab)}
        self.offsets = offsets
        self.docs = docs
        self.tfs = tfs
        self.lengths = lengths
        self.count = len(lengths)
        self.avg_length = float(np.mean(lengths)) if len(lengths) else 1.0

    @staticmethod
    def write(directory: Path, chunks: list[tuple[list[str], np.ndarray, np.ndarray]]) -> None:
        """Merge chunk outputs into one global word index on disk."""
        vocab: dict[str, int] = {}
        parts = []
        for local_vocab, packed, _ in chunks:
            remap = np.array([vocab.setdefault(w, len(vocab)) for w in local_vocab], dtype=np.int64)
            if len(packed):
                low = packed & ((1 << _WORD_SHIFT) - 1)
                parts.append((remap[packed >> _WORD_SHIFT] << _WORD_SHIFT) | low)
        packed = np.sort(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
        words = packed >> _WORD_SHIFT
        offsets = np.zeros(len(vocab) + 1, np.int64)
        offsets[1:] = np.cumsum(np.bincount(words, minlength=len(vocab)))
        docs = ((packed >> _DOC_SHIFT) & DOC_MASK).astype(np.int32)
        tfs = (packed & 0xFF).astype(np.uint8)
        lengths = np.concatenate([c[2] for c in chunks]) if chunks else np.zeros(0, np.int32)
        (layout.part(directory, layout.WORDS, "vocab.json")).write_text(
            json.dumps(list(vocab), ensure_ascii=False), encoding="utf-8"
        )
        np.save(layout.part(directory, layout.WORDS, "offsets.npy"), offsets)
        np.save(layout.part(directory, layout.WORDS, "lengths.npy"), lengths)
        BlockArray.save(layout.part(directory, layout.WORDS, "docs"), docs, starts=offsets[:-1])
        BlockArray.save(layout.part(directory, layout.WORDS, "tfs"), tfs)

    @classmethod
    def load(cls, directory: Path) -> "WordIndex":
        vocab = json.loads((layout.part(directory, layout.WORDS, "vocab.json")).read_text(encoding="utf-8"))
        return cls(
            vocab,
            np.load(layout.part(directory, layout.WORDS, "offsets.npy")),
            BlockArray(layout.part(directory, layout.WORDS, "docs")),
            BlockArray(layout.part(directory, layout.WORDS, "tfs")),
            np.load(layout.part(directory, layout.WORDS, "lengths.npy")),
        )

    def warm(self) -> None:
        """Decompress every block now rather than on first use."""
        self.docs.warm(starts=self.offsets[:-1])
        self.tfs.warm()

    def postings(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        """(paragraph ids, term frequencies) of a word; empty when it is not in the index."""
        wid = self.vocab.get(word)
        if wid is None:
            return np.zeros(0, np.int32), np.zeros(0, np.uint8)
        lo, hi = int(self.offsets[wid]), int(self.offsets[wid + 1])
        return self.docs.get(lo, hi), self.tfs.get(lo, hi)

    def df(self, word: str) -> int:
        """How many paragraphs hold the word."""
        wid = self.vocab.get(word)
        return 0 if wid is None else int(self.offsets[wid + 1] - self.offsets[wid])

    def collection_frequency(self, word: str) -> int:
        """Occurrences of the word in every paragraph (per-paragraph counts are stored up to 255)."""
        return int(self.postings(word)[1].sum(dtype=np.int64))

    def total_words(self) -> int:
        """Words in every paragraph."""
        return int(self.lengths.sum(dtype=np.int64))

    def frequencies(self, words: list[str], ids: np.ndarray) -> dict[str, np.ndarray]:
        """For each distinct word, its frequency in each paragraph of ids (sorted); 0 where absent."""
        out = {}
        index = ids.astype(np.intp)  # NumPy indexes with intp; int32 indexes cost a conversion each time
        for word in dict.fromkeys(words):
            docs, tfs = self.postings(word)
            if len(docs) and len(ids) * DENSE_SHARE >= len(self.lengths):
                dense = np.zeros(len(self.lengths), tfs.dtype)  # many ids: a scatter and a gather beat a search per id
                dense[docs.astype(np.intp)] = tfs
                tf = dense[index].astype(np.float64)
            elif len(docs):
                tf = np.zeros(len(ids))
                pos, hit = _positions(docs, ids)
                tf[hit] = tfs[pos[hit]]
            else:
                tf = np.zeros(len(ids))
            out[word] = tf
        return out

    def bm25(self, frequencies: dict[str, np.ndarray], ids: np.ndarray) -> np.ndarray:
        """BM25 of each paragraph in ids for the words of `frequencies` (from frequencies())."""
        scores = np.zeros(len(ids))
        if len(ids) == 0:
            return scores
        norm = self.norms[ids.astype(np.intp)]
        part = np.empty(len(ids))
        for word, tf in frequencies.items():
            df = self.df(word)
            if df:
                idf = float(np.log(self.count / (df + 1)) + 1)
                np.add(tf, norm, out=part)  # idf · tf · (K1 + 1) / (tf + norm), in place
                np.divide(tf, part, out=part)
                part *= idf * (K1 + 1)
                scores += part
        return scores

    @cached_property
    def norms(self) -> np.ndarray:
        """BM25's length normalisation of each paragraph: K1 · (1 − B + B · length / average length)."""
        return K1 * ((1 - B) + B * self.lengths / self.avg_length)


#: Frequencies are read through a dense array when ids number at least 1/DENSE_SHARE of all paragraphs.
DENSE_SHARE = 16


def _positions(docs: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each id, its index in sorted docs and whether it is there."""
    if len(docs) == 0:
        return np.zeros(len(ids), np.int64), np.zeros(len(ids), bool)
    pos = np.searchsorted(docs, ids)
    pos[pos >= len(docs)] = len(docs) - 1
    return pos, docs[pos] == ids
