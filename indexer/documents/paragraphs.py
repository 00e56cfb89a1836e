"""Split report text into paragraphs, rejoining sentences cut by page breaks.

The reports were extracted from PDFs, so a line break (often with a blank line)
sometimes falls mid-sentence where a page ended. A line is joined to the next
when it cannot end a paragraph: it is body text of some length, it stops on no
closing mark, and the next line is not a heading, a numbered item or the
report's closing block.
"""

from __future__ import annotations

import re

from indexer.documents.sections import inline_headings, shape_of

#: Marks that may end a paragraph (checked after trailing quotes and brackets).
_CLOSING_MARKS = set("。！？；：…!?;:.．")
_TRAILING_CLOSERS = "”’」』）)》〉】］]\"'"
#: A line shorter than this is a title, signature or salutation, never a cut sentence.
MIN_CUT_LINE_CHARS = 20
_DATE_LINE = re.compile(r"^\s*([0-9０-９]{4}|[〇零一二三四五六七八九○]{4})\s*年.{1,6}月.{1,6}日\s*$")
_TITLE_LINE = re.compile(r"(报告|总结|文件)$")
#: A first line longer than this may be a whole page stored as one line.
MIN_RUN_ON_CHARS = 200
_TITLE_RUN = re.compile(r"^([^\s。，；：！？]{6,70}?(?:报告|总结|汇报))\s+(?=\S)")


def split_lines(text: str) -> list[str]:
    """Non-empty lines of the text, stripped of surrounding whitespace. A page stored without line
    breaks is cut after a title that opens it (…年度报告 then a space) and where a top-level heading
    stands inside a line (sections.inline_headings)."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if lines and len(lines[0]) > MIN_RUN_ON_CHARS:
        title = _TITLE_RUN.match(lines[0])
        lines[:1] = [title.group(1), lines[0][title.end() :]] if title else lines[:1]
    return [piece for line in lines for piece in inline_headings(line)]


def closing_block_start(lines: list[str]) -> int:
    """Index where the signature and date lines at the end of a report begin."""
    i = len(lines)
    while i > 0 and _is_closing_line(lines[i - 1]):
        i -= 1
    return i


def _is_closing_line(line: str) -> bool:
    if _DATE_LINE.match(line):
        return True
    return len(line) <= 25 and not any(c in line for c in "。，,；;") and not shape_of(line).level


def ends_open(line: str) -> bool:
    """True when a line stops on no closing mark, as a sentence cut by a page break does."""
    body = line.rstrip(_TRAILING_CLOSERS)
    if len(body) < len(line) and line[-1] in "”’」』\"'" and body and body[-1] in _CLOSING_MARKS:
        return False
    if not body:
        return False
    return body[-1] not in _CLOSING_MARKS


def is_cut(line: str, following: str) -> bool:
    """Whether `line` continues in `following` across a page break."""
    if len(line) < MIN_CUT_LINE_CHARS or not ends_open(line) or _TITLE_LINE.search(line):
        return False
    shape = shape_of(line)
    if shape.pure or shape.markdown:
        return False
    nxt = shape_of(following)
    if nxt.level or nxt.markdown:
        return False
    return True


def glue(left: str, right: str) -> str:
    """Join two pieces of one sentence; a space only between two Latin words."""
    return glue_all([left, right])


def glue_all(pieces: list[str]) -> str:
    """Join the pieces of one paragraph as glue does, pair by pair, in one pass: gluing each
    line to a growing paragraph copies it every time (a 2,000-page PDF of one paragraph)."""
    out: list[str] = []
    last = ""
    for piece in pieces:
        if last.isascii() and last.isalnum() and piece[:1].isascii() and piece[:1].isalnum():
            out.append(" ")
        out.append(piece)
        last = piece[-1:] or last
    return "".join(out)


class Rejoined:
    """A paragraph being rejoined line by line, in time linear in its length.

    is_cut reads a paragraph's shape from its start and its closing marks from its end, so
    a long one is judged by a stand-in: its first and last ENDS characters. Gluing each line
    to the whole paragraph and judging all of it again was quadratic (a 1 MB text of cut
    lines took minutes).
    """

    ENDS = 100

    def __init__(self, first: str):
        self.pieces = [first]
        self.whole: str | None = first if len(first) <= 2 * self.ENDS else None  # kept while short
        self.head, self.tail = first[: self.ENDS], first[-self.ENDS :]

    def add(self, piece: str) -> None:
        self.pieces.append(piece)
        self.tail = glue(self.tail, piece)[-self.ENDS :]
        if self.whole is not None:
            self.whole = glue(self.whole, piece)
            self.head = self.whole[: self.ENDS]
            if len(self.whole) > 2 * self.ENDS:
                self.whole = None

    def stand_in(self) -> str:
        """A string is_cut judges as it would the whole paragraph."""
        if self.whole is not None:
            return self.whole
        if not self.tail.rstrip(_TRAILING_CLOSERS):  # only closing quotes and brackets at its end: read it all
            return self.text()
        return self.head + self.tail

    def text(self) -> str:
        return glue_all(self.pieces)


def split_paragraphs(text: str, repair: bool = True) -> tuple[list[str], int, int]:
    """Paragraphs of a report, the number of page-break repairs, and where its closing block starts.

    With repair=False (text whose reader already rebuilt paragraphs) every line is a paragraph.
    """
    lines = split_lines(text)
    closing = closing_block_start(lines)
    paragraphs: list[str] = []
    repairs = 0
    i = 0
    while i < len(lines):
        current = Rejoined(lines[i])
        while repair and i + 1 < closing and is_cut(current.stand_in(), lines[i + 1]):
            current.add(lines[i + 1])
            repairs += 1
            i += 1
        paragraphs.append(current.text())
        i += 1
    closing_paragraphs = len(lines) - max(closing, 0)
    return paragraphs, repairs, len(paragraphs) - closing_paragraphs
