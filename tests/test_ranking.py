"""Our array BM25 agrees with Whoosh's own BM25F scorer over the index's jieba `words` field."""

import numpy as np
import pytest
from whoosh.query import Term

from indexer.engine.ranking import _smallest
from indexer.text.normalize import normalize


@pytest.mark.parametrize("word", ["法治", "法律", "法律明白人", "执法", "宣传", "调解员", "建设"])
def test_bm25_matches_whoosh(index, word):
    """Whoosh's own scorer over the index's `words` field (document numbers are paragraph ids)."""
    with index.ix.searcher() as searcher:
        results = searcher.search(Term("words", word), limit=None)
        expected = {d: s for s, d in results.top_n}
    ids = np.array(sorted(expected), dtype=np.int32)
    assert len(ids) > 0
    ours = index.words.bm25(index.words.frequencies([word], ids), ids)
    # Whoosh stores field lengths in one lossy byte, so allow a small relative difference.
    assert np.allclose(ours, [expected[i] for i in ids.tolist()], rtol=0.05)
    docs, _ = index.words.postings(word)
    assert sorted(docs.tolist()) == ids.tolist()


@pytest.mark.parametrize("dense_share", [0, 10**9], ids=["search", "dense"])
def test_frequencies_read_either_way_equal_a_recount(index, dense_share, monkeypatch):
    monkeypatch.setattr("indexer.engine.word_postings.DENSE_SHARE", dense_share)
    ids = np.arange(0, len(index), 2)
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
