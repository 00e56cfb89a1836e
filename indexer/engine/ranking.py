"""The order of results: relevance (whole words, then BM25 over jieba words and occurrences), or a sort.

BM25 reads the word postings of word_postings.py; the formula is Whoosh's BM25F for one
field, so scores agree with Whoosh's own scorer over the `words` field.
"""

from __future__ import annotations

from functools import reduce

import numpy as np

from indexer.engine.filters import FilterError
from indexer.engine.query import Query

SORTS = {
    "relevance": "相关度",
    "newest": "年份（新→旧）",
    "oldest": "年份（旧→新）",
    "township": "乡镇",
}
#: How many of the paragraphs that score best with estimated occurrences have them counted, for ranking.
RERANK = 300


def check_sort(sort: str) -> None:
    """Raise FilterError for a sort that does not exist."""
    if sort not in SORTS:
        raise FilterError(
            "unknown_sort", value=sort[:30], choices=", ".join(SORTS), choices_zh="、".join(SORTS.values())
        )


def word_scores(index, query: Query, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per id: how many term groups occur as whole jieba words, BM25 over the query's words, and
    an estimate of the terms' occurrences (for each term, the count of its rarest word; at least one)."""
    term_words = {term: index.segmenter.words(term) for term in query.terms}
    tf = index.words.frequencies([w for words in term_words.values() for w in words], ids)
    whole = np.zeros(len(ids))
    for group in query.groups:
        present = [reduce(np.logical_and, (tf[w] > 0 for w in term_words[t])) for t in group if term_words[t]]
        if present:
            whole += reduce(np.logical_or, present)
    least = [reduce(np.minimum, (tf[w] for w in words)) for words in term_words.values() if words]
    estimate = np.maximum(reduce(np.add, least), 1) if least else np.ones(len(ids))
    return whole, index.words.bm25(tf, ids), estimate


def order(
    index, ids: np.ndarray, sort: str, query: Query | None, top: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """ids in the requested order, and their scores; with top, only the first `top`. Ties go to the
    paragraph that comes first by file path and paragraph number (index.in_path_order)."""
    check_sort(sort)
    ids = index.in_path_order(ids)  # ties below go to the earlier position, so to the earlier file and paragraph
    if sort == "relevance" and query is None:  # browsing: report order
        chosen = ids if top is None else ids[:top]
        return chosen, np.zeros(len(chosen))
    if sort == "relevance":
        return rank(index, ids, query, top)
    scores = np.zeros(len(ids))
    years = index.columns["year"][ids].astype(np.int64)
    if sort == "newest":
        keys = -years
    elif sort == "oldest":
        keys = years
    else:  # townships are stored in division-code order, so their indexes sort by code
        keys = index.columns["township"][ids].astype(np.int64) * 4096 - years
    if top is not None and top < len(ids):
        chosen = _smallest(keys, top)
        order = chosen[np.argsort(keys[chosen], kind="stable")]
    else:
        order = np.argsort(keys, kind="stable")  # ids are sorted, so ties keep paragraph order
    return ids[order], scores[order]


def rank(index, ids: np.ndarray, query: Query, top: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Relevance order and scores: whole-word matches first, then BM25 and occurrences.

    A score is whole + r / (1 + r), r = BM25 + log(1 + occurrences): the integer part
    counts the query's term groups found as whole jieba words in the paragraph (法治 in
    法治建设, not in 执法治理); the fraction grows with BM25 over the query's jieba words
    and with how often the terms occur. Counting occurrences costs a pass over each text,
    so only the RERANK paragraphs that score best with occurrences estimated from their
    word counts are counted; the rest count one, the least a match has. Which paragraphs
    are counted depends on the matches alone, never on `top`, and ties go to the earlier of
    ids (order() passes them by file path and paragraph number):
    the order is one total order, and the first `top` of it is exactly a prefix of the
    whole (page N of size S is items [(N-1)S, NS) of the export, at any page size).
    """
    whole, bm25, estimate = word_scores(index, query, ids)
    keys = _keys(whole, bm25, _LOG2)  # one occurrence each, for now
    if RERANK < len(ids):
        more = np.flatnonzero(estimate > 1)  # elsewhere the estimate is the one occurrence assumed
        if len(more) * 4 < len(ids):
            guess = keys.copy()
            guess[more] = _keys(whole[more], bm25[more], np.log1p(estimate[more]))
        else:
            guess = _keys(whole, bm25, np.log1p(estimate))
        counted = _smallest(guess, RERANK)
    else:
        counted = np.arange(len(ids))
    occurrences = index.grams.occurrences(ids[counted], query.terms)
    keys[counted] = _keys(whole[counted], bm25[counted], np.log1p(occurrences))
    chosen = _smallest(keys, top) if top is not None and top < len(ids) else np.arange(len(ids))
    order = chosen[np.argsort(keys[chosen], kind="stable")]
    return ids[order], 1 - keys[order]


_LOG2 = float(np.log(2))


def _keys(whole: np.ndarray, bm25: np.ndarray, log_occurrences) -> np.ndarray:
    """Sort keys, smallest first, in the order of the scores: 1 / (1 + r) − whole, which is 1 − score
    (three passes over the arrays for one count of occurrences)."""
    keys = bm25 + (1 + log_occurrences)
    np.reciprocal(keys, out=keys)
    keys -= whole
    return keys


def _smallest(keys: np.ndarray, k: int) -> np.ndarray:
    """Indexes of the k smallest keys, ties broken by index, in index order."""
    if k <= 0:
        return np.zeros(0, np.intp)
    if k <= len(keys) // 8:
        # Few of many: the k smallest are among the keys up to a bound read off an even sample,
        # if at least k keys are (else look at them all). Partitioning those few is cheaper.
        sample = keys[:: max(1, len(keys) // 2048)]
        m = min(len(sample) - 1, 2 * k * len(sample) // len(keys) + 16)
        near = np.flatnonzero(keys <= np.partition(sample, m)[m])
        if len(near) >= k:
            return near[_smallest_of_all(keys[near], k)]
    return _smallest_of_all(keys, k)


def _smallest_of_all(keys: np.ndarray, k: int) -> np.ndarray:
    kth = np.partition(keys, k - 1)[k - 1]
    below = np.flatnonzero(keys < kth)
    equal = np.flatnonzero(keys == kth)[: k - len(below)]
    return np.sort(np.concatenate((below, equal)))
