"""The on-disk layout of an index: folders, file names, the format version and the id width.

An index folder holds generations (`gen-*`, each marked by a GENERATION_MARK file written
first, so clean-up removes only folders the index made) and a CURRENT file naming the live one.
A build writes a new generation beside the old and switches CURRENT with an atomic
rename, so a failed or interrupted build leaves the old index serving. Builds into one
folder take turns under an exclusive lock on `.build.lock`.

Every other module names its files through the constants here.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from indexer.documents.versions import recorded_hash
from indexer.engine.checksums import seal, unseal

#: Bumped whenever a file below changes meaning; an index of another version is rebuilt.
FORMAT_VERSION = 19

CURRENT = "CURRENT"
LOCK_NAME = ".build.lock"
GENERATION_PREFIX = "gen-"
#: Inside every generation: what tells it from a user's folder of the same name.
GENERATION_MARK = ".indexer-generation"

#: At the top of the index folder, shared by its generations: one copy of each version of each
#: indexed file (served for download), the bytes that were indexed, named by source_key.
SOURCES = "sources"

#: Paragraph ids take 21 bits wherever they are packed with other values.
DOC_BITS = 21
MAX_PARAGRAPHS = (1 << DOC_BITS) - 1
DOC_MASK = (1 << DOC_BITS) - 1

# Files of a generation. Its first segment lies at its top ("."); a full build of more than
# SEGMENT_PARAGRAPHS (build.py) adds seg-2, seg-3 …, and an update adds delta-1, delta-2 …,
# each holding the same files (TEXTS … COLUMNS, REPORTS, SEGMENT).
META = "meta.json"  # format, fingerprints, files' versions (versions.py), segments, removed reports, facets, checksums (integrity.py)
SEGMENT = "segment.json"  # a segment's own place names (its columns hold codes into them)
REPORTS = "reports.json"  # one record per report, with its first paragraph id
HEADINGS = "headings.json"  # per report, its headings (number, level, text): the contents
COLUMNS = "paragraphs.npz"  # per-paragraph integer columns (report, year, section, places)
WHOOSH = "whoosh"  # the Whoosh index: stored paragraphs and the jieba `words` field
USERDICT = "userdict.txt"  # the user dictionary the words were segmented with
TEXTS = "texts"  # normalised paragraph texts (compressed blocks)
GRAMS = "grams"  # prefix of the n-gram posting files
PHRASES = "phrases"  # prefix of the frequent-phrase table and its posting files
WORDS = "words"  # prefix of the ranking word-posting files
SIMILAR = "similar"  # prefix of the similar-paragraph files
FINGERPRINTS = "fingerprints.npz"  # per report, its sentences' hashes and lengths (duplicates.py; read by builds only)
SKETCH = "sketch"  # prefix of the compared paragraphs' band keys and signatures (read by builds only)


_NONE = [None, None, None, None]  # the signature of a file a generation does not have


def part(generation: Path, prefix: str, name: str) -> Path:
    """The file `prefix.name` of a generation (e.g. grams.keys.npy)."""
    return generation / f"{prefix}.{name}"


def source_key(rel: str, content: str) -> str:
    """The store's name for one version of a report file: a hash of its name and its content hash,
    keeping the extension (so a download has the right type)."""
    digest = hashlib.sha1(f"{rel}\0{content}".encode()).hexdigest()[:24]
    name = rel.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    suffix = name[dot:].lower() if 0 < dot < len(name) - 1 else ""  # PurePosixPath(rel).suffix, faster
    return f"{digest[:2]}/{digest}{suffix}"


def source_copy(index_dir: Path, meta: "IndexMeta", rel: str) -> Path | None:
    """Where the store keeps the version of file `rel` that a generation (its meta) indexed."""
    signature = meta.files.get(rel)
    return index_dir / SOURCES / source_key(rel, recorded_hash(signature)) if signature else None


def current_generation(index_dir: Path) -> Path | None:
    """The live generation folder of an index, or None if there is none."""
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    gen = index_dir / name
    return gen if name and gen.is_dir() else None


def new_generation(index_dir: Path) -> Path:
    """A fresh generation folder in index_dir (not yet live), holding only its mark."""
    gen = Path(tempfile.mkdtemp(prefix=GENERATION_PREFIX + time.strftime("%Y%m%dT%H%M%S-"), dir=index_dir))
    (gen / GENERATION_MARK).write_text(f"an index generation, format {FORMAT_VERSION}\n", encoding="utf-8")
    return gen


def is_generation(folder: Path) -> bool:
    """True for a generation folder the index wrote (marked), or one of an index from before
    marks (named gen-*, with its meta.json and Whoosh folder); never for a user's folder."""
    if (folder / GENERATION_MARK).is_file():
        return True
    return folder.name.startswith(GENERATION_PREFIX) and (folder / META).is_file() and (folder / WHOOSH).is_dir()


def switch_current(index_dir: Path, gen: Path) -> None:
    """Make gen the live generation, atomically."""
    tmp = index_dir / f".{CURRENT}.{os.getpid()}"
    tmp.write_text(gen.name + "\n", encoding="utf-8")
    os.replace(tmp, index_dir / CURRENT)


def remove_old_generations(
    index_dir: Path, keep: set[str], sweep: bool = True, known: dict[str, dict] | None = None
) -> None:
    """Delete every generation not named in keep, and the stored sources none of those use
    (call only while holding the build lock). Without sweep, only the copies the deleted
    generations used are looked at, not the whole store (what an update does). `known` gives
    the indexed files of kept generations already at hand ({name: meta's files})."""
    old = [g for g in index_dir.iterdir() if g.name not in keep and g.is_dir() and is_generation(g)]
    known = known or {}
    kept = [known[name] if name in known else _indexed_files(index_dir / name) for name in keep]
    dropped: set[str] = set()
    if any(files is None for files in kept):
        sweep = False  # cannot tell what a kept generation uses: remove no copy
    elif not sweep:
        # the versions the removed generations indexed and no kept one does (most are shared)
        for gen in old:
            for rel, sig in (_indexed_files(gen) or {}).items():
                content = recorded_hash(sig)
                if all(recorded_hash(files.get(rel, _NONE)) != content for files in kept):
                    dropped.add(source_key(rel, content))
    for gen in old:
        shutil.rmtree(gen, ignore_errors=True)
    store = index_dir / SOURCES
    if sweep and store.is_dir():
        used = {source_key(rel, recorded_hash(sig)) for files in kept for rel, sig in files.items()}
        stored = {f"{d.name}/{path.name}" for d in store.iterdir() if d.is_dir() for path in d.iterdir()}
        dropped = stored - used
    for key in dropped:
        (store / key).unlink(missing_ok=True)


@dataclass
class SegmentInfo:
    """One segment of a generation: its folder, its paragraphs and reports, and whether an update added it."""

    dir: str
    paragraphs: int
    reports: int
    update: bool = False

    def to_json(self) -> dict:
        return {"dir": self.dir, "paragraphs": self.paragraphs, "reports": self.reports} | (
            {"update": True} if self.update else {}
        )


@dataclass
class IndexMeta:
    """A generation's meta.json, typed (as Tantivy's IndexMeta and SegmentMeta): the build and
    updates write it through write_meta, everyone else reads it through read_meta."""

    segments: list[SegmentInfo]
    files: dict[str, list]  # report file → its version as read (versions.signature)
    extras: dict  # manifest and user dictionary → their stat (a change makes a full build)
    signature: str | None  # fingerprint of the report folder's stats (folder.source_signature)
    values: dict[str, list[str]]  # place facet → the live reports' places (codes, places.place_key), in code order
    places: dict[str, list[str]]  # code → [name, name of the place above it] (places.place_names)
    sections: list[str]  # section keys, in the order of the paragraph column's codes
    deleted_reports: list[list[str]]  # [segment folder, report id] of removed and replaced reports
    live_fields: list[str]  # the fields of each row of `live`
    live: list[list]  # one row per live report: its segment folder, then live_fields[1:]
    generation: str = ""  # the folder written for (another generation's meta.json is damage)
    checksums: dict[str, list] = field(default_factory=dict)  # file → [size, CRC32, …] (integrity.py)
    #: live copy's report id → [its original's report id, whether a place was unsettled] (duplicates.py)
    duplicates: dict[str, list] = field(default_factory=dict)
    #: file read and skipped → [size, mtime_ns, ctime_ns or None, reason] (read again once it changes)
    skipped: dict[str, list] = field(default_factory=dict)
    format: int = FORMAT_VERSION
    built: str = ""

    @property
    def paragraphs(self) -> int:
        """Paragraph ids in all segments, those of removed reports included."""
        return sum(s.paragraphs for s in self.segments)

    @property
    def reports(self) -> int:
        """Live reports."""
        return sum(s.reports for s in self.segments) - len(self.deleted_reports)

    def live_reports(self) -> list[tuple[str, dict]]:
        """(segment folder, report) of every live report, first_pid global."""
        return [(row[0], dict(zip(self.live_fields[1:], row[1:]))) for row in self.live]

    def to_json(self) -> dict:
        return {
            "format": self.format,
            "built": self.built,
            "reports": self.reports,
            "paragraphs": self.paragraphs,
            "signature": self.signature,
            "files": self.files,
            "extras": self.extras,
            "segments": [s.to_json() for s in self.segments],
            "deleted_reports": self.deleted_reports,
            "values": self.values,
            "places": self.places,
            "sections": self.sections,
            "live_fields": self.live_fields,
            "live": self.live,
            "generation": self.generation,
            "checksums": self.checksums,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
        }

    @classmethod
    def from_json(cls, data: dict) -> "IndexMeta":
        """The meta of a meta.json's object; ValueError when it lacks a field of this format."""
        try:
            return cls(
                segments=[SegmentInfo(**s) for s in data["segments"]],
                **{name: data[name] for name in _META_FIELDS},
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"meta.json lacks {exc}") from None


_META_FIELDS = (
    "files",
    "extras",
    "signature",
    "values",
    "places",
    "sections",
    "deleted_reports",
    "live_fields",
    "live",
    "generation",
    "checksums",
    "duplicates",
    "skipped",
    "format",
    "built",
)


class FormatMismatch(ValueError):
    """meta.json of another format version (the index is rebuilt, not read)."""


def parse_meta(text: str) -> IndexMeta:
    """meta.json's text as an IndexMeta: ValueError when its checksum fails or it lacks a field,
    FormatMismatch when another version of the indexer wrote it."""
    data = json.loads(unseal(text))
    if data.get("format") != FORMAT_VERSION:
        raise FormatMismatch(data.get("format"))
    return IndexMeta.from_json(data)


def read_meta(generation: Path) -> IndexMeta | None:
    """A generation's meta, or None when it cannot be read, fails its checksum or is of another format."""
    try:
        return parse_meta((generation / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_meta(generation: Path, meta: IndexMeta) -> None:
    """Write a generation's meta.json, sealed with its own checksum (written last, once every other file is)."""
    (generation / META).write_text(seal(json.dumps(meta.to_json(), ensure_ascii=False)), encoding="utf-8")


def _indexed_files(generation: Path) -> dict | None:
    """The files a generation indexed ({path: signature}), or None when its meta cannot be read
    or is of another format (its copies are named otherwise)."""
    meta = read_meta(generation)
    return None if meta is None else meta.files
