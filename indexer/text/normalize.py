"""The one text normalisation used by indexing, querying, highlighting and tests.

Each character is folded on its own with Unicode NFKC, lower case and OpenCC's
traditional-to-simplified character table (執→执, 鄉→乡), so 小龙门乡 finds 小龍門鄉.
Whitespace is dropped, and so is punctuation (Unicode category P) except the clause
and sentence marks, which a match may not cross. After NFKC the full-width marks
，！？；： become their ASCII forms, so 。、 and ,!?;: are the marks kept.

Folding is per character, so normalise(a + b) == normalise(a) + normalise(b): a
substring of the text is always a substring of the normalised text.
"""

from __future__ import annotations

import functools
import unicodedata

import numpy as np
import opencc

#: Punctuation that is kept (after NFKC): a query must meet these marks in the text.
KEPT_MARKS = frozenset("。、,!?;:")


@functools.lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def simplified_char(ch: str) -> str:
    """One character in simplified form, by OpenCC's character table (its first choice)."""
    if ch.isascii():
        return ch
    out = _t2s().convert(ch)
    return out if len(out) == 1 else ch


class _SimplifyTable(dict):
    def __missing__(self, code: int) -> str:
        self[code] = simplified_char(chr(code))
        return self[code]


_SIMPLIFY = _SimplifyTable()


def simplify(text: str) -> str:
    """Traditional characters folded to simplified, one for one (same length, same offsets)."""
    return text.translate(_SIMPLIFY)


def fold_char(ch: str) -> str:
    """Return what one source character becomes in normalised text ('' if dropped)."""
    out = []
    for c in simplify(unicodedata.normalize("NFKC", ch).lower()):
        if c.isspace():
            continue
        if unicodedata.category(c).startswith("P") and c not in KEPT_MARKS:
            continue
        if unicodedata.category(c) == "Cc":
            continue
        out.append(c)
    return "".join(out)


class _FoldTable(dict):
    """A str.translate table that folds characters lazily and remembers them."""

    def __missing__(self, code: int) -> str:
        folded = fold_char(chr(code))
        self[code] = folded
        return folded


_TABLE = _FoldTable()


def normalize(text: str) -> str:
    """Fold text for matching: NFKC, lower case, no whitespace, no ignored punctuation."""
    return text.translate(_TABLE)


class _LengthTable(dict):
    """A str.translate table from a character to chr(length of what it folds to)."""

    def __missing__(self, code: int) -> str:
        self[code] = chr(len(_TABLE[code]))
        return self[code]


_LENGTHS = _LengthTable()


def normalize_with_offsets(text: str) -> tuple[str, np.ndarray]:
    """Normalise text and return, for each normalised character, its source index."""
    return text.translate(_TABLE), source_offsets(text)


def source_offsets(text: str) -> np.ndarray:
    """For each character of normalize(text), the index of the source character it comes from."""
    lengths = np.frombuffer(text.translate(_LENGTHS).encode("latin-1"), dtype=np.uint8)
    return np.repeat(np.arange(len(text)), lengths)


def find_spans(text: str, needles: list[str]) -> list[tuple[int, int]]:
    """Source-text spans [start, end) of every occurrence of the normalised needles.

    Overlapping or touching spans are merged, so highlighting never nests.
    """
    norm, offsets = normalize_with_offsets(text)
    offsets = offsets.tolist()
    spans = []
    for needle in needles:
        if not needle:
            continue
        start = norm.find(needle)
        while start != -1:
            end = start + len(needle)
            spans.append((offsets[start], offsets[end - 1] + 1))
            start = norm.find(needle, start + 1)
    return merge_spans(spans)


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans sorted, with overlapping or touching ones merged, so highlighting never nests."""
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged
