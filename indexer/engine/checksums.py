"""Checksums of index files: CRC32 of each file (and of each CHUNK of large Whoosh files),
meta.json's own checksum, and a file reader that checks each chunk the first time it is read.

CRC32 (zlib) runs at about 2.4 GB/s here, twice BLAKE2b; it finds every burst of up to
32 flipped bits and any other damage but one time in 4 billion, which is what is asked of it
(a check against decay and accidents, not against tampering).
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

from indexer.engine.errors import IndexDamaged

#: Bytes per checked piece of a Whoosh file (small: opening reads a little of each of hundreds of files at 1M).
#: Part of the format: changing it changes layout.FORMAT_VERSION.
CHUNK = 1 << 16
#: The last key of meta.json: the CRC32 of the text before it (closed by "}").
SEAL_KEY = "meta_crc32"
_SEAL = f', "{SEAL_KEY}": '


def crc(data: bytes) -> int:
    return zlib.crc32(data)


def file_sums(path: Path, chunked: bool = False) -> list:
    """[size, CRC32] of a file; with chunked, and when it is larger than a CHUNK, the CRC32 of
    each CHUNK as a third element."""
    whole, chunks, size = 0, [], 0
    with open(path, "rb", buffering=0) as fh:
        while piece := fh.read(CHUNK):
            size += len(piece)
            whole = zlib.crc32(piece, whole)
            chunks.append(zlib.crc32(piece))
    return [size, whole, chunks] if chunked and len(chunks) > 1 else [size, whole]


def file_problem(path: Path, expected: list) -> str | None:
    """Why the file differs from its recorded [size, CRC32, …], or None when it matches."""
    try:
        size = os.stat(path).st_size
        if size != expected[0]:
            return f"{size} bytes, {expected[0]} written"
        if file_sums(path)[1] != expected[1]:
            return "checksum mismatch"
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"
    return None


def seal(text: str) -> str:
    """A JSON object's text with its own CRC32 added as its last key."""
    body = text.rstrip()
    if not body.endswith("}") or body == "{}":
        raise ValueError("only a non-empty JSON object can be sealed")
    return f"{body[:-1]}{_SEAL}{crc(body.encode('utf-8'))}}}"


def unseal(text: str) -> str:
    """The text a seal() was made of; ValueError when it was not sealed or has changed since."""
    at = text.rfind(_SEAL)
    if at < 0 or not text.endswith("}"):
        raise ValueError("no checksum")
    body = text[:at] + "}"
    try:
        recorded = int(text[at + len(_SEAL) : -1])
    except ValueError:
        raise ValueError("checksum mismatch") from None
    if crc(body.encode("utf-8")) != recorded:
        raise ValueError("checksum mismatch")
    return body


class CheckedFile:
    """A file read through, each CHUNK checked against its CRC32 the first time any of it is read.

    Whoosh reads its files through this (see whoosh_index.open_index): a query reads only the
    pieces it needs, and pays for checking only those, once.
    """

    def __init__(self, path: Path, sums: list):
        self.path = path
        self.size = sums[0]
        self.chunks = sums[2] if len(sums) > 2 else [sums[1]]
        self.file = open(path, "rb")
        if os.fstat(self.file.fileno()).st_size != self.size:
            self.file.close()
            raise IndexDamaged(path, f"not {self.size} bytes as written")
        self.checked = bytearray(len(self.chunks))
        self.unchecked = len(self.chunks) if self.size else 0

    def _check(self, lo: int, hi: int) -> None:
        for c in range(lo // CHUNK, (max(hi, lo + 1) - 1) // CHUNK + 1):
            if c < len(self.checked) and not self.checked[c]:
                data = os.pread(self.file.fileno(), CHUNK, c * CHUNK)
                if crc(data) != self.chunks[c]:
                    raise IndexDamaged(self.path, f"checksum mismatch at byte {c * CHUNK}")
                self.checked[c] = 1
                self.unchecked -= 1

    def read(self, n: int = -1) -> bytes:
        if self.unchecked:
            pos = self.file.tell()
            c = pos // CHUNK
            # Whoosh reads a few bytes at a time: a read inside one checked chunk is let through at once
            if n is None or n < 0 or (pos + n - 1) // CHUNK != c or c >= len(self.checked) or not self.checked[c]:
                self._check(pos, self.size if n is None or n < 0 else min(pos + n, self.size))
        return self.file.read(n)

    def readline(self, limit: int = -1) -> bytes:
        if self.unchecked:
            self._check(self.file.tell(), self.size)
        return self.file.readline(limit)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.file.seek(offset, whence)

    def tell(self) -> int:
        return self.file.tell()

    def close(self) -> None:
        self.file.close()
