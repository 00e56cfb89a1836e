"""Ranking: array BM25 equals Whoosh's BM25F over `words`; which paragraphs have occurrences counted."""

import numpy as np
import pytest
from whoosh.query import Term

from indexer.engine.query import parse_query
from indexer.engine.ranking import _smallest, word_scores
from indexer.text.normalize import normalize


@pytest.mark.parametrize("word", ["法治", "法律", "法律明白人", "执法", "宣传", "调解员", "建设"])
def test_bm25_matches_whoosh(index, built_index, word):
    """Whoosh's own scorer over a full build's `words` field (document numbers are paragraph ids);
    an updated index scores each paragraph as the full build of its folder does."""
    with built_index.ix.searcher() as searcher:
        results = searcher.search(Term("words", word), limit=None)
        expected = {place(built_index, d): s for s, d in results.top_n}
    docs, _ = index.words.postings(word)
    ids = np.sort(docs).astype(np.int32)
    assert sorted(place(index, pid) for pid in ids.tolist()) == sorted(expected)
    ours = index.words.bm25(index.words.frequencies([word], ids), ids)
    # Whoosh stores field lengths in one lossy byte, so allow a small relative difference.
    assert np.allclose(ours, [expected[place(index, i)] for i in ids.tolist()], rtol=0.05)


def place(index, pid: int) -> tuple[str, int]:
    """Where a paragraph id stands in the reports: (file, paragraph number)."""
    hit = index.hits([pid])[0]
    return hit.source, hit.paragraph


@pytest.mark.parametrize("dense_share", [0, 10**9], ids=["search", "dense"])
def test_frequencies_read_either_way_equal_a_recount(index, dense_share, monkeypatch):
    monkeypatch.setattr("indexer.engine.word_postings.DENSE_SHARE", dense_share)
    ids = np.flatnonzero(index.live)[::2]
    texts = [h.text for h in index.hits(ids.tolist())]
    words = ["法治", "调解", "法律明白人", "没有这个词"]
    got = index.words.frequencies(words, ids)
    for word in words:
        expected = [sum(1 for w in index.segmenter.words(normalize(t)) if w == word) for t in texts]
        assert got[word].tolist() == [min(e, 255) for e in expected]


@pytest.mark.parametrize("size, k", [(10, 3), (200, 2), (5000, 1000), (70_000, 1000), (300_000, 10), (300_000, 1000)])
@pytest.mark.parametrize("ties", [2, 50, 10**9])
def test_the_k_smallest_are_found_by_value_then_index(size, k, ties):
    rng = np.random.default_rng(size + k + ties)
    for keys in (
        rng.integers(0, ties, size).astype(float),
        np.sort(rng.integers(0, ties, size)).astype(float),
        -np.sort(rng.integers(0, ties, size)).astype(float),
    ):
        expected = np.sort(np.argsort(keys, kind="stable")[:k])
        assert _smallest(keys, k).tolist() == expected.tolist()


def score(whole, bm25, occurrences):
    """A relevance score: the whole-word groups, then BM25 and occurrences as a fraction."""
    r = bm25 + np.log1p(occurrences)
    return whole + r / (1 + r)


@pytest.fixture()
def few_counted(monkeypatch):
    """Occurrences counted for only a few paragraphs, so that most matches are ranked without them."""
    monkeypatch.setattr("indexer.engine.ranking.RERANK", 5)
    return 5


@pytest.mark.parametrize("query", ["法治", "工作", "建设 OR 依法", "的"])
def test_counted_paragraphs_are_those_with_the_best_estimate_and_score_exactly(index, few_counted, query):
    q = parse_query(query)
    ids = index.select(q)
    assert len(ids) > 4 * few_counted
    whole, bm25, estimate = word_scores(index, q, ids)
    exact = score(whole, bm25, index.grams.occurrences(ids, q.terms))
    at_least = score(whole, bm25, np.ones(1))
    ordered, scores = index.order(ids, "relevance", q)
    score_of = dict(zip(ordered.tolist(), scores.tolist()))
    by_estimate = np.argsort(-score(whole, bm25, estimate), kind="stable")[:few_counted]
    for i in by_estimate.tolist():
        assert score_of[int(ids[i])] == pytest.approx(exact[i])
    others = np.setdiff1d(np.arange(len(ids)), by_estimate)
    assert [score_of[int(ids[i])] for i in others.tolist()] == pytest.approx(at_least[others].tolist())


@pytest.mark.parametrize("query", ["法治", "工作", "建设 OR 依法", "的"])
def test_scores_never_increase_and_every_page_is_a_slice_of_the_whole_order(index, few_counted, query):
    q = parse_query(query)
    ids = index.select(q)
    ordered, scores = index.order(ids, "relevance", q)
    assert sorted(ordered.tolist()) == ids.tolist()
    assert all(a >= b for a, b in zip(scores.tolist(), scores[1:].tolist()))
    for top in (1, 3, few_counted):  # pages within the counted paragraphs
        page, page_scores = index.order(ids, "relevance", q, top=top)
        assert page.tolist() == ordered[:top].tolist()
        assert page_scores.tolist() == scores[:top].tolist()


def test_the_estimate_is_the_count_of_the_terms_rarest_word(index):
    q = parse_query("法律明白人 调解")
    ids = index.select(parse_query("法律明白人"))
    _, _, estimate = word_scores(index, q, ids)
    texts = [normalize(h.text) for h in index.hits(ids.tolist())]
    for text, got in zip(texts, estimate.tolist()):
        words = index.segmenter.words(text)
        expected = sum(min(words.count(w) for w in index.segmenter.words(t)) for t in ("法律明白人", "调解"))
        assert got == max(expected, 1)
