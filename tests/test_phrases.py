"""Frequent-phrase lists: the table holds exactly the frequent strings, and matching stays exact
whether a needle is a stored phrase, an extension of one, or frequent pieces that never meet."""

import random
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.engine import phrases
from indexer.engine.grams import NgramIndex, chunk_grams

WORDS = ["法治", "政府", "建设", "法律", "明白人", "执法", "治理", "乡镇", "工作", "开展", "，", "。"]


def build(path, texts, chunk=37, **options):
    options = {"min_share": 0.05, "min_paragraphs": 1, "max_length": 6, **options}
    chunks = [chunk_grams(texts[i : i + chunk], i) for i in range(0, len(texts), chunk)]
    NgramIndex.write(path, texts, chunks, **options)
    return NgramIndex.load(path, len(texts))


def scan(texts, needle):
    return [i for i, t in enumerate(texts) if needle in t]


def stored(table) -> list[str]:
    """Every string in the table, decoded from its keys (a prefix's id << 21 | last code point)."""
    names: list[str] = []
    for i, key in enumerate(table.keys.tolist()):
        head = chr((key >> 21) - 1) if i < table.starts[1] else names[key >> 21]
        names.append(head + chr(key & ((1 << 21) - 1)))
    return names


def generated(count, seed=5, words=WORDS):
    rng = random.Random(seed)
    return ["".join(rng.choice(words) for _ in range(rng.randint(0, 14))) for _ in range(count)]


def test_the_table_holds_exactly_the_strings_found_often_enough():
    texts = generated(300)
    keys, starts = phrases.choose(texts, 12, 5)
    table = phrases.PhraseTable(keys, starts, postings=None)
    counts = Counter(t[i : i + n] for t in texts for n in range(2, 6) for i in range(len(t) - n + 1))
    assert sorted(stored(table)) == sorted(s for s, c in counts.items() if c >= 12)
    assert len(starts) == 5  # runs of 2 to 5 characters
    for length in range(2, 6):  # each length is one sorted run
        run = keys[starts[length - 2] : starts[length - 1]]
        assert (np.diff(run) > 0).all()
        assert all(len(s) == length for s in stored(table)[starts[length - 2] : starts[length - 1]])


def test_stored_phrases_are_exact_without_verifying(tmp_path, monkeypatch):
    texts = generated(400)
    index = build(tmp_path, texts)
    names = [s for s in stored(index.phrases) if len(s) >= 3]
    assert len(names) > 50
    monkeypatch.setattr(index, "verify", lambda candidates, needle: pytest.fail(f"verified {needle!r}"))
    for name in names:
        assert index.find(name).tolist() == scan(texts, name)
        assert index.estimate(name) == len(scan(texts, name))


def test_every_kind_of_needle_equals_a_scan(tmp_path):
    texts = generated(500, seed=9)
    index = build(tmp_path, texts, chunk=53)
    names = stored(index.phrases)
    rng = random.Random(11)
    needles = set(names)
    needles |= {n + c for n in names for c in "法治建设人，"}  # extensions of stored phrases
    needles |= {c + n for n in names[:200] for c in "法治设，"}
    needles |= {rng.choice(names) + rng.choice(names) for _ in range(400)}  # frequent pieces, mostly never adjacent
    needles |= {t[a : a + rng.randint(1, 12)] for t in rng.sample(texts, 200) for a in range(0, len(t), 5)}
    needles |= {"".join(rng.choice("法治政府建设明白人执，") for _ in range(rng.randint(1, 9))) for _ in range(400)}
    needles.discard("")
    within = np.array(sorted(rng.sample(range(len(texts)), 150)), np.int32)
    for needle in sorted(needles):
        expected = scan(texts, needle)
        assert index.find(needle).tolist() == expected, needle
        index.clear_cache()
        assert index.find_within(needle, within).tolist() == [i for i in expected if i in set(within.tolist())], needle
        assert index.estimate(needle) >= len(expected)


def test_phrases_chosen_on_a_sample_still_give_exact_lists(tmp_path):
    texts = generated(900, seed=3)
    index = build(tmp_path, texts, sample=100, chunk=101)
    assert len(index.phrases.keys) > 0
    for name in stored(index.phrases):
        assert index.find(name).tolist() == scan(texts, name)


def test_lists_are_built_in_steps_that_split_the_paragraphs(tmp_path, monkeypatch):
    # A small budget for the marks forces many steps, each starting on a byte of the bitmaps.
    monkeypatch.setattr(phrases, "MARKS", 1 << 10)
    texts = generated(700, seed=4)
    index = build(tmp_path, texts)
    for name in stored(index.phrases):
        assert index.find(name).tolist() == scan(texts, name)


@pytest.mark.parametrize("texts", [[], [""], ["", ""], ["法"], ["法治法治法治"] * 3, ["ab", "ba", "abab"]])
def test_small_and_empty_collections(tmp_path, texts):
    index = build(tmp_path, texts)
    for needle in ["法", "法治", "法治法", "治法治法", "ab", "aba", "bab", "x"]:
        assert index.find(needle).tolist() == scan(texts, needle)


def test_no_table_below_the_minimum_paragraphs(tmp_path):
    texts = generated(100)
    index = build(tmp_path, texts, min_paragraphs=1000)
    assert len(index.phrases.keys) == 0
    assert index.find("法治政府").tolist() == scan(texts, "法治政府")


@settings(max_examples=40, deadline=None)
@given(
    texts=st.lists(st.text(alphabet="法治建设ab", min_size=0, max_size=30), min_size=1, max_size=80),
    needles=st.lists(st.text(alphabet="法治建设ab", min_size=1, max_size=9), min_size=1, max_size=15),
    share=st.sampled_from([0.02, 0.1, 0.3]),
)
def test_find_equals_a_scan_with_phrases(tmp_path_factory, texts, needles, share):
    index = build(tmp_path_factory.mktemp("p"), texts, chunk=7, min_share=share, max_length=5)
    for needle in needles:
        assert index.find(needle).tolist() == scan(texts, needle)


def test_the_bar_rises_until_the_phrases_fit(tmp_path, monkeypatch):
    monkeypatch.setattr(phrases, "MAX_PHRASES", 30)
    texts = generated(400)
    index = build(tmp_path, texts)
    assert 0 < len(index.phrases.keys) - index.phrases.starts[1] <= 30
    for name in stored(index.phrases):
        assert index.find(name).tolist() == scan(texts, name)


def test_phrase_bitmaps_are_not_kept_in_memory(tmp_path):
    texts = generated(400)
    index = build(tmp_path, texts)
    index.warm()
    for name in [s for s in stored(index.phrases) if len(s) >= 3][:20]:
        assert index.find(name).tolist() == scan(texts, name)
    assert index.phrases.postings.bitmaps.file.cache == {}
    assert index.grams.bitmaps.file.cache  # the gram bitmaps are kept, once warmed
