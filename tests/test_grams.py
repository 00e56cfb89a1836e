"""Exact matching on n-gram postings: the same answers as a scan, for sparse lists and bitmaps alike."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.engine import blocks
from indexer.engine.grams import NgramIndex, chunk_grams, gram_keys


def build(tmp_path, texts, chunk=3):
    chunks = [chunk_grams(texts[i : i + chunk], i) for i in range(0, len(texts), chunk)]
    NgramIndex.write(tmp_path, texts, chunks)
    return NgramIndex.load(tmp_path, len(texts))


def scan(texts, needle):
    return [i for i, t in enumerate(texts) if needle in t]


def test_unigram_and_bigram_keys():
    assert gram_keys("法") == [ord("法")]
    assert len(gram_keys("法治法治")) == 2  # 法治 and 治法, each once


def test_small_example(tmp_path):
    texts = ["法律明白人骨干", "执法治理", "法治建设", "", "aab法"]
    index = build(tmp_path, texts)
    for needle in ["法", "法治", "明白人", "律明", "x", "aab", "b法", "治理执"]:
        assert index.find(needle).tolist() == scan(texts, needle)


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(st.text(alphabet="法治建设ab", min_size=0, max_size=30), min_size=1, max_size=80),
    needles=st.lists(st.text(alphabet="法治建设ab", min_size=1, max_size=5), min_size=1, max_size=10),
)
def test_find_equals_a_scan(tmp_path_factory, texts, needles):
    # A small alphabet makes most grams common, so bitmaps and id lists are both exercised.
    index = build(tmp_path_factory.mktemp("g"), texts, chunk=7)
    for needle in needles:
        assert index.find(needle).tolist() == scan(texts, needle)


def test_lists_and_texts_spanning_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(blocks, "ARRAY_BLOCK", 5)
    monkeypatch.setattr(blocks, "TEXT_BLOCK", 3)
    rng = np.random.default_rng(7)
    texts = ["".join(rng.choice(list("甲乙丙丁戊己庚辛"), size=rng.integers(0, 12))) for _ in range(200)]
    index = build(tmp_path, texts, chunk=17)
    ids = np.arange(200)
    for warmed in (False, True):  # lazily read blocks, then the flat arrays kept after warming
        if warmed:
            index.warm()
            assert index.texts.flat is not None and index.grams.lists.flat is not None
        for needle in ["甲", "甲乙", "丙丁戊", "辛辛", "庚己甲乙"]:
            assert index.find(needle).tolist() == scan(texts, needle)
        assert index.texts.many([0, 1, 5, 199]) == [texts[0], texts[1], texts[5], texts[199]]
        assert index.texts.many([7]) == [texts[7]]
        assert index.occurrences(ids, ["甲"]).tolist() == [t.count("甲") for t in texts]


def test_delta_array_round_trip(tmp_path, monkeypatch):
    monkeypatch.setattr(blocks, "ARRAY_BLOCK", 4)
    lists = [[3, 9, 10], [1, 2], [], [0, 5, 6, 7, 8, 100]]
    flat = np.array([x for lst in lists for x in lst], dtype=np.int32)
    starts = np.cumsum([0] + [len(lst) for lst in lists])
    blocks.BlockArray.save(tmp_path / "a", flat, starts=starts[:-1])
    array = blocks.BlockArray(tmp_path / "a")
    for lst, lo, hi in zip(lists, starts[:-1], starts[1:]):
        assert array.get(int(lo), int(hi)).tolist() == lst


@pytest.mark.parametrize("step", [1, 5, 1 << 20])
def test_a_warmed_delta_array_holds_the_values_of_every_list(tmp_path, monkeypatch, step):
    """Warming sums each list's differences once, a run of whole lists at a time (a run may be
    one list longer than the step): every list reads as before, empty lists included."""
    monkeypatch.setattr(blocks, "ARRAY_BLOCK", 4)
    monkeypatch.setattr(blocks, "SUM_STEP", step)
    rng = np.random.default_rng(step)
    lists = [np.sort(rng.choice(2_000_000, size, replace=False)).tolist() for size in (3, 0, 1, 12, 0, 0, 7, 2, 30)]
    flat = np.array([x for lst in lists for x in lst], dtype=np.int32)
    starts = np.cumsum([0] + [len(lst) for lst in lists])
    blocks.BlockArray.save(tmp_path / "a", flat, starts=starts[:-1])
    array = blocks.BlockArray(tmp_path / "a")
    array.warm(starts=starts[:-1])
    assert array.flat.tolist() == flat.tolist()
    for lst, lo, hi in zip(lists, starts[:-1], starts[1:]):
        assert array.get(int(lo), int(hi)).tolist() == lst
    with pytest.raises(ValueError, match="starts of its lists"):
        blocks.BlockArray(tmp_path / "a").warm()


def test_too_many_paragraphs_is_refused(tmp_path, monkeypatch):
    from indexer.engine import grams

    monkeypatch.setattr(grams, "MAX_PARAGRAPHS", 2)
    with pytest.raises(ValueError, match="at most 2 paragraphs"):
        NgramIndex.write(tmp_path, ["a", "b", "c"], [])


def test_recent_answers_are_cached_read_only_and_bounded(tmp_path, monkeypatch):
    from indexer.engine import grams

    monkeypatch.setattr(grams, "CACHE_IDS", 3)
    texts = ["法治建设", "法治", "建设法治", "执法"]
    index = build(tmp_path, texts)
    first = index.find("法治")
    assert index.find("法治") is first
    assert not first.flags.writeable
    index.find("执法")  # 3 + 1 ids: over the bound, so the older answer is dropped
    assert "法治" not in index._cache and index.find("法治").tolist() == [0, 1, 2]


@pytest.mark.parametrize("ranges", [1, 3, 16])
def test_postings_merged_by_key_range_hold_every_list(tmp_path, monkeypatch, ranges):
    """The sorted runs of many chunks are merged a range of keys at a time: every key's list is
    what a single sort of all postings gives, sparse and dense alike, and blocks hold deltas."""
    from indexer.engine import postings
    from indexer.engine.layout import DOC_BITS

    monkeypatch.setattr(postings, "MERGE_RANGES", ranges)
    monkeypatch.setattr(blocks, "ARRAY_BLOCK", 64)  # many blocks: lists start at and cross block edges
    rng = np.random.default_rng(ranges)
    count, chunks, first = 2000, [], 0
    for size in (300, 0, 450, 250, 500, 500):
        n = size * 3
        keys = np.where(rng.random(n) < 0.5, rng.integers(0, 5, n), rng.integers(5, 5000, n))  # dense and sparse
        docs = rng.integers(first, first + size, n) if size else np.zeros(0, np.int64)
        chunks.append(np.unique((keys << DOC_BITS) | docs))
        first += size
    everything = np.unique(np.concatenate(chunks))
    postings.Postings.write(tmp_path, "t", list(chunks), count)
    loaded = postings.Postings.load(tmp_path, "t", count)
    expected_keys = np.unique(everything >> DOC_BITS)
    assert loaded.keys.tolist() == expected_keys.tolist()
    assert any(loaded.is_dense(i) for i in range(len(loaded.keys)))
    assert not all(loaded.is_dense(i) for i in range(len(loaded.keys)))
    for i, key in enumerate(expected_keys.tolist()):
        want = (everything[(everything >> DOC_BITS) == key] & ((1 << DOC_BITS) - 1)).tolist()
        assert loaded.ids(i).tolist() == want
