"""The one CSV writer of the site: search results, trends and the concordance are written the same way,
for Excel: a UTF-8 BOM, a header row, formulas defused, links made absolute, written in pieces."""

from __future__ import annotations

import csv
import io
from typing import Iterable, Iterator

#: What a spreadsheet takes for the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Characters written before a piece of the CSV is handed on.
PIECE = 65536


def spreadsheet_safe(value):
    """A text cell that a spreadsheet would run as a formula, prefixed with ' so it shows as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_stream(rows: Iterable[dict], fields: list[str], base_url: str) -> Iterator[str]:
    """CSV text of rows (only `fields`, in that order; None as an empty cell), the BOM first so Excel
    reads the Chinese; a non-empty `url` is made absolute with base_url."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    base = base_url.rstrip("/")
    for row in rows:
        row = {key: "" if value is None else spreadsheet_safe(value) for key, value in row.items()}
        if row.get("url"):
            row["url"] = base + row["url"]
        writer.writerow(row)
        if buffer.tell() > PIECE:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
