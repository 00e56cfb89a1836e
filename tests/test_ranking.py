"""Our array BM25 agrees with Whoosh's own BM25F scorer over the same jieba words."""

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh.fields import NUMERIC, TEXT, Schema
from whoosh.query import Term

from indexer.analysis import JiebaAnalyzer
from indexer.normalize import normalize


@pytest.fixture(scope="module")
def whoosh_words(index, tmp_path_factory):
    """A Whoosh index of the same paragraphs with a jieba `words` field, as the reference."""
    folder = tmp_path_factory.mktemp("whoosh-words")
    ix = whoosh_index.create_in(str(folder), Schema(pid=NUMERIC(stored=True), words=TEXT(analyzer=JiebaAnalyzer(index.segmenter.entries))))
    writer = ix.writer()
    for hit in index.hits(list(range(len(index)))):
        writer.add_document(pid=hit.pid, words=hit.text)
    writer.commit()
    return ix


@pytest.mark.parametrize("word", ["法治", "法律", "法律明白人", "执法", "宣传", "调解员", "建设"])
def test_bm25_matches_whoosh(index, whoosh_words, word):
    with whoosh_words.searcher() as searcher:
        results = searcher.search(Term("words", word), limit=None)
        expected = {searcher.stored_fields(d)["pid"]: s for s, d in results.top_n}
    ids = np.array(sorted(expected), dtype=np.int32)
    assert len(ids) > 0
    ours = index.words.bm25(index.words.frequencies([word], ids), ids)
    # Whoosh stores field lengths in one lossy byte, so allow a small relative difference.
    assert np.allclose(ours, [expected[i] for i in ids.tolist()], rtol=0.05)
    docs, _ = index.words.postings(word)
    assert sorted(docs.tolist()) == ids.tolist()


@pytest.mark.parametrize("dense_share", [0, 10**9], ids=["search", "dense"])
def test_frequencies_read_either_way_equal_a_recount(index, dense_share, monkeypatch):
    monkeypatch.setattr("indexer.ranking.DENSE_SHARE", dense_share)
    ids = np.arange(0, len(index), 2)
    texts = [h.text for h in index.hits(ids.tolist())]
    words = ["法治", "调解", "法律明白人", "没有这个词"]
    got = index.words.frequencies(words, ids)
    for word in words:
        expected = [sum(1 for w in index.segmenter.words(normalize(t)) if w == word) for t in texts]
        assert got[word].tolist() == [min(e, 255) for e in expected]
