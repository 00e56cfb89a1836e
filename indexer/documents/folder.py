"""The report folder: which files are reports, which entries are passed over, and a fingerprint.

Hidden entries, the manifest and the user dictionary are not reports. The folder is walked
without leaving it: links whose target lies outside, links to folders and folders that
cannot be read are named with the reason, never followed.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from indexer.documents.metadata import MANIFEST_NAME
from indexer.text.words import USERDICT_NAME


class FolderError(Exception):
    """The report folder itself cannot be read; the message says why."""


def report_files(data_dir: Path) -> list[Path]:
    """Every candidate report file under data_dir, in a stable order (see scan_folder)."""
    return scan_folder(data_dir)[0]


def scan_folder(data_dir: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """Report files under data_dir, and the entries passed over with the reason for each.

    Hidden entries, the manifest and the user dictionary are not reports. A link whose
    target lies outside data_dir, a link to a folder and a folder that cannot be read
    are named, never followed.
    """
    root = data_dir.resolve()
    files: list[Path] = []
    passed: list[tuple[str, str]] = []

    def unreadable(exc: OSError) -> None:
        rel = Path(exc.filename).relative_to(data_dir).as_posix() if exc.filename else "."
        if rel == ".":
            raise FolderError(f"cannot read the report folder {data_dir}: {exc.strerror or exc}")
        passed.append((rel, f"folder cannot be read: {exc.strerror or exc}"))

    for folder, dirs, names in os.walk(data_dir, onerror=unreadable):
        here = Path(folder)
        for name in sorted(dirs):
            path = here / name
            if name.startswith("."):
                dirs.remove(name)
            elif path.is_symlink():
                reason = "link to a folder is not followed" if _inside(path, root) \
                    else f"link points outside {data_dir}"
                passed.append((path.relative_to(data_dir).as_posix(), reason))
        dirs.sort()
        for name in names:
            path = here / name
            rel = path.relative_to(data_dir).as_posix()
            if name.startswith(".") or rel in (MANIFEST_NAME, USERDICT_NAME):
                continue
            if path.is_symlink() and not _inside(path, root):
                passed.append((rel, f"link points outside {data_dir}"))
            elif path.is_file():
                files.append(path)
            elif path.is_symlink():
                passed.append((rel, "link points to nothing"))
    files.sort()
    passed.sort()
    return files, passed


def _inside(path: Path, root: Path) -> bool:
    try:
        target = path.resolve()
    except (OSError, RuntimeError):  # a loop of links
        return False
    return target == root or root in target.parents


def source_signature(data_dir: Path) -> str:
    """A fingerprint of the report files (names, sizes, times), the manifest and the user dictionary."""
    digest = hashlib.sha1()
    extras = [data_dir / MANIFEST_NAME, data_dir / USERDICT_NAME]
    files = report_files(data_dir) + [p for p in extras if p.exists()]
    for path in files:
        st = path.stat()
        digest.update(f"{path.relative_to(data_dir).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()
