"""Paragraphs from laid-out lines: drop page furniture, then join lines by their geometry.

Works on the boxes of printed lines (PDF points, y growing upwards), so it can be
tested without a PDF. A line starts a new paragraph when the line before it stops
short of the right margin, when it is indented (a first line, a centred title, a
right-aligned signature), when its type size changes, or when a wider gap than the
usual line spacing separates it from the line above on the same page. Otherwise
it continues the line before, on the same page or across a page break.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from statistics import median

from indexer.documents.paragraphs import glue_all
from indexer.documents.sections import shape_of

#: A page number on its own: 第 3 页 共 9 页, 第3页/共9页, - 3 -, —3—, 3/9, 3, Page 3 of 9.
PAGE_NUMBER = re.compile(
    r"^(第\s*\d+\s*页\s*[,，/／]?\s*(共\s*\d+\s*页)?|共\s*\d+\s*页\s*第\s*\d+\s*页"
    r"|[-—–－]\s*\d+\s*[-—–－]|\d+\s*[/／]\s*\d+|\d+|page\s*\d+(\s*of\s*\d+)?)$",
    re.IGNORECASE,
)
_CLOSING_MARKS = "。！？；：…!?;:"


@dataclass
class Line:
    """One printed line: its text and box on its page (points, y upwards)."""

    text: str
    page: int
    x0: float
    x1: float
    bottom: float
    top: float

    @property
    def em(self) -> float:
        """The type size, taken as the height of the line's box."""
        return self.top - self.bottom


def is_page_number(text: str) -> bool:
    return bool(PAGE_NUMBER.match(text.strip()))


def _furniture_key(line: Line, by_height: bool = True) -> tuple[str, int]:
    """Text with digits masked and (by_height) the line's height on the page: equal for a running header."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", line.text)), round(line.top / 4) if by_height else 0


def _edge_lines(lines: list[Line]) -> list[Line]:
    """The two lines at the top and the two at the bottom of a page, where furniture sits."""
    return lines[:2] + lines[-2:] if len(lines) > 4 else list(lines)


def drop_furniture(pages: list[list[Line]], by_height: bool = True) -> list[list[Line]]:
    """Remove running headers and footers: page numbers at the top or bottom of a page, and
    any top or bottom line repeated at the same height on at least half the pages (two or more).

    Without by_height (scans, which sit a little higher or lower on each sheet), a repeated line
    is known by its text alone, and one in a type larger than the body's (a title the running
    header repeats) is kept."""
    counts = Counter(key for lines in pages for key in {_furniture_key(l, by_height) for l in _edge_lines(lines)})
    repeated = {key for key, n in counts.items() if n >= 2 and n * 2 >= len(pages)}
    body = median(l.em for lines in pages for l in lines) if not by_height and repeated else 0.0
    out = []
    for lines in pages:
        edges = {id(l) for l in _edge_lines(lines)}
        out.append(
            [
                l
                for l in lines
                if id(l) not in edges
                or not (
                    is_page_number(l.text)
                    or (_furniture_key(l, by_height) in repeated and (by_height or l.em <= 1.05 * body))
                )
            ]
        )
    return out


@dataclass
class Frame:
    """The text block of the document: left and right margins, body type size, line pitch."""

    left: float
    right: float
    em: float
    pitch: float


def measure_frame(lines: list[Line]) -> Frame:
    """The body's left margin (the commonest line start), right margin, type size and line pitch."""
    em = Counter(round(l.em, 1) for l in lines).most_common(1)[0][0]
    body = [l for l in lines if abs(l.em - em) < 0.1 * em] or lines
    left = Counter(round(l.x0) for l in body).most_common(1)[0][0]
    rights = sorted(l.x1 for l in body)
    right = rights[int(0.9 * (len(rights) - 1))]
    steps = [a.top - b.top for a, b in zip(body, body[1:]) if a.page == b.page and 0 < a.top - b.top < 3 * em]
    return Frame(float(left), right, em, median(steps) if steps else 1.5 * em)


def _reaches_right(line: Line, frame: Frame) -> bool:
    return line.x1 >= frame.right - 1.5 * line.em


def _indented(line: Line, frame: Frame) -> bool:
    return line.x0 > frame.left + 0.8 * line.em


def _centred(line: Line, frame: Frame) -> bool:
    return abs((line.x0 + line.x1) / 2 - (frame.left + frame.right) / 2) < line.em


def starts_paragraph(prev: Line, line: Line, frame: Frame) -> bool:
    """Whether `line` begins a new paragraph after `prev` (the line printed before it)."""
    if abs(line.em - prev.em) > 0.1 * prev.em:
        return True
    if not _reaches_right(prev, frame):
        return True
    if prev.page == line.page and prev.top - line.top > 1.4 * frame.pitch * line.em / frame.em:
        return True
    if _indented(line, frame):
        # The second line of a centred title in a larger type continues it.
        larger = line.em > 1.1 * frame.em
        return not (larger and _centred(line, frame))
    if prev.text.rstrip()[-1:] in _CLOSING_MARKS and shape_of(line.text).level:
        return True  # a heading or numbered item flush with the margin
    return False


def paragraphs_from_lines(pages: list[list[Line]]) -> list[str]:
    """The paragraphs of a document given its pages' lines in reading order, furniture removed."""
    lines = [l for page in pages for l in page if l.text.strip()]
    if not lines:
        return []
    frame = measure_frame(lines)
    paragraphs = [[lines[0].text.strip()]]
    for prev, line in zip(lines, lines[1:]):
        if starts_paragraph(prev, line, frame):
            paragraphs.append([line.text.strip()])
        else:
            paragraphs[-1].append(line.text.strip())
    return [glue_all(pieces) for pieces in paragraphs]
