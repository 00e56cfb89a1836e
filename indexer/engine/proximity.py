"""Proximity: terms in one sentence (`A /s B`) or at most N characters apart (`A /N B`).

A chain `g0 op1 g1 op2 g2 …` (each g a group of terms, any of which may stand for it) holds
in a paragraph when occurrences o0, o1, o2 … of the groups can be chosen so that each pair
(o[i-1], o[i]) satisfies op[i]:

- `s`: the two occurrences lie in one sentence. A sentence ends after `。！？；` (`!?;`) and at
  the end of the paragraph; `，、：` do not end one. An occurrence that holds an end mark lies
  in both sentences it touches.
- N (1 to MAX_DISTANCE): the gap between them, from the end of the one to the start of the
  other, in either order, is at most N characters; overlapping occurrences have no gap.

Matching a candidate's text is done by a regular expression where one says the same (two
groups; a chain of /s alone, which holds where one sentence holds every group), and by
following the occurrences otherwise (longer mixed chains, whole words).

Positions are those of the normalised text (text/normalize.py), where spaces and most
punctuation are gone: `/5` counts characters a reader sees, not spaces. Since the chains are
checked against each candidate's text after the paragraph-level AND has found it, a chain
never finds what the AND would not.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Callable

#: Marks that end a sentence, as normalisation writes them (NFKC folds ！？； to !?;).
SENTENCE_ENDS = frozenset("。!?;")
MAX_DISTANCE = 200
SENTENCE = "s"


@dataclass(frozen=True)
class Chain:
    """Groups of terms linked by operators: ops[i] links groups[i] to groups[i + 1]."""

    groups: tuple[tuple[str, ...], ...]
    ops: tuple[str | int, ...]  # SENTENCE or a distance


Span = tuple[int, int]
#: Finds the occurrences of a group's terms in a normalised text.
Finder = Callable[[str, tuple[str, ...]], list[Span]]


def occurrences(text: str, terms: tuple[str, ...]) -> list[Span]:
    """Every occurrence [start, end) of any of the terms in a normalised text, overlaps included, sorted."""
    found = []
    for term in terms:
        start = text.find(term)
        while start != -1:
            found.append((start, start + len(term)))
            start = text.find(term, start + 1)
    return sorted(set(found))


def whole_word_finder(segmenter) -> Finder:
    """A finder of whole-word occurrences (text/words.py Segmenter.occurrences); each text is cut once."""
    last: list = [None, None]

    def find(text: str, terms: tuple[str, ...]) -> list[Span]:
        if last[0] is not text:
            last[0], last[1] = text, segmenter.tokens(text)
        return sorted({span for term in terms for span in segmenter.occurrences(text, term, last[1])})

    return find


def sentence_ends(text: str) -> list[int]:
    """Positions of the marks that end sentences."""
    return [i for i, c in enumerate(text) if c in SENTENCE_ENDS]


def _sentences(span: Span, ends: list[int]) -> tuple[int, int]:
    """The first and last sentence a span touches (an end mark belongs to the sentence it ends)."""
    return bisect.bisect_left(ends, span[0]), bisect.bisect_left(ends, span[1] - 1)


def related(a: Span, b: Span, op: str | int, ends: list[int]) -> bool:
    """Whether two occurrences satisfy the operator."""
    if op == SENTENCE:
        first_a, last_a = _sentences(a, ends)
        first_b, last_b = _sentences(b, ends)
        return first_a <= last_b and first_b <= last_a
    return max(b[0] - a[1], a[0] - b[1]) <= op


def chain_spans(text: str, chain: Chain, find: Finder = occurrences) -> list[Span]:
    """The occurrences that take part in some way of satisfying the chain (none when it does not hold).

    A pass forward keeps each group's occurrences that some kept occurrence of the group
    before relates to; a pass back keeps those related to a kept one of the group after.
    """
    spans = [find(text, g) for g in chain.groups]
    if not all(spans):
        return []
    ends = sentence_ends(text) if SENTENCE in chain.ops else []
    kept = [spans[0]]
    for op, found in zip(chain.ops, spans[1:]):
        before = kept[-1]
        kept.append([o for o in found if any(related(p, o, op, ends) for p in before)])
        if not kept[-1]:
            return []
    for i in range(len(kept) - 2, -1, -1):
        after, op = kept[i + 1], chain.ops[i]
        kept[i] = [p for p in kept[i] if any(related(p, o, op, ends) for o in after)]
    return sorted({s for group in kept for s in group})


def holds(text: str, chain: Chain, find: Finder = occurrences) -> bool:
    """Whether the chain holds in a normalised text."""
    return bool(chain_spans(text, chain, find))


def _overlapping(a: str, b: str) -> set[str]:
    """The strings in which an occurrence of a and one of b overlap (one inside the other, or an
    end of one the start of the other)."""
    found = {x for x, y in ((a, b), (b, a)) if y in x}
    for x, y in ((a, b), (b, a)):
        found |= {x + y[k:] for k in range(1, min(len(x), len(y))) if x.endswith(y[:k])}
    return found


_SPLIT = re.compile("[" + "".join(sorted(SENTENCE_ENDS)) + "]")
_BETWEEN = "[^" + "".join(sorted(SENTENCE_ENDS)) + "]*?"


def matcher(chain: Chain) -> Callable[[str], bool] | None:
    """A test of a normalised text that says what holds() says, faster; None where there is none.

    Two groups: `A gap B | B gap A | A and B overlapping`, gap being any run without a sentence
    end (/s) or at most N characters (/N). Only /s: some sentence holds a term of every group.
    Neither applies when a term of a /s chain holds a sentence end (it spans two sentences).
    """
    terms = [t for group in chain.groups for t in group]
    if SENTENCE in chain.ops and any(c in SENTENCE_ENDS for t in terms for c in t):
        return None
    if len(chain.groups) == 2:
        (a_terms, b_terms), op = chain.groups, chain.ops[0]
        gap = _BETWEEN if op == SENTENCE else ".{0,%d}?" % op
        a, b = ("|".join(map(re.escape, g)) for g in chain.groups)
        merged = sorted({m for x in a_terms for y in b_terms for m in _overlapping(x, y)}, key=len, reverse=True)
        parts = [f"(?:{a}){gap}(?:{b})", f"(?:{b}){gap}(?:{a})", *map(re.escape, merged)]
        return re.compile("|".join(parts), re.S).search
    if all(op == SENTENCE for op in chain.ops):
        groups = chain.groups
        return lambda text: any(all(any(t in s for t in g) for g in groups) for s in _SPLIT.split(text))
    return None
