"""The OCR cache: what the engine read on each page of a scan, kept by the file's content hash.

OCR costs seconds a page; laying out its boxes costs nothing. So the boxes of every page read
by OCR are kept in a folder of their own, outside the index's generations: a rebuild, an update
or a merge of a folder whose scans did not change reads them back and runs no OCR. An entry is
named by the file's content hash (versions.content_hash) under a folder named after the OCR
model (ocr.MODEL), so a new model reads every scan again and the old entries can be deleted.

The folder is `ocr-cache` beside the index folder (data/index → data/ocr-cache), or the one the
environment variable OCR_CACHE names (`build --ocr-cache DIR` sets it). Entries are written to a
temporary name and renamed, so readers in several processes (or machines sharing the folder)
never see half an entry; an entry that cannot be read is read by OCR again.
"""

from __future__ import annotations

import hashlib
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from indexer.documents.formats.ocr import MODEL, OcrPage

ENV = "OCR_CACHE"
CACHE_NAME = "ocr-cache"


def folder_for(index_dir: Path | None) -> Path | None:
    """The cache folder for an index: OCR_CACHE when set, else `ocr-cache` beside index_dir."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    return index_dir.absolute().parent / CACHE_NAME if index_dir is not None else None


class OcrCache:
    """Pages read by OCR, by file content hash and page number (0-based)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.model_dir = folder / hashlib.sha1(MODEL.encode()).hexdigest()[:12]

    def _path(self, digest: str) -> Path:
        return self.model_dir / digest[:2] / f"{digest}.json"

    def load(self, digest: str) -> dict[int, OcrPage] | None:
        """The pages kept for a file, or None when it has no entry (or one that cannot be read)."""
        try:
            data = json.loads(self._path(digest).read_text(encoding="utf-8"))
            if data.get("model") != MODEL:
                return None
            return {int(n): OcrPage.from_json(page) for n, page in data["pages"].items()}
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, digest: str, pages: dict[int, OcrPage]) -> None:
        """Keep a file's pages; a cache that cannot be written is passed over (OCR runs next time)."""
        target = self._path(digest)
        body = {"model": MODEL, "pages": {str(n): page.to_json() for n, page in sorted(pages.items())}}
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.{os.getpid()}")
            partial.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
            os.replace(partial, target)
        except OSError:
            pass
        else:
            label = self.folder / "MODELS"  # which model each folder holds, for whoever cleans up
            if self.model_dir.name not in (label.read_text(encoding="utf-8") if label.exists() else ""):
                with label.open("a", encoding="utf-8") as f:
                    f.write(f"{self.model_dir.name} {MODEL}\n")


class MemoryCache:
    """Pages handed over with a file, and the pages read for it, held in memory: what a reading
    process on another machine (engine/cluster.py) uses instead of the folder."""

    def __init__(self, entries: dict[str, dict[int, OcrPage]] | None = None):
        self.entries = entries or {}
        self.saved: dict[str, dict[int, OcrPage]] = {}

    def load(self, digest: str) -> dict[int, OcrPage] | None:
        return self.entries.get(digest)

    def save(self, digest: str, pages: dict[int, OcrPage]) -> None:
        self.saved[digest] = pages


_current: OcrCache | MemoryCache | None = None


def current() -> OcrCache | MemoryCache | None:
    """The cache the reading of this build uses (None: none)."""
    return _current


@contextmanager
def using(folder: Path | MemoryCache | None) -> Iterator[OcrCache | MemoryCache | None]:
    """Read with the cache in folder (or that cache; None: no cache) until the block ends.
    Processes forked meanwhile (the build's readers) use it too."""
    global _current
    before = _current
    _current = OcrCache(folder) if isinstance(folder, Path) else folder
    try:
        yield _current
    finally:
        _current = before
