"""Every file of a generation has its checksum in meta.json (and meta.json its own): recorded by
the build and updates, checked by `python -m indexer verify`, and by the server as it reads.

The server checks, at open, meta.json, that every file is there at its written size, and the
checksum of each file it reads whole (arrays, lists, block tables). The files read in pieces on
demand are checked piece by piece the first time each is read: compressed blocks against the
CRC32 in their table (blocks.py), Whoosh's files a CHUNK at a time (whoosh_index.open_index),
and the similar-paragraph arrays whole on first use. A mismatch raises IndexDamaged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from indexer.documents.versions import content_hash, recorded_hash
from indexer.engine import layout
from indexer.engine.checksums import file_problem, file_sums
from indexer.engine.errors import REBUILD, IndexDamaged, IndexNotFound

_WHOOSH = layout.WHOOSH + "/"


def record(generation: Path, reuse: tuple[Path, dict] | None = None) -> dict[str, list]:
    """The sums of every file of a generation but meta.json. With reuse (the previous generation
    and its sums), a file hard-linked from it keeps its recorded sums rather than being read again."""
    before, known = reuse or (None, {})
    sums: dict[str, list] = {}
    for folder, _dirs, names in os.walk(generation):
        for name in names:
            path = Path(folder) / name
            rel = path.relative_to(generation).as_posix()
            if rel == layout.META:
                continue
            if before is not None and rel in known and _same_file(path, before / rel):
                sums[rel] = known[rel]
            else:
                sums[rel] = file_sums(path, chunked=rel.startswith(_WHOOSH))
    return dict(sorted(sums.items()))


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths are one file (a hard link, as updates share unchanged files)."""
    try:
        return os.path.samestat(os.stat(a), os.stat(b))
    except OSError:
        return False


def read_meta(generation: Path) -> layout.IndexMeta:
    """A generation's meta once meta.json's own checksum is checked; IndexDamaged when it fails,
    IndexNotFound when the index is of another version."""
    path = generation / layout.META
    try:
        meta = layout.parse_meta(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexDamaged(path, "missing") from None
    except layout.FormatMismatch:
        raise IndexNotFound(
            f"The index at {generation.parent} was built by another version; rebuild it with: {REBUILD}"
        ) from None
    except (OSError, ValueError) as exc:
        raise IndexDamaged(path, str(exc) if isinstance(exc, ValueError) else f"unreadable: {exc}") from None
    if meta.generation != generation.name:
        raise IndexDamaged(path, f"written for {meta.generation}, not {generation.name}")
    return meta


def read_lazily(rel: str, sums: dict) -> bool:
    """Whether the server reads a file in pieces on demand (checked as it reads them) rather than whole at open."""
    name = rel.rsplit("/", 1)[-1]
    return rel.startswith(_WHOOSH) or f"{rel}.json" in sums or name.startswith(layout.SIMILAR + ".")


def check_open(generation: Path, meta: layout.IndexMeta) -> None:
    """What the server checks at open: every file there at its size, and the files read whole intact."""
    sums = meta.checksums
    for rel, expected in sums.items():
        path = generation / rel
        if read_lazily(rel, sums):
            try:
                size = os.stat(path).st_size
            except FileNotFoundError:
                raise IndexDamaged(path, "missing") from None
            if size != expected[0]:
                raise IndexDamaged(path, f"{size} bytes, {expected[0]} written")
        else:
            check(generation, meta, [rel])


def check(generation: Path, meta: layout.IndexMeta, files) -> None:
    """Check whole files of the generation (relative names); IndexDamaged for the first that differs."""
    sums = meta.checksums
    for rel in files:
        problem = file_problem(generation / rel, sums[rel]) if rel in sums else "not written by the build"
        if problem is not None:
            raise IndexDamaged(generation / rel, problem)


def whoosh_sums(meta: layout.IndexMeta) -> dict[str, list]:
    """The sums of the Whoosh files, by name in the Whoosh folder."""
    return {rel[len(_WHOOSH) :]: s for rel, s in meta.checksums.items() if rel.startswith(_WHOOSH)}


def similar_files(meta: layout.IndexMeta, folder: str) -> list[str]:
    """The similar-paragraph files of a segment folder (relative names), checked on first use."""
    prefix = "" if folder == "." else f"{folder}/"
    return [rel for rel in meta.checksums if rel.startswith(prefix + layout.SIMILAR + ".")]


@dataclass
class Finding:
    """One file that is not as written: damaged, missing or unexpected."""

    file: str
    problem: str

    def line(self) -> str:
        return f"{self.file}: {self.problem}"


def verify(index_dir: Path) -> tuple[Path, int, list[Finding]]:
    """Check every file of the live generation: (its folder, files checked, findings).
    IndexNotFound when there is no generation, or when it is of another version."""
    generation = layout.current_generation(index_dir)
    if generation is None:
        raise IndexNotFound(f"No index found at {index_dir}. Build it with: {REBUILD} --index {index_dir}")
    try:
        meta = read_meta(generation)
    except IndexDamaged as exc:
        return (
            generation,
            1,
            [Finding(layout.META, exc.reason if exc.reason == "missing" else f"damaged ({exc.reason})")],
        )
    except IndexNotFound:
        return (
            generation,
            1,
            [
                Finding(
                    layout.META,
                    f"built by another version of the indexer (this one writes format {layout.FORMAT_VERSION})",
                )
            ],
        )
    sums = meta.checksums
    findings = []
    for rel, expected in sums.items():
        problem = file_problem(generation / rel, expected)
        if problem is not None:
            findings.append(Finding(rel, "missing" if problem == "missing" else f"damaged ({problem})"))
    for folder, _dirs, names in os.walk(generation):
        for name in names:
            rel = (Path(folder) / name).relative_to(generation).as_posix()
            if rel != layout.META and rel not in sums:
                findings.append(Finding(rel, "unexpected (not written by the build)"))
    for rel in meta.files:  # the copies of the report files served for download
        copy = layout.source_copy(index_dir, meta, rel)
        problem = source_problem(copy, recorded_hash(meta.files[rel]))
        if problem is not None:
            where = copy.relative_to(index_dir).as_posix()
            findings.append(Finding(f"{where} (the copy of {rel})", problem))
    return generation, len(sums) + 1 + len(meta.files), findings


def source_problem(copy: Path, recorded: str) -> str | None:
    """What is wrong with the stored copy of a report file (its bytes hash to the version indexed), or None."""
    try:
        data = copy.read_bytes()
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    return None if content_hash(data) == recorded else "damaged (not the bytes indexed)"
