"""The one CSV writer of the site: search results, trends and the concordance are written the same way,
for Excel: a UTF-8 BOM, a header row (in Chinese), formulas defused, links made absolute, written in
pieces; and the file name a download is saved under."""

from __future__ import annotations

import csv
import io
import re
from typing import Iterable, Iterator
from urllib.parse import quote

#: What a spreadsheet takes for the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Characters written before a piece of the CSV is handed on.
PIECE = 65536
#: Characters a file name may not hold on Windows, macOS or Linux (and control characters).
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def spreadsheet_safe(value):
    """A text cell that a spreadsheet would run as a formula, prefixed with ' so it shows as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_stream(rows: Iterable[dict], fields: dict[str, str], base_url: str) -> Iterator[str]:
    """CSV text of rows: the keys of `fields`, in that order, under their headers (the values), None
    as an empty cell; the BOM first so Excel reads the Chinese; a non-empty `url` is made absolute."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(fields.values())
    keys = list(fields)
    base = base_url.rstrip("/")
    for row in rows:
        if row.get("url"):
            row = {**row, "url": base + row["url"]}
        writer.writerow(["" if row.get(k) is None else spreadsheet_safe(row[k]) for k in keys])
        if buffer.tell() > PIECE:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def file_name(*parts) -> str:
    """A download's name from what it holds (the query, a year, what it is): empty parts left out,
    characters no file system takes replaced, at most 80 characters."""
    name = "-".join(_UNSAFE.sub("_", str(p)).strip(" ._") for p in parts if p not in (None, ""))
    return name[:80] or "download"


def attachment(name: str, extension: str, fallback: str) -> str:
    """A Content-Disposition for a download saved as name.extension: the UTF-8 name as RFC 5987's
    filename*, which browsers use, and an ASCII `fallback` name for those that do not read it."""
    plain = re.sub(r"[^A-Za-z0-9._-]+", "-", fallback).strip("-") or "download"
    return f"attachment; filename=\"{plain}.{extension}\"; filename*=UTF-8''{quote(f'{name}.{extension}')}"
