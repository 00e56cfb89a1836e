"""The on-disk layout of an index: folders, file names, the format version and the id width.

An index folder holds generations (`gen-*`) and a CURRENT file naming the live one.
A build writes a new generation beside the old and switches CURRENT with an atomic
rename, so a failed or interrupted build leaves the old index serving. Builds into one
folder take turns under an exclusive lock on `.build.lock`.

Every other module names its files through the constants here.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

#: Bumped whenever a file below changes meaning; an index of another version is rebuilt.
FORMAT_VERSION = 9

CURRENT = "CURRENT"
LOCK_NAME = ".build.lock"
GENERATION_PREFIX = "gen-"

#: Paragraph ids take 21 bits wherever they are packed with other values.
DOC_BITS = 21
MAX_PARAGRAPHS = (1 << DOC_BITS) - 1
DOC_MASK = (1 << DOC_BITS) - 1

# Files of a generation. Its first segment lies at its top ("."); an update adds segments in
# folders delta-1, delta-2 … that hold the same files (TEXTS … COLUMNS, REPORTS, SEGMENT).
META = "meta.json"              # format, fingerprints, segments, removed reports, facet values
SEGMENT = "segment.json"        # a segment's own place names (its columns hold codes into them)
DELETED = "deleted.npy"         # ids of the paragraphs of removed or replaced reports
REPORTS = "reports.json"        # one record per report, with its first paragraph id
COLUMNS = "paragraphs.npz"      # per-paragraph integer columns (report, year, section, places)
WHOOSH = "whoosh"               # the Whoosh index: stored paragraphs and the jieba `words` field
SOURCES = "sources"             # copies of the original files, served for download
USERDICT = "userdict.txt"       # the user dictionary the words were segmented with
TEXTS = "texts"                 # normalised paragraph texts (compressed blocks)
GRAMS = "grams"                 # prefix of the n-gram posting files
WORDS = "words"                 # prefix of the ranking word-posting files
SIMILAR = "similar"             # prefix of the similar-paragraph files


def part(generation: Path, prefix: str, name: str) -> Path:
    """The file `prefix.name` of a generation (e.g. grams.keys.npy)."""
    return generation / f"{prefix}.{name}"


def current_generation(index_dir: Path) -> Path | None:
    """The live generation folder of an index, or None if there is none."""
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    gen = index_dir / name
    return gen if name and gen.is_dir() else None


def new_generation(index_dir: Path) -> Path:
    """A fresh, empty generation folder in index_dir (not yet live)."""
    return Path(tempfile.mkdtemp(prefix=GENERATION_PREFIX + time.strftime("%Y%m%dT%H%M%S-"), dir=index_dir))


def switch_current(index_dir: Path, gen: Path) -> None:
    """Make gen the live generation, atomically."""
    tmp = index_dir / f".{CURRENT}.{os.getpid()}"
    tmp.write_text(gen.name + "\n", encoding="utf-8")
    os.replace(tmp, index_dir / CURRENT)


def remove_old_generations(index_dir: Path, keep: set[str]) -> None:
    """Delete every generation not named in keep (call only while holding the build lock)."""
    for old in index_dir.glob(GENERATION_PREFIX + "*"):
        if old.is_dir() and old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
