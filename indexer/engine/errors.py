"""The errors of an index that cannot serve: missing, of another version, or damaged."""

from __future__ import annotations

from pathlib import Path

#: What to run when an index is missing, of another version or damaged.
REBUILD = "python -m indexer build"


class IndexNotFound(Exception):
    """There is no usable index; the message says how to build one."""


class IndexDamaged(IndexNotFound):
    """An index file does not hold what the build wrote (its checksum, size or presence differs)."""

    def __init__(self, path: Path | str, reason: str):
        self.path, self.reason = Path(path), reason
        super().__init__(f"The index is damaged: {path} ({reason}); rebuild it with: {REBUILD}")
