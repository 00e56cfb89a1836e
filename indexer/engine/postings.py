"""Posting lists keyed by integers: sorted paragraph ids, or a bitmap for a key in many paragraphs.

A key in more than one paragraph in 32 has a bitmap over all paragraphs (smaller than
its ids, and intersected with a bitwise test); any other key has a sorted id list.
Both are compressed blocks (blocks.py), read on first use.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from indexer.engine import layout
from indexer.engine.blocks import BlockArray, BlockRows
from indexer.engine.layout import DOC_BITS, DOC_MASK


def _save(
    directory: Path,
    prefix: str,
    keys: np.ndarray,
    sizes: np.ndarray,
    dense: np.ndarray,
    lists: np.ndarray,
    bitmaps: np.ndarray,
) -> None:
    """Save sorted keys with their sizes: the dense ones' bitmap rows, the others' id lists one after another."""
    slots = np.full(len(keys), -1, np.int32)
    slots[dense] = np.arange(int(dense.sum()), dtype=np.int32)
    offsets = np.zeros(len(keys) + 1, np.int64)
    offsets[1:] = np.cumsum(np.where(dense, 0, sizes))
    for name, array in (("keys", keys), ("slots", slots), ("offsets", offsets), ("sizes", sizes)):
        np.save(layout.part(directory, prefix, f"{name}.npy"), array)
    BlockArray.save(layout.part(directory, prefix, "postings"), lists, starts=np.unique(offsets[:-1]))
    BlockRows.save(layout.part(directory, prefix, "bitmaps"), bitmaps)


class Postings:
    """The posting lists of one kind of key (grams, phrases), saved under a file prefix."""

    def __init__(self, keys, slots, offsets, sizes, lists: BlockArray, bitmaps: BlockRows, count: int):
        self.keys = keys  # sorted keys
        self.slots = slots  # per key: bitmap row, or -1 when the key has a sorted id list
        self.offsets = offsets  # per key: start of its id list in lists (len(keys) + 1)
        self.sizes = sizes  # per key: how many paragraphs hold it
        self.lists = lists  # int32 paragraph ids, as sorted lists
        self.bitmaps = bitmaps  # uint8 rows of ceil(count / 8) bytes, big-endian bit order
        self.count = count

    @staticmethod
    def write(directory: Path, prefix: str, chunks: list[np.ndarray], count: int) -> None:
        """Save the lists of `count` paragraphs from sorted runs of distinct (key << DOC_BITS | paragraph id),
        one run per chunk of paragraphs (a chunk's paragraphs after the previous chunk's).

        The runs are merged a range of keys at a time, so memory holds the runs and the paragraph
        ids, never a second copy of every posting. The chunks list is emptied once merged.
        """
        keys_parts, sizes_parts, docs_parts = [], [], []
        for merged in _merged_by_key_range(chunks):
            keys_all = merged >> DOC_BITS
            starts = np.flatnonzero(np.diff(keys_all, prepend=-1))
            keys_parts.append(keys_all[starts])
            sizes_parts.append(np.diff(np.append(starts, len(merged))).astype(np.int32))
            docs_parts.append((merged & DOC_MASK).astype(np.int32))
        chunks.clear()
        keys = np.concatenate(keys_parts) if keys_parts else np.zeros(0, np.int64)
        sizes = np.concatenate(sizes_parts) if sizes_parts else np.zeros(0, np.int32)
        docs_all = np.concatenate(docs_parts) if docs_parts else np.zeros(0, np.int32)
        del keys_parts, sizes_parts, docs_parts
        bounds = np.zeros(len(sizes) + 1, np.int64)
        np.cumsum(sizes, out=bounds[1:])
        dense = sizes.astype(np.int64) * 32 > count
        nbytes = (count + 7) // 8
        bitmaps = np.zeros((int(dense.sum()), nbytes), np.uint8)
        for row, i in enumerate(np.flatnonzero(dense)):
            bits = np.zeros(nbytes * 8, bool)
            bits[docs_all[bounds[i] : bounds[i + 1]]] = True
            bitmaps[row] = np.packbits(bits)
        _save(directory, prefix, keys, sizes, dense, docs_all[np.repeat(~dense, sizes)], bitmaps)

    @staticmethod
    def write_bitmaps(directory: Path, prefix: str, keys: np.ndarray, rows: np.ndarray, count: int) -> None:
        """Save sorted keys each with its bitmap row over `count` paragraphs (ceil(count / 8) bytes).

        Rows stay bitmaps whatever their density (for phrases, which are all frequent).
        """
        whole = rows.shape[1] // 8 * 8  # bytes counted eight at a time, then the rest
        sizes = np.bitwise_count(rows[:, :whole].view(np.uint64)).sum(axis=1, dtype=np.int64) + np.bitwise_count(
            rows[:, whole:]
        ).sum(axis=1, dtype=np.int64)
        _save(directory, prefix, keys, sizes.astype(np.int32), np.ones(len(keys), bool), np.zeros(0, np.int32), rows)

    @classmethod
    def load(cls, directory: Path, prefix: str, count: int, keep_bitmaps: bool = True) -> "Postings":
        """Open the lists saved under prefix; without keep_bitmaps, a bitmap is decompressed at each use."""
        keys, slots, offsets, sizes = (
            np.load(layout.part(directory, prefix, f"{name}.npy")) for name in ("keys", "slots", "offsets", "sizes")
        )
        return cls(
            keys,
            slots,
            offsets,
            sizes,
            BlockArray(layout.part(directory, prefix, "postings")),
            BlockRows(layout.part(directory, prefix, "bitmaps"), keep=keep_bitmaps),
            count,
        )

    def warm(self) -> None:
        """Decompress every block now rather than on first use."""
        self.lists.warm(starts=self.offsets[:-1])
        self.bitmaps.warm()

    def find(self, key: int) -> int:
        """The index of a key, or -1 when no paragraph holds it."""
        i = int(np.searchsorted(self.keys, key))
        return i if i < len(self.keys) and int(self.keys[i]) == key else -1

    def size(self, i: int) -> int:
        return int(self.sizes[i])

    def is_dense(self, i: int) -> bool:
        return int(self.slots[i]) >= 0

    def bitmap(self, i: int) -> np.ndarray:
        """The bitmap of a dense key i."""
        return self.bitmaps[int(self.slots[i])]

    def ids(self, i: int) -> np.ndarray:
        """Sorted paragraph ids of key i."""
        if self.is_dense(i):
            return bitmap_ids(self.bitmap(i), self.count)
        return self.lists.get(int(self.offsets[i]), int(self.offsets[i + 1]))


def bitmap_ids(bitmap: np.ndarray, count: int) -> np.ndarray:
    """Sorted int32 ids of the set bits of a packed bitmap of count bits.

    The bits are read as booleans: NumPy finds non-zero booleans several times faster than
    non-zero bytes.
    """
    return np.flatnonzero(np.unpackbits(bitmap)[:count].view(bool)).astype(np.int32)


#: Key ranges the sorted runs are merged in (each holds about 1/MERGE_RANGES of the postings).
MERGE_RANGES = 16


def _merged_by_key_range(chunks: list[np.ndarray]):
    """The postings of all runs in order, as sorted arrays each covering a range of whole keys."""
    chunks = [c for c in chunks if len(c)]
    if not chunks:
        return
    sample = np.sort(np.concatenate([c[:: max(1, len(c) // 4096)] for c in chunks]))
    cuts = np.unique((sample[(np.arange(1, MERGE_RANGES) * len(sample)) // MERGE_RANGES] >> DOC_BITS) << DOC_BITS)
    cuts = np.concatenate(([np.iinfo(np.int64).min], cuts, [np.iinfo(np.int64).max]))
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        parts = [c[np.searchsorted(c, lo) : np.searchsorted(c, hi)] for c in chunks]
        merged = np.concatenate(parts)
        if len(merged):
            merged.sort(kind="stable")  # runs, already sorted: a merge
            yield merged
