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
    def write(directory: Path, prefix: str, packed: np.ndarray, count: int) -> None:
        """Save the lists of sorted, distinct (key << DOC_BITS | paragraph id) over `count` paragraphs."""
        keys_all = packed >> DOC_BITS
        docs_all = (packed & DOC_MASK).astype(np.int32)
        starts = np.flatnonzero(np.diff(keys_all, prepend=-1)) if len(keys_all) else np.zeros(0, np.int64)
        keys = keys_all[starts]
        del keys_all
        bounds = np.append(starts, len(docs_all))
        sizes = np.diff(bounds).astype(np.int32)
        dense = sizes * 32 > count
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
        self.lists.warm()
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
