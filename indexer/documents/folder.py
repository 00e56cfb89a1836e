"""The report folder: which files are reports, which entries are passed over, and a fingerprint.

Hidden entries, the manifest, the user dictionary and an index folder inside the report
folder are not reports. The folder is walked
without leaving it: links whose target lies outside, links to folders and folders that
cannot be read are named with the reason, never followed.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from indexer.documents.metadata import MANIFEST_NAME
from indexer.text.words import USERDICT_NAME


class FolderError(Exception):
    """The report folder itself cannot be read; the message says why."""


def display_name(name: str) -> str:
    """The name to show and store for a file-system name (as scan_folder gives it).

    A name that is not valid UTF-8 reaches Python with its bytes escaped as surrogates (a GBK
    name from a zip made on Windows); each such part is shown decoded as GB18030 when its bytes
    decode, else with its bytes as \\xNN escapes. Valid names come back unchanged. The index
    keeps only this name; the file-system name is used only to read the file.
    """
    if name.isascii() or not _SURROGATES.search(name):
        return name
    return "/".join(_display_part(part) for part in name.split("/"))


_SURROGATES = re.compile("[\udc80-\udcff]")


def _display_part(part: str) -> str:
    if not _SURROGATES.search(part):
        return part
    raw = part.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace")


def report_files(data_dir: Path) -> list[Path]:
    """Every candidate report file under data_dir, in a stable order (see scan_folder)."""
    return [data_dir / name for name in scan_folder(data_dir)[0]]


def path_key(rel: str) -> list[str]:
    """The order of report files: folder by folder, then by name (scan_folder's order, so a full build's ids)."""
    return rel.split("/")


def scan_folder(data_dir: Path, index_dir: Path | None = None) -> tuple[list[str], list[tuple[str, str]]]:
    """Report files under data_dir, by name (relative, with forward slashes), and the entries
    passed over with the reason for each.

    Hidden entries, the manifest, the user dictionary and index_dir (when it lies inside
    data_dir: its source copies are not reports) are left out without a word. A link whose
    target lies outside data_dir, a link to a folder and a folder that cannot be read
    are named, never followed. Files come in path order, folder by folder.
    """
    root = data_dir.resolve()
    found: list[str] = []
    passed: list[tuple[str, str]] = []
    index = _identity(index_dir)

    def walk(folder: str, prefix: str) -> None:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            if not prefix:
                raise FolderError(f"cannot read the report folder {data_dir}: {exc.strerror or exc}") from None
            passed.append((prefix.rstrip("/"), f"folder cannot be read: {exc.strerror or exc}"))
            return
        for entry in entries:
            name, rel = entry.name, prefix + entry.name
            if name.startswith(".") or rel in (MANIFEST_NAME, USERDICT_NAME):
                continue
            if entry.is_dir(follow_symlinks=False):
                if index is None or _identity(Path(entry.path)) != index:
                    walk(entry.path, rel + "/")
            elif entry.is_symlink():
                inside = _inside(Path(entry.path), root)
                if not inside:
                    passed.append((rel, f"link points outside {data_dir}"))
                elif os.path.isdir(entry.path):
                    passed.append((rel, "link to a folder is not followed"))
                elif os.path.isfile(entry.path):
                    found.append(rel)
                else:
                    passed.append((rel, "link points to nothing"))
            elif entry.is_file(follow_symlinks=False):
                found.append(rel)

    walk(str(data_dir), "")
    found.sort(key=path_key)
    passed.sort()
    return found, passed


def stat_files(data_dir: Path, names: list[str]) -> dict:
    """Each file's stat by name (names from scan_folder), in their order."""
    base = str(data_dir)
    return {name: os.stat(os.path.join(base, name)) for name in names}


def _identity(folder: Path | None) -> tuple[int, int] | None:
    """(device, inode) of a folder, or None when there is none."""
    try:
        st = os.stat(folder) if folder is not None else None
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if st else None


def _inside(path: Path, root: Path) -> bool:
    try:
        target = path.resolve()
    except (OSError, RuntimeError):  # a loop of links
        return False
    return target == root or root in target.parents


def source_signature(data_dir: Path, stats: dict | None = None, index_dir: Path | None = None) -> str:
    """A fingerprint of the report files (names, sizes, modification and change times; `stats`
    when already taken, as stat_files gives them), the manifest and the user dictionary.
    index_dir is left out of the scan (see scan_folder)."""
    digest = hashlib.sha1()
    if stats is None:
        stats = stat_files(data_dir, scan_folder(data_dir, index_dir)[0])
    extras = [name for name in (MANIFEST_NAME, USERDICT_NAME) if (data_dir / name).exists()]
    for rel, st in list(stats.items()) + [(name, (data_dir / name).stat()) for name in extras]:
        digest.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()
