"""Which version of a report file was read: its size, times and a hash of the bytes read.

meta.json's `files` keeps one signature per indexed file, `[size, mtime_ns, ctime_ns, hash]`,
taken from the bytes the reader read (the store's copy is written from those same bytes).
Size and times are a fast pre-check: an update hashes only the files whose stat differs,
and reads again only those whose hash differs. The change time (ctime) is set by the system
on every write or `touch`, so it also catches an edit that keeps the size and the
modification time (`touch -r`). A ctime of None means "do not trust the stat": the file was
written within RACY_NS of being read (a later write in the same clock tick could keep every
time), or it changed while it was read; the next update compares its contents.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

#: Files whose change time is this close to the moment they were read are checked by content next time.
RACY_NS = 2_000_000_000


def content_hash(data: bytes) -> str:
    """The hash that names a version of a file (blake2b, 128 bits, in hex)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def hash_file(path: Path) -> tuple[os.stat_result, str]:
    """The file's stat (taken as it was opened) and the hash of its bytes, read now."""
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        digest = hashlib.file_digest(f, lambda: hashlib.blake2b(digest_size=16)).hexdigest()
    return st, digest


def signature(st: os.stat_result, digest: str, steady: bool = True) -> list:
    """meta.json's record of a version read: the stat taken before reading, and the hash of the
    bytes read. Not steady (it changed while read), or changed too recently to tell a later
    write in the same clock tick: ctime None, so the next update compares its contents."""
    recent = st.st_ctime_ns >= time.time_ns() - RACY_NS
    return [st.st_size, st.st_mtime_ns, None if recent or not steady else st.st_ctime_ns, digest]


def same_stat(a: os.stat_result, b: os.stat_result) -> bool:
    """True when two stats of a path show the same version (same file, size and times)."""
    return _version(a) == _version(b)


def _version(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def stat_matches(recorded: list, st: os.stat_result) -> bool:
    """True when a file's stat shows the version recorded, so it need not be hashed."""
    return recorded[2] is not None and recorded[:3] == [st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def recorded_hash(recorded: list) -> str:
    """The content hash in a signature."""
    return recorded[3]
