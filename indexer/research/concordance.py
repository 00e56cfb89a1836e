"""A concordance: every occurrence of a query in its context, sorted as AntConc sorts, its collocates and clusters.

An occurrence is one span of `find_spans` (what the site highlights): matches that
overlap or touch form one occurrence. Every occurrence is counted exactly; at most
`limit` of them become lines (all of them, or, when there are more, those of every kth
matching paragraph in report order, so the lines spread over every report).

Everything but the lines of the page shown is computed from the normalised texts the
index holds in memory, so a concordance costs little enough to be computed for each
request (no cache, so every server process answers every sort as fast):

- a line is located by its paragraph, its span in the normalised text and its rank among
  the paragraph's spans; only the lines shown (or exported) read the published text, and
  take `width` characters each side of the rank-th span of `find_spans`;
- sorting compares the normalised context (up to SORT_CHARS characters each side), so
  spaces and ignored punctuation do not count, by code point: for the CJK ideographs that
  is the Unicode radical-and-stroke order, so equal characters group together; a shorter
  context ("nothing" at a paragraph edge) sorts first, and ties keep report order;
- collocates and clusters come from the jieba words around the matches of an even sample
  of at most COLLOCATE_LINES lines, each clause around a match segmented on its own (jieba
  segments each run between clause marks independently, so these are the paragraph's own
  words, the ones the index counts).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import numpy as np

from indexer.engine.proximity import occurrences
from indexer.engine.query import Query
from indexer.engine.search import Filters, ReportIndex
from indexer.text.normalize import KEPT_MARKS, find_spans, source_offsets

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
#: Most occurrences that become lines (sorted, paged, exported).
SORT_LIMIT = 20_000
#: Normalised characters each side that a context sort compares (ties beyond them keep report order).
SORT_CHARS = 30
#: Most lines whose words are read for collocates and clusters (an even sample of the lines beyond it).
COLLOCATE_LINES = 5_000
DEFAULT_SPAN, MAX_SPAN = 5, 10
TOP_COLLOCATES = 50
#: A word (or cluster) seen fewer times near the match says little about it; the site may ask for more.
MIN_COLLOCATE_COUNT = 2
#: G² above this is significant at p < 0.05 (χ² with one degree of freedom).
MIN_G2 = 3.84
#: Each statistic collocates can be ranked by: its name on the site.
STATISTICS = {"ll": "对数似然值（G²）", "mi": "互信息（MI）", "t": "t 值"}
#: Words a cluster adds to the match on one side: 1 to CLUSTER_WORDS.
CLUSTER_WORDS = 3
TOP_CLUSTERS = 50
#: Function words and fillers that say nothing about a term (with every one-character word and number).
STOP_WORDS = frozenset(
    "以及 并且 或者 还是 通过 按照 根据 关于 对于 其中 我们 他们 一些 这些 那些 自己 什么 但是 而且 因为 所以 "
    "如果 虽然 同时 以上 以下 之一 等等 已经 正在 一是 二是 三是 四是 五是 进一步 不断 切实 有效 积极 认真 各类 "
    "相关 有关 一批 一次 一年 全年 今年 去年 本年度 年度 方面 工作 开展 进行 加强 持续 深入 全面 及时 主动 坚持 "
    "推进 推动 落实 不够 还有 存在 一定 为了 由于 以来 期间 其他 之间".split()
)
_NUMBER = re.compile(r"^[\d.%‰〇零一二三四五六七八九十百千万亿两第]+$")
_START, _END = 1, 2  # of a (word, start, end) token
_FLATTEN = str.maketrans({c: " " for c in "\n\r\t\v\f\x85\u2028\u2029"})


def stopped(word: str) -> bool:
    """Whether the stop-list leaves a word out: one character (function words like 的 是 并, measure
    words like 起, and fragments of words cut by the match like 解), a number, or a function word."""
    return len(word) < 2 or bool(_NUMBER.match(word)) or word in STOP_WORDS


class Line(NamedTuple):
    """One occurrence as shown: its context in the published text, where it is, and its place in report order."""

    left: str
    match: str
    right: str
    report_id: str
    paragraph: int
    township: str
    year: int | None
    pid: int
    start: int  # the match's span in the paragraph's published text
    end: int
    order: int  # position among the lines in report order


@dataclass(frozen=True)
class Collocate:
    """A word near the match: how often (in all, on the left, on the right), how often in the index, and its scores."""

    word: str
    count: int
    left: int
    right: int
    corpus: int
    expected: float
    g2: float

    @property
    def mi(self) -> float:
        """Mutual information: log2(observed ÷ expected)."""
        return math.log2(self.count / self.expected) if self.expected else 0.0

    @property
    def t(self) -> float:
        """t-score: (observed − expected) ÷ √observed."""
        return (self.count - self.expected) / math.sqrt(self.count)

    def score(self, statistic: str) -> float:
        return {"ll": self.g2, "mi": self.mi, "t": self.t}[statistic]


@dataclass(frozen=True)
class Cluster:
    """The match with the words next to it on one side, as they stand in the text, and how many lines have it."""

    text: str
    side: str  # "left" (words before the match) or "right"
    words: int  # words added to the match
    count: int


@dataclass(frozen=True)
class Window:
    """The words around one line's match: (word, start) in the normalised paragraph, nearest last on the left."""

    start: int  # the match in the normalised paragraph
    end: int
    left: list[tuple[str, int]]
    right: list[tuple[str, int]]


@dataclass
class Concordance:
    """Every occurrence counted; up to `limit` of them located as lines, in report order."""

    query: Query
    total: int
    paragraphs: int
    width: int
    span: int
    limit: int
    every: int  # the lines come from every kth matching paragraph
    pids: np.ndarray  # per line: its paragraph
    ranks: np.ndarray  # its span's rank among the paragraph's spans
    starts: np.ndarray  # its span in the normalised text
    ends: np.ndarray
    norms: list[str]  # per line: its paragraph's normalised text
    index: ReportIndex = field(repr=False)
    collocates: list[Collocate] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    window_words: int = 0  # word tokens near the sampled lines' matches (the collocates' sample size)
    corpus_words: int = 0  # words in the whole index (their reference)
    sampled: int = 0  # lines whose words were read for collocates and clusters

    def __len__(self) -> int:
        return len(self.pids)

    @property
    def truncated(self) -> bool:
        return self.total > len(self)

    def order(self, sort: str) -> list[int]:
        """Line numbers in the order `sort` asks for; ties keep report order."""
        lines = range(len(self))
        if sort == "report":
            return list(lines)
        if sort in ("township", "year"):
            townships = self.index.columns["township"][self.pids].tolist()
            names = [self.index.townships[t] for t in townships]
            years = self.index.columns["year"][self.pids].tolist()
            place = lambda n: (not names[n], names[n])  # noqa: E731  unknown township last
            when = lambda n: (not years[n], years[n])  # noqa: E731  unknown year last
            key = (lambda n: (place(n), when(n))) if sort == "township" else (lambda n: (when(n), place(n)))
            return sorted(lines, key=key)
        side, nth = sort.rstrip("23"), int(sort[-1]) if sort[-1].isdigit() else 1
        keys = self.left_keys() if side == "left" else self.right_keys()
        return sorted(lines, key=lambda n: (keys[n][nth - 1 :], keys[n][: nth - 1]))

    def left_keys(self) -> list[str]:
        """Each line's normalised left context, read right to left from the match."""
        return [norm[max(0, s - SORT_CHARS) : s][::-1] for norm, s in zip(self.norms, self.starts.tolist())]

    def right_keys(self) -> list[str]:
        """Each line's normalised right context, from the match on."""
        return [norm[e : e + SORT_CHARS] for norm, e in zip(self.norms, self.ends.tolist())]

    def lines(self, numbers: list[int]) -> list[Line]:
        """The lines with these numbers, in that order, read from the published text."""
        pids = sorted({int(self.pids[n]) for n in numbers})
        hits = {hit.pid: hit for hit in self.index.hits(pids)}
        spans = {pid: find_spans(hit.text, self.query.terms) for pid, hit in hits.items()}
        out = []
        for n in numbers:
            hit = hits[int(self.pids[n])]
            s, e = spans[hit.pid][int(self.ranks[n])]
            flat = hit.text.translate(_FLATTEN)
            out.append(
                Line(
                    left=flat[max(0, s - self.width) : s],
                    match=flat[s:e],
                    right=flat[e : e + self.width],
                    report_id=hit.report_id,
                    paragraph=hit.paragraph,
                    township=hit.township,
                    year=hit.year,
                    pid=hit.pid,
                    start=s,
                    end=e,
                    order=n,
                )
            )
        return out


def concordance(
    index: ReportIndex,
    query: Query,
    filters: Filters = Filters(),
    width: int = DEFAULT_WIDTH,
    span: int = DEFAULT_SPAN,
    limit: int = SORT_LIMIT,
    min_count: int = MIN_COLLOCATE_COUNT,
    stop: bool = True,
    sample: int = COLLOCATE_LINES,
) -> Concordance:
    """Every occurrence of query in the paragraphs the filters pass, counted; at most `limit` of them
    located as lines; the collocates and clusters of (a sample of at most `sample` of) those lines.

    Occurrences are counted in the normalised texts; a paragraph where two matches touch there
    is read as published, which alone says whether they are one span or two.
    """
    ids = index.select_counted(query, filters)
    norms = index.texts.many(ids)
    counts = span_counts(norms, query.terms)
    every = max(1, math.ceil(sum(c or 1 for c in counts) / limit))
    while sum(c or 1 for c in counts[::every]) > limit:  # so the lines reach the last report
        every += 1
    unsure = [i for i, c in enumerate(counts) if c is None]  # matches touch when normalised
    published = {}
    for i, hit in zip(unsure, index.hits(ids[unsure].tolist())):
        published[i] = _published_spans(hit.text, norms[i], query.terms)
        counts[i] = len(published[i])
    pids, ranks, starts, ends, texts = [], [], [], [], []
    terms = query.terms
    for i in range(0, len(ids), every):
        spans = published[i] if i in published else _norm_spans(norms[i], terms)
        spans = spans[: limit - len(pids)]
        pid = int(ids[i])
        for rank, (s, e) in enumerate(spans):
            pids.append(pid)
            ranks.append(rank)
            starts.append(s)
            ends.append(e)
            texts.append(norms[i])
        if len(pids) >= limit:
            break
    result = Concordance(
        query=query,
        total=sum(counts),
        paragraphs=len(ids),
        width=width,
        span=span,
        limit=limit,
        every=every,
        pids=np.asarray(pids, np.int64),
        ranks=np.asarray(ranks, np.int64),
        starts=np.asarray(starts, np.int64),
        ends=np.asarray(ends, np.int64),
        norms=texts,
        index=index,
    )
    chosen = spread(len(result), sample)
    windows = [window(texts[n], starts[n], ends[n], max(span, CLUSTER_WORDS), index.segmenter.tokens) for n in chosen]
    result.sampled = len(chosen)
    result.collocates, result.window_words, result.corpus_words = collocates(
        index, [(pids[n], w) for n, w in zip(chosen, windows)], query.terms, span, min_count, stop, filters.duplicates
    )
    result.clusters = clusters([(texts[n][starts[n] : ends[n]], w) for n, w in zip(chosen, windows)], min_count, stop)
    return result


def spread(count: int, most: int) -> list[int]:
    """All of range(count), or `most` of them evenly spread over it."""
    if count <= most:
        return list(range(count))
    return np.linspace(0, count - 1, most).round().astype(np.int64).tolist()


def _norm_spans(norm: str, terms: list[str]) -> list[tuple[int, int]]:
    """Spans of the terms in normalised text, overlapping or touching ones merged (as find_spans
    merges them in the published text, when nothing ignored stands between them)."""
    return _merged(occurrences(norm, tuple(terms)), lambda start, end: start <= end)


def _published_spans(text: str, norm: str, terms: list[str]) -> list[tuple[int, int]]:
    """The spans find_spans gives in the published text, placed in its normalised text (norm): matches
    merge where their published spans overlap or touch (nothing ignored stands between them)."""
    offsets = source_offsets(text).tolist()
    return _merged(occurrences(norm, tuple(terms)), lambda start, end: offsets[start] <= offsets[end - 1] + 1)


def _merged(found: list[tuple[int, int]], joins: Callable[[int, int], bool]) -> list[tuple[int, int]]:
    """Sorted spans, each merged into the one before when joins(its start, that one's end)."""
    merged: list[tuple[int, int]] = []
    for s, e in found:
        if merged and joins(s, merged[-1][1]):
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def span_counts(norms: list[str], terms: list[str]) -> list[int | None]:
    """span_count of each text (one term that cannot overlap itself, the usual case, at C speed)."""
    if len(terms) == 1 and not _overlaps_itself(terms[0]):
        term, twice = terms[0], terms[0] * 2
        return [None if twice in norm else norm.count(term) for norm in norms]
    return [span_count(norm, terms) for norm in norms]


def span_count(norm: str, terms: list[str]) -> int | None:
    """How many spans find_spans gives for a paragraph, from its normalised text.

    None when two matches touch there: whether they touch in the published text too
    (one span) or are parted by ignored punctuation (two) only the published text says.
    """
    if len(terms) == 1 and not _overlaps_itself(terms[0]):
        term = terms[0]
        return None if term + term in norm else norm.count(term)
    count, end = 0, -1
    for s, e in occurrences(norm, tuple(terms)):
        if s == end:
            return None
        if s > end:
            count += 1
        end = max(end, e)
    return count


def _overlaps_itself(term: str) -> bool:
    """Whether two occurrences of term can overlap (a proper prefix equals a suffix: 法法 in 法法法)."""
    return any(term[:k] == term[-k:] for k in range(1, len(term)))


def _clause_start(norm: str, at: int) -> int:
    """Where the clause holding position at - 1 starts: just after the last clause mark before `at`."""
    return max(norm.rfind(mark, 0, at) for mark in KEPT_MARKS) + 1


def _clause_end(norm: str, at: int) -> int:
    """Where the clause holding position `at` ends: at the first clause mark from `at` (or the text's end)."""
    found = [p for p in (norm.find(mark, at) for mark in KEPT_MARKS) if p != -1]
    return min(found, default=len(norm))


def window(norm: str, start: int, end: int, span: int, tokens: Callable[[str], list[tuple[str, int, int]]]) -> Window:
    """The `span` jieba words left and right of a match at norm[start:end], as the whole paragraph's
    segmentation has them: clause marks are not words, and a word overlapping the match is on
    neither side. Only the clauses needed are segmented (jieba cuts each run between marks alone)."""

    def words(lo: int, hi: int) -> list[tuple[str, int, int]]:
        return [(w, s + lo, e + lo) for w, s, e in tokens(norm[lo:hi]) if w not in KEPT_MARKS]

    lo, hi = _clause_start(norm, start), _clause_end(norm, end)
    middle = words(lo, hi)
    left = [t for t in middle if t[_END] <= start]
    right = [t for t in middle if t[_START] >= end]
    while len(left) < span and lo > 0:
        before = _clause_start(norm, lo - 1)
        left = words(before, lo) + left
        lo = before
    while len(right) < span and hi < len(norm):
        after = _clause_end(norm, hi + 1)
        right += words(hi, after)
        hi = after
    return Window(start, end, left=[(w, s) for w, s, _ in left[-span:]], right=[(w, s) for w, s, _ in right[:span]])


def collocates(
    index: ReportIndex,
    windows: list[tuple[int, Window]],
    terms: list[str],
    span: int,
    min_count: int = MIN_COLLOCATE_COUNT,
    stop: bool = True,
    duplicates: bool = False,
) -> tuple[list[Collocate], int, int]:
    """The words attracted to the match (every one, best G² first), with the window and corpus sizes.

    Each word token near a match counts once, however many matches it is near, so the tokens
    near the matches and those elsewhere split the index in two, as G² assumes; words that
    hold a query term (other matches) are left out. With `stop`, the stop-list's words are
    left out of the list (they still count in the window's size). The corpus leaves out the
    paragraphs of duplicate copies (duplicates.py) unless `duplicates`.
    """
    left: dict[tuple[int, int], str] = {}
    right: dict[tuple[int, int], str] = {}
    for pid, w in windows:
        left.update(((pid, s), word) for word, s in w.left[-span:])
        right.update(((pid, s), word) for word, s in w.right[:span])
    keep = lambda tokens: Counter(w for w in tokens.values() if not any(t in w for t in terms))  # noqa: E731
    near, on_left, on_right = keep({**left, **right}), keep(left), keep(right)
    size = sum(near.values())
    corpus = index.words.total_words()
    wanted = [word for word, count in near.items() if count >= min_count and not (stop and stopped(word))]
    in_copies: dict[str, np.ndarray] = {}
    copies = None if duplicates else index.duplicate_paragraphs
    if copies is not None:
        ids = np.flatnonzero(copies & index.live)
        corpus -= int(index.words.lengths[ids].sum(dtype=np.int64))
        in_copies = index.words.frequencies(wanted, ids)
    scored = []
    for word in wanted:
        count = near[word]
        freq = corpus_frequency(index, word) - (int(in_copies[word].sum()) if word in in_copies else 0)
        expected = size * freq / corpus if corpus else 0.0
        g2 = log_likelihood(count, size, freq, corpus)
        if count > expected and g2 >= MIN_G2:  # attracted, not repelled, and more than by chance
            scored.append(
                Collocate(
                    word=word,
                    count=count,
                    left=on_left[word],
                    right=on_right[word],
                    corpus=freq,
                    expected=expected,
                    g2=g2,
                )
            )
    scored.sort(key=lambda c: (-c.g2, -c.count, c.word))
    return scored, size, corpus


#: How collocates can be ordered: by a statistic or a column, best (or A–Z) first; ties by G², then word.
COLLOCATE_SORTS: dict[str, Callable[[Collocate], tuple]] = {
    "ll": lambda c: (-c.g2, -c.count, c.word),
    "mi": lambda c: (-c.mi, -c.g2, c.word),
    "t": lambda c: (-c.t, -c.g2, c.word),
    "count": lambda c: (-c.count, -c.g2, c.word),
    "left": lambda c: (-c.left, -c.g2, c.word),
    "right": lambda c: (-c.right, -c.g2, c.word),
    "corpus": lambda c: (-c.corpus, -c.g2, c.word),
    "word": lambda c: (c.word,),
}


def sort_collocates(items: list[Collocate], by: str) -> list[Collocate]:
    return sorted(items, key=COLLOCATE_SORTS[by])


def clusters(lines: list[tuple[str, Window]], min_count: int = MIN_COLLOCATE_COUNT, stop: bool = True) -> list[Cluster]:
    """The match with 1 to CLUSTER_WORDS words right after it (or right before it), as the text has
    them, counted over the lines, at least min_count times, most frequent first. A cluster stops
    at a clause mark or a word overlapping the match; with `stop`, one whose outermost word is
    on the stop-list is left out (矛盾纠纷的, 67起矛盾纠纷)."""
    counts: Counter[tuple[str, str, int]] = Counter()
    for match, w in lines:
        at = w.end  # where the next word must start for the run to go on
        for k, (word, s) in enumerate(w.right[:CLUSTER_WORDS]):
            if s != at:
                break
            at = s + len(word)
            if not (stop and stopped(word)):
                counts[(match + "".join(x for x, _ in w.right[: k + 1]), "right", k + 1)] += 1
        at = w.start  # where the previous word must end
        for k, (word, s) in enumerate(reversed(w.left[-CLUSTER_WORDS:])):
            if s + len(word) != at:
                break
            at = s
            if not (stop and stopped(word)):
                counts[("".join(x for x, _ in w.left[len(w.left) - k - 1 :]) + match, "left", k + 1)] += 1
    found = [Cluster(text, side, words, n) for (text, side, words), n in counts.items() if n >= min_count]
    found.sort(key=lambda c: (-c.count, -c.words, c.text))
    return found


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
