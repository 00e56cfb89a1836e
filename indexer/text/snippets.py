"""Marking matches in text: highlighted fragments, snippets and keyword-in-context lines."""

from __future__ import annotations

from dataclasses import dataclass


def fragments(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """Split text into (piece, is_match) parts along sorted, non-overlapping spans."""
    out = []
    pos = 0
    for start, end in spans:
        if start > pos:
            out.append((text[pos:start], False))
        out.append((text[start:end], True))
        pos = end
    if pos < len(text):
        out.append((text[pos:], False))
    return out


#: Windows closer than this many characters are joined into one.
JOIN_GAP = 10


def snippet(text: str, spans: list[tuple[int, int]], width: int = 60) -> tuple[str, list[tuple[int, int]]]:
    """The parts of text around each match (about width characters each), joined with "…".

    Every match is inside the snippet, with its span shifted to the snippet's text; text
    without matches gives its first 2 × width characters. Windows that touch are merged.
    """
    if not spans:
        cut = min(len(text), width * 2)
        return text[:cut] + ("…" if cut < len(text) else ""), []
    half = width // 2
    windows: list[list[int]] = []
    for start, end in spans:
        lo, hi = max(0, start - half), min(len(text), end + half)
        if windows and lo <= windows[-1][1] + JOIN_GAP:
            windows[-1][1] = max(windows[-1][1], hi)
        else:
            windows.append([lo, hi])
    if windows[0][0] <= JOIN_GAP:
        windows[0][0] = 0
    if len(text) - windows[-1][1] <= JOIN_GAP:
        windows[-1][1] = len(text)
    out, shifted, size = [], [], 0
    for lo, hi in windows:
        if lo > 0:
            out.append("…")
            size += 1
        shift = size - lo
        shifted += [(s + shift, e + shift) for s, e in spans if lo <= s < hi]
        out.append(text[lo:hi])
        size += hi - lo
    if windows[-1][1] < len(text):
        out.append("…")
    return "".join(out), shifted


@dataclass(frozen=True)
class Kwic:
    """One occurrence in context: fixed-width left and right context around the match."""

    left: str
    match: str
    right: str


def kwic(text: str, spans: list[tuple[int, int]], width: int = 20) -> list[Kwic]:
    """Every occurrence with `width` characters on each side (padded so lines align)."""
    flat = text.replace("\n", " ")
    return [
        Kwic(flat[max(0, s - width) : s].rjust(width, "\u3000"), flat[s:e], flat[e : e + width].ljust(width, "\u3000"))
        for s, e in spans
    ]
