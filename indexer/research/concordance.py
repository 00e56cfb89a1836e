"""A concordance: every occurrence of a query in its context, sorted as AntConc sorts, and its collocates.

An occurrence is one span of `find_spans` (what the site highlights): matches that
overlap or touch form one occurrence. Each becomes a line of `width` characters of
context on each side, taken from the paragraph as published (whitespace flattened to
spaces, not padded). Every occurrence is counted exactly; at most SORT_LIMIT become
lines, which are sorted and paged: all of them, or, when there are more, those of every
kth matching paragraph in report order, so the lines spread over every report.

Sorting compares strings by code point. For the CJK ideographs that is the Unicode
radical-and-stroke order, so equal characters group together, which is what a
concordance sort is for; a shorter context ("nothing" at a paragraph edge) sorts first.

Collocates are the jieba words within `span` words left and right of the match, in
the paragraph's own segmentation (the words the index counts), scored by Dunning's
log-likelihood G² against the word's frequency in the whole index.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Callable, NamedTuple

from indexer.engine.query import Query
from indexer.engine.search import Filters, ReportIndex
from indexer.text.normalize import KEPT_MARKS, find_spans, normalize

#: Sort keys → what the site calls them. "left2" starts at the 2nd character left of the match.
SORTS = {
    "report": "报告顺序",
    "left": "左 1 字",
    "left2": "左 2 字",
    "left3": "左 3 字",
    "right": "右 1 字",
    "right2": "右 2 字",
    "right3": "右 3 字",
    "township": "乡镇",
    "year": "年份",
}
DEFAULT_WIDTH, MAX_WIDTH = 20, 100
#: Most occurrences that become lines (sorted, paged, exported, scanned for collocates); ~1 s per 5,000 on 2 cores.
SORT_LIMIT = 20_000
DEFAULT_SPAN, MAX_SPAN = 5, 10
TOP_COLLOCATES = 30
#: A word seen once near the match says little about it.
MIN_COLLOCATE_COUNT = 2
#: G² above this is significant at p < 0.05 (χ² with one degree of freedom).
MIN_G2 = 3.84
_READ_BATCH = 500
_START, _END = itemgetter(1), itemgetter(2)  # of a (word, start, end) token
_FLATTEN = str.maketrans({c: " " for c in "\n\r\t\v\f\x85\u2028\u2029"})


class Line(NamedTuple):
    """One occurrence: its context, where it is, and its place in report order."""

    left: str
    match: str
    right: str
    report_id: str
    paragraph: int
    township: str
    year: int | None
    pid: int
    start: int  # the match's span in the paragraph's text
    end: int
    order: int  # position among the lines in report order


@dataclass(frozen=True)
class Collocate:
    """A word near the match: how often (in all, on the left, on the right), how often in the index, and G²."""

    word: str
    count: int
    left: int
    right: int
    corpus: int
    expected: float
    g2: float


@dataclass(frozen=True)
class Window:
    """The words near the matches of one paragraph: each word token once, and which sides it is on."""

    near: list[str]  # every token within `span` words of a match
    left: list[str]  # those in the window left of some match
    right: list[str]  # those in the window right of some match (a token between two matches is on both)


@dataclass
class Concordance:
    """Every occurrence counted; up to `limit` of them as lines, in report order; collocates over those lines."""

    query: Query
    total: int
    paragraphs: int
    lines: list[Line]
    width: int
    span: int
    limit: int
    collocates: list[Collocate] = field(default_factory=list)
    window_words: int = 0  # word tokens near the lines' matches (the collocates' sample size)
    corpus_words: int = 0  # words in the whole index (their reference)
    every: int = 1  # the lines come from every kth matching paragraph
    _sorted: dict[str, list[Line]] = field(default_factory=dict, repr=False)

    @property
    def truncated(self) -> bool:
        return self.total > len(self.lines)

    def sorted_lines(self, sort: str) -> list[Line]:
        """The lines in the order `sort` asks for; ties keep report order. Each order is sorted once."""
        if sort == "report":
            return self.lines
        if sort not in self._sorted:
            self._sorted[sort] = sorted(self.lines, key=SORT_KEYS[sort])
        return self._sorted[sort]


def _left_from(n: int) -> Callable[[Line], tuple]:
    """Left context read right to left from its nth character, then the skipped ones, then report order."""
    return lambda line: (line.left[::-1][n - 1 :], line.left[::-1][: n - 1], line.order)


def _right_from(n: int) -> Callable[[Line], tuple]:
    """Right context read from its nth character, then the skipped ones, then report order."""
    return lambda line: (line.right[n - 1 :], line.right[: n - 1], line.order)


SORT_KEYS: dict[str, Callable[[Line], tuple]] = {
    "left": _left_from(1),
    "left2": _left_from(2),
    "left3": _left_from(3),
    "right": _right_from(1),
    "right2": _right_from(2),
    "right3": _right_from(3),
    # unknown township or year last; within a township by year, within a year by township
    "township": lambda line: (not line.township, line.township, line.year is None, line.year or 0, line.order),
    "year": lambda line: (line.year is None, line.year or 0, not line.township, line.township, line.order),
}


def concordance(
    index: ReportIndex,
    query: Query,
    filters: Filters = Filters(),
    width: int = DEFAULT_WIDTH,
    span: int = DEFAULT_SPAN,
    limit: int = SORT_LIMIT,
) -> Concordance:
    """Every occurrence of query in the paragraphs the filters pass, counted; at most `limit` of them as lines.

    Occurrences are counted in the in-memory normalised texts. With more than `limit`,
    the lines come from every kth matching paragraph (in report order), so they spread
    over all reports instead of filling up from the first ones; only those paragraphs'
    published text is read.
    """
    ids = index.select(query, filters)
    norms = index.texts.many(ids)
    counts = [span_count(text, query.terms) for text in norms]
    every = max(1, math.ceil(sum(c or 1 for c in counts) / limit))
    while sum(c or 1 for c in counts[::every]) > limit:  # so the lines reach the last report
        every += 1
    chosen = range(0, len(ids), every)
    lines: list[Line] = []
    windows: list[Window] = []
    for first in range(0, len(chosen), _READ_BATCH):
        if len(lines) >= limit:
            break
        batch = chosen[first : first + _READ_BATCH]
        for i, hit in zip(batch, index.hits(ids[batch.start : batch.stop : every].tolist())):
            if len(lines) >= limit:
                break
            spans = find_spans(hit.text, query.terms)
            counts[i] = len(spans)
            spans = spans[: limit - len(lines)]
            lines += _lines(hit, spans, width, len(lines))
            windows.append(window_words(hit.text, norms[i], spans, query.terms, index.segmenter.tokens, span))
    unsure = [i for i, c in enumerate(counts) if c is None]  # matches touch when normalised
    for i, hit in zip(unsure, index.hits(ids[unsure].tolist())):
        counts[i] = len(find_spans(hit.text, query.terms))  # the published text decides
    result = Concordance(
        query=query,
        total=sum(counts),
        paragraphs=len(ids),
        lines=lines,
        width=width,
        span=span,
        limit=limit,
        every=every,
    )
    result.collocates, result.window_words, result.corpus_words = collocates(index, windows)
    return result


def _lines(hit, spans: list[tuple[int, int]], width: int, first: int) -> list[Line]:
    flat = hit.text.translate(_FLATTEN)
    return [
        Line(
            left=flat[max(0, s - width) : s],
            match=flat[s:e],
            right=flat[e : e + width],
            report_id=hit.report_id,
            paragraph=hit.paragraph,
            township=hit.township,
            year=hit.year,
            pid=hit.pid,
            start=s,
            end=e,
            order=first + n,
        )
        for n, (s, e) in enumerate(spans)
    ]


def span_count(norm: str, terms: list[str]) -> int | None:
    """How many spans find_spans gives for a paragraph, from its normalised text.

    None when two matches touch there: whether they touch in the published text too
    (one span) or are parted by ignored punctuation (two) only the published text says.
    """
    if len(terms) == 1 and not _overlaps_itself(terms[0]):
        term = terms[0]
        return None if term + term in norm else norm.count(term)
    starts = []
    for term in terms:
        at = norm.find(term)
        while at != -1:
            starts.append((at, at + len(term)))
            at = norm.find(term, at + 1)
    count, end = 0, -1
    for s, e in sorted(starts):
        if s == end:
            return None
        if s > end:
            count += 1
        end = max(end, e)
    return count


def _overlaps_itself(term: str) -> bool:
    """Whether two occurrences of term can overlap (a proper prefix equals a suffix: 法法 in 法法法)."""
    return any(term[:k] == term[-k:] for k in range(1, len(term)))


def window_words(
    text: str,
    norm: str,
    spans: list[tuple[int, int]],
    terms: list[str],
    tokens: Callable[[str], list[tuple[str, int, int]]],
    span: int,
) -> Window:
    """The jieba words within `span` words left and right of the spans of a paragraph's text.

    Words come from segmenting the whole normalised paragraph (norm), as the index does;
    clause marks are not words, and words overlapping a match or holding a query term
    (other matches) are left out after the window is taken.
    """
    words = [t for t in tokens(norm) if t[0] not in KEPT_MARKS] if spans else []
    left: set[int] = set()
    right: set[int] = set()
    pos, at = 0, 0
    for s, e in spans:  # folding is per character, so a prefix's normalised length places the span
        at += len(normalize(text[pos:s]))
        before = bisect_right(words, at, key=_END)  # words ending at or before the match
        at += len(normalize(text[s:e]))
        after = bisect_left(words, at, key=_START)  # the first word starting at or after its end
        pos = e
        left.update(range(max(0, before - span), before))
        right.update(range(after, min(after + span, len(words))))
    keep = [i for i in sorted(left | right) if not any(t in words[i][0] for t in terms)]
    return Window(
        near=[words[i][0] for i in keep],
        left=[words[i][0] for i in keep if i in left],
        right=[words[i][0] for i in keep if i in right],
    )


def collocates(
    index: ReportIndex, windows: list[Window], top: int = TOP_COLLOCATES
) -> tuple[list[Collocate], int, int]:
    """The words most strongly attracted to the match, by G², with the window and corpus sizes.

    Each word token near a match counts once, however many matches it is near, so the
    tokens near the matches and those elsewhere split the index in two, as G² assumes.
    """
    near = Counter(w for window in windows for w in window.near)
    left = Counter(w for window in windows for w in window.left)
    right = Counter(w for window in windows for w in window.right)
    size = sum(near.values())
    corpus = index.words.total_words()
    scored = []
    for word, count in near.items():
        if count < MIN_COLLOCATE_COUNT:
            continue
        freq = corpus_frequency(index, word)
        expected = size * freq / corpus if corpus else 0.0
        g2 = log_likelihood(count, size, freq, corpus)
        if count > expected and g2 >= MIN_G2:  # attracted, not repelled, and more than by chance
            scored.append(
                Collocate(
                    word=word, count=count, left=left[word], right=right[word], corpus=freq, expected=expected, g2=g2
                )
            )
    scored.sort(key=lambda c: (-c.g2, -c.count, c.word))
    return scored[:top], size, corpus


def corpus_frequency(index: ReportIndex, word: str) -> int:
    """Occurrences of a jieba word in the whole index (per-paragraph counts are stored up to 255)."""
    return index.words.collection_frequency(word)


def log_likelihood(a: int, near: int, freq: int, corpus: int) -> float:
    """Dunning's G² = 2 Σ O ln(O/E) over the 2 × 2 table: the word or another, near the match or elsewhere.

    a: the word near the match; near: all words near it; freq: the word in the corpus; corpus: all words.
    """
    table = [a, near - a, max(freq - a, 0), max(corpus - near - freq + a, 0)]
    n = sum(table)
    rows, cols = (table[0] + table[1], table[2] + table[3]), (table[0] + table[2], table[1] + table[3])
    g2 = 0.0
    for i, observed in enumerate(table):
        expected = rows[i // 2] * cols[i % 2] / n
        if observed:
            g2 += observed * math.log(observed / expected)
    return 2 * g2
