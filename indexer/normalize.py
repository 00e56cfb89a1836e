"""The one text normalisation used by indexing, querying, highlighting and tests.

Each character is folded on its own with Unicode NFKC and lower case. Whitespace
is dropped, and so is punctuation (Unicode category P) except the clause and
sentence marks, which a match may not cross. After NFKC the full-width marks
，！？；： become their ASCII forms, so 。、 and ,!?;: are the marks kept.
"""

from __future__ import annotations

import unicodedata

#: Punctuation that is kept (after NFKC): a query must meet these marks in the text.
KEPT_MARKS = frozenset("。、,!?;:")


def fold_char(ch: str) -> str:
    """Return what one source character becomes in normalised text ('' if dropped)."""
    out = []
    for c in unicodedata.normalize("NFKC", ch).lower():
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


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """Normalise text and return, for each normalised character, its source index."""
    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        folded = _TABLE[ord(ch)]
        for c in folded:
            chars.append(c)
            offsets.append(i)
    return "".join(chars), offsets


def find_spans(text: str, needles: list[str]) -> list[tuple[int, int]]:
    """Source-text spans [start, end) of every occurrence of the normalised needles.

    Overlapping or touching spans are merged, so highlighting never nests.
    """
    norm, offsets = normalize_with_offsets(text)
    spans = []
    for needle in needles:
        if not needle:
            continue
        start = norm.find(needle)
        while start != -1:
            end = start + len(needle)
            spans.append((offsets[start], offsets[end - 1] + 1))
            start = norm.find(needle, start + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged
