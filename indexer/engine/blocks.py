"""Arrays and texts kept on disk as independently compressed blocks, read on first use.

Opening an index reads only the block tables; a block is decompressed the first time
a query needs it (zlib releases the GIL, so a background thread can warm the rest).
Sorted id lists are stored as deltas within each list, which compress several-fold.
Each block's CRC32 is kept in the table and checked before the block is decompressed.
"""

from __future__ import annotations

import json
import os
import threading
import time
import weakref
import zlib
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from itertools import chain
from operator import itemgetter
from pathlib import Path

import numpy as np

from indexer.engine.errors import IndexDamaged

#: Set when the process exits: warming stops between two blocks (a thread left inside NumPy's
#: C++ code while Python shuts down would abort the process).
STOP_WARMING = threading.Event()


class WarmingStopped(Exception):
    """Warming was stopped because the process is exiting."""


def _between_blocks() -> None:
    """Let a query thread have the interpreter, and stop warming if the process is exiting."""
    if STOP_WARMING.is_set():
        raise WarmingStopped
    time.sleep(0)


ARRAY_BLOCK = 1 << 18  # elements per block of a numeric array
TEXT_BLOCK = 128  # paragraphs per block of texts (zlib's window is 32 KB, so small blocks compress as well)


def _write_blocks(path: Path, chunks, header: dict) -> None:
    """Write compressed chunks to path, and the header with the blocks' byte offsets and CRC32s to path.json.

    Two threads compress (zlib releases the GIL), a bounded number of blocks ahead of the writing.
    """
    offsets: list[int] = [0]
    crcs: list[int] = []
    with open(path, "wb") as fh, ThreadPoolExecutor(2) as pool:
        pending: deque = deque()
        for raw, level in chunks:
            pending.append(pool.submit(_compress, raw, level))
            if len(pending) > 8:
                _write_one(fh, *pending.popleft().result(), offsets, crcs)
        while pending:
            _write_one(fh, *pending.popleft().result(), offsets, crcs)
    Path(str(path) + ".json").write_text(json.dumps({**header, "offsets": offsets, "crcs": crcs}), encoding="utf-8")


def _compress(raw: bytes, level: int) -> tuple[bytes, int]:
    data = zlib.compress(raw, level)
    return data, zlib.crc32(data)


def _write_one(fh, data: bytes, crc: int, offsets: list[int], crcs: list[int]) -> None:
    fh.write(data)
    offsets.append(offsets[-1] + len(data))
    crcs.append(crc)


class _BlockFile:
    """The compressed blocks of one file, each checked against its CRC32, decompressed once and cached."""

    def __init__(self, path: Path):
        self.path = path
        self.header = json.loads(Path(str(path) + ".json").read_text(encoding="utf-8"))
        self.offsets = self.header["offsets"]
        self.crcs = self.header["crcs"]
        if len(self.crcs) != len(self.offsets) - 1:
            raise ValueError(f"{path}.json: {len(self.crcs)} checksums for {len(self.offsets) - 1} blocks")
        self.fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self.fd)
        self.cache: dict[int, object] = {}

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def block(self, b: int, decode, keep: bool = True):
        """Block b, decompressed and decoded the first time it is asked for (every time, without keep)."""
        cached = self.cache.get(b)
        if cached is None:
            start, end = self.offsets[b], self.offsets[b + 1]
            data = os.pread(self.fd, end - start, start)
            self.check(b, data)
            cached = decode(zlib.decompress(data))
            if keep:
                self.cache[b] = cached
        return cached

    def check(self, b: int, data: bytes) -> None:
        """Raise IndexDamaged unless data is block b as written."""
        if zlib.crc32(data) != self.crcs[b]:
            raise IndexDamaged(self.path, f"checksum mismatch in block {b}")

    def warm(self, decode) -> None:
        for b in range(len(self)):
            if b not in self.cache:
                self.block(b, decode)
                _between_blocks()


class BlockArray:
    """A 1-D integer array in compressed blocks; `delta` arrays hold sorted lists as differences."""

    @staticmethod
    def save(path: Path, array: np.ndarray, starts: np.ndarray | None = None) -> None:
        """Save array; with starts (the first index of each sorted list), store it as deltas."""
        array = np.ascontiguousarray(array)
        header = {"length": len(array), "delta": starts is not None, "dtype": array.dtype.str}
        if starts is None:
            blocks = (array[i : i + ARRAY_BLOCK] for i in range(0, len(array), ARRAY_BLOCK))
        else:
            blocks = _delta_blocks(array, np.asarray(starts))
        _write_blocks(path, ((block.tobytes(), 1) for block in blocks), header)

    def __init__(self, path: Path):
        self.file = _BlockFile(path)
        self.length = self.file.header["length"]
        self.delta = self.file.header["delta"]
        self.dtype = np.dtype(self.file.header["dtype"])
        self.flat: np.ndarray | None = None  # the whole array, once warmed

    def __len__(self) -> int:
        return self.length

    def _decode(self, raw: bytes) -> np.ndarray:
        return np.frombuffer(raw, dtype=self.dtype)

    def block(self, b: int) -> np.ndarray:
        return self.file.block(b, self._decode)

    def get(self, lo: int, hi: int) -> np.ndarray:
        """Elements lo:hi; for a delta array, lo must be the start of a list."""
        if hi <= lo:
            return np.zeros(0, self.dtype)
        flat = self.flat
        if flat is not None:  # warmed: a delta array is held as its values
            return flat[lo:hi]
        first, last = lo // ARRAY_BLOCK, (hi - 1) // ARRAY_BLOCK
        parts = [self.block(b) for b in range(first, last + 1)]
        joined = parts[0] if len(parts) == 1 else np.concatenate(parts)
        piece = joined[lo - first * ARRAY_BLOCK : hi - first * ARRAY_BLOCK]
        return np.cumsum(piece, dtype=self.dtype) if self.delta else piece

    def warm(self, starts: np.ndarray | None = None) -> None:
        """Decompress every block, then keep one contiguous array in place of the blocks.

        A delta array needs the first index of each of its lists (`starts`): it is held as
        its values, so that reading a list is a slice rather than a sum over it each time.
        """
        if self.delta and starts is None:
            raise ValueError("a delta array is warmed with the starts of its lists")
        flat = np.empty(self.length, self.dtype)
        for b in range(len(self.file)):  # block by block, so memory never holds both copies
            flat[b * ARRAY_BLOCK : (b + 1) * ARRAY_BLOCK] = self.block(b)
            self.file.cache.pop(b, None)
            _between_blocks()
        if self.delta:
            starts = np.asarray(starts, np.int64)
            _sum_lists(flat, starts[np.diff(starts, prepend=-1) > 0])  # sorted; an empty list repeats a start
        self.flat = flat


#: Elements summed at a time when a delta array is turned into values (whole lists, int64).
SUM_STEP = 1 << 20


def _sum_lists(flat: np.ndarray, starts: np.ndarray) -> None:
    """Turn the differences of each sorted list in flat into its values, in place, a run of whole lists at a time."""
    starts = starts[starts < len(flat)]
    pos = 0
    while pos < len(flat):
        k = int(np.searchsorted(starts, pos + SUM_STEP))
        end = int(starts[k]) if k < len(starts) else len(flat)
        sums = np.cumsum(flat[pos:end], dtype=np.int64)
        first = starts[np.searchsorted(starts, pos) : k] - pos  # the lists in this run; the first starts at 0
        before = np.concatenate(([0], sums[first[1:] - 1]))  # the running sum before each list
        sums -= np.repeat(before, np.diff(np.append(first, end - pos)))
        flat[pos:end] = sums
        pos = end
        _between_blocks()


def _delta_blocks(array: np.ndarray, starts: np.ndarray):
    """The blocks of a delta array, one at a time: differences within each sorted list, the first
    element of a list (a position in starts) as it is."""
    for i in range(0, len(array), ARRAY_BLOCK):
        block = array[i : i + ARRAY_BLOCK].astype(np.int64)
        deltas = np.diff(block, prepend=int(array[i - 1]) if i else 0)
        lo, hi = np.searchsorted(starts, [i, i + len(block)])  # starts are sorted
        first = starts[lo:hi] - i
        deltas[first] = block[first]
        yield deltas.astype(array.dtype)


class BlockRows:
    """Equal-length uint8 rows (bitmaps), each compressed on its own.

    Rows read are kept decompressed, unless keep is False: then each read decompresses its
    row again (a fraction of a millisecond for 1M paragraphs) and memory holds none.
    """

    @staticmethod
    def save(path: Path, rows: np.ndarray) -> None:
        _write_blocks(path, ((row.tobytes(), 1) for row in rows), {"shape": list(rows.shape)})

    def __init__(self, path: Path, keep: bool = True):
        self.file = _BlockFile(path)
        self.shape = tuple(self.file.header["shape"])
        self.keep = keep

    @staticmethod
    def _decode(raw: bytes) -> np.ndarray:
        return np.frombuffer(raw, dtype=np.uint8)

    def __getitem__(self, row: int) -> np.ndarray:
        return self.file.block(row, self._decode, self.keep)

    def warm(self) -> None:
        if self.keep:
            self.file.warm(self._decode)


class BlockTexts:
    """A list of texts without newlines, in compressed blocks of TEXT_BLOCK texts (parts.Texts)."""

    @staticmethod
    def save(path: Path, texts: list[str]) -> None:
        _write_blocks(
            path,
            (("\n".join(texts[i : i + TEXT_BLOCK]).encode("utf-8"), 6) for i in range(0, len(texts), TEXT_BLOCK)),
            {"count": len(texts)},
        )

    def __init__(self, path: Path):
        self.file = _BlockFile(path)
        self.count = self.file.header["count"]
        self.flat: list[str] | None = None  # every text, once all blocks are in memory

    def __len__(self) -> int:
        return self.count

    @staticmethod
    def _decode(raw: bytes) -> list[str]:
        return raw.decode("utf-8").split("\n")

    def block(self, b: int) -> list[str]:
        return self.file.block(b, self._decode)

    def many(self, ids: np.ndarray) -> list[str]:
        """Texts of sorted ids (C-level gathering, one block at a time)."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return []
        if self.flat is not None:
            picked = itemgetter(*ids.tolist())(self.flat)
            return list(picked) if len(ids) > 1 else [picked]
        blocks = ids // TEXT_BLOCK
        cuts = np.flatnonzero(np.diff(blocks)) + 1
        out: list[str] = []
        for part in np.split(ids, cuts):
            b = int(part[0]) // TEXT_BLOCK
            local = (part - b * TEXT_BLOCK).tolist()
            picked = itemgetter(*local)(self.block(b))
            out.extend(picked if len(local) > 1 else (picked,))
        return out

    def lengths(self) -> np.ndarray:
        """Characters of every text (read block by block until warmed)."""
        if self.flat is not None:
            return np.fromiter(map(len, self.flat), np.int64, self.count)
        return np.fromiter((len(text) for b in range(len(self.file)) for text in self.block(b)), np.int64, self.count)

    def warm(self) -> None:
        """Decompress every block, then keep one flat list for C-level gathering."""
        self.file.warm(self._decode)
        self.flat = list(chain.from_iterable(self.block(b) for b in range(len(self.file))))
