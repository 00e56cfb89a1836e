"""How much one report file may hold, in one place; a file over a limit is skipped with one line naming it.

Real reports are 5–50 pages, 10,000–100,000 characters. The limits leave room for twenty
times that and keep what one file can cost a build bounded: a report of MAX_CHARACTERS
characters builds in under 1 GB and half a minute.
"""

from __future__ import annotations

#: Characters of text in one report, once read.
MAX_CHARACTERS = 2_000_000
#: Pages of one PDF.
MAX_PAGES = 1_000
#: Bytes of any report file on disk (a PDF or Word file with pictures may be large).
MAX_FILE_BYTES = 256 * 2**20
#: Bytes of a saved web page (markup and inline pictures included).
MAX_PAGE_BYTES = 8 * 2**20
#: Bytes of a .docx once unpacked, as its zip declares them (every part; python-docx loads them all).
MAX_UNPACKED_BYTES = 256 * 2**20
#: Bytes of a .docx's XML once unpacked (python-docx parses it whole).
MAX_MARKUP_BYTES = 32 * 2**20


def over_limit(amount: int, unit: str, limit: int, hint: str = "split the file") -> str:
    """The reason for skipping a file over a limit: '52,428,800 characters; the limit is 2,000,000 (split the file)'."""
    return f"{amount:,} {unit}; the limit is {limit:,} ({hint})"
