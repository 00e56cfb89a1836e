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


def snippet(text: str, spans: list[tuple[int, int]], width: int = 60) -> tuple[str, list[tuple[int, int]]]:
    """A window of text around the first match, with spans shifted into it."""
    if len(text) <= width * 2 or not spans:
        window_start, window_end = 0, min(len(text), width * 2) if not spans else len(text)
    else:
        window_start = max(0, spans[0][0] - width // 2)
        window_end = min(len(text), window_start + width * 2)
    piece = text[window_start:window_end]
    prefix = "…" if window_start > 0 else ""
    suffix = "…" if window_end < len(text) else ""
    shift = len(prefix) - window_start
    inside = [(max(s, window_start) + shift, min(e, window_end) + shift)
              for s, e in spans if e > window_start and s < window_end]
    return prefix + piece + suffix, inside


@dataclass(frozen=True)
class Kwic:
    """One occurrence in context: fixed-width left and right context around the match."""

    left: str
    match: str
    right: str


def kwic(text: str, spans: list[tuple[int, int]], width: int = 20) -> list[Kwic]:
    """Every occurrence with `width` characters on each side (padded so lines align)."""
    flat = text.replace("\n", " ")
    return [Kwic(flat[max(0, s - width):s].rjust(width, "\u3000"), flat[s:e],
                 flat[e:e + width].ljust(width, "\u3000")) for s, e in spans]
