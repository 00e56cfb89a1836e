"""What a build or an update prints on a terminal, for the command line and for the server's start:
the progress bar, and one line per warning and per skipped file."""

from __future__ import annotations

import sys
from typing import Iterable

#: Folders of fewer files than this are read without a progress bar.
PROGRESS_MIN_FILES = 50

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def progress_bar(items: Iterable, desc: str) -> Iterable:
    """A progress bar on stderr for folders of PROGRESS_MIN_FILES files or more; for a stream
    of unknown length (the pages read by OCR, as they are read), a counter from its first item."""
    if not hasattr(items, "__len__"):
        from tqdm import tqdm

        return tqdm(items, unit="page", desc=desc, file=sys.stderr)
    items = list(items)
    if len(items) < PROGRESS_MIN_FILES:
        return items
    from tqdm import tqdm

    return tqdm(items, unit="report", desc=desc, file=sys.stderr)


def escaped(value: str) -> str:
    """A value for one field of a tab-separated line: backslash, tab and line breaks as \\\\ \\t \\n \\r."""
    return value.translate(_ESCAPES)


def print_problems(summary) -> None:
    """One line on stderr per warning, per skipped file and per duplicate of a build or update summary."""
    for name, reason in summary.warnings:
        print(f"warning: {escaped(name)}: {reason}", file=sys.stderr)
    for name, reason in summary.skipped:
        print(f"skipped: {escaped(name)}: {reason}", file=sys.stderr)
    for name, reason in getattr(summary, "duplicates", ()):
        print(f"duplicate: {escaped(name)}: {reason}", file=sys.stderr)
