"""Snippets: every occurrence shown and marked, the rest of a long paragraph cut to windows joined by …"""

import random

import pytest

from indexer.text.normalize import find_spans
from indexer.text.snippets import snippet
from tests.conftest import REPORTS, SEED_FILES

TEXTS = [line for name in SEED_FILES for line in (REPORTS / name).read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("seed", range(30))
def test_every_occurrence_is_in_the_snippet_and_marked(seed):
    rng = random.Random(seed)
    text = rng.choice([t for t in TEXTS if len(t) > 150])
    start = rng.randrange(len(text) - 3)
    needle = text[start : start + rng.randint(1, 3)]
    spans = find_spans(text, [needle]) or [(start, start + 1)]
    cropped, inside = snippet(text, spans, width=60)
    assert [cropped[s:e] for s, e in inside] == [text[s:e] for s, e in spans]
    for piece in cropped.split("…"):
        assert piece in text  # nothing is made up: every window is a piece of the paragraph
    assert len(cropped) <= len(text) + 2


def test_a_match_at_the_end_of_a_long_paragraph_shows_only_its_surroundings():
    text = "甲" * 800 + "法律明白人" + "乙" * 100
    cropped, inside = snippet(text, [(800, 805)], width=60)
    assert cropped == "…" + "甲" * 30 + "法律明白人" + "乙" * 30 + "…"
    assert [cropped[s:e] for s, e in inside] == ["法律明白人"]


def test_near_occurrences_share_one_window_and_far_ones_are_joined_with_an_ellipsis():
    text = "甲" * 100 + "法治" + "乙" * 5 + "法治" + "丙" * 200 + "法治" + "丁" * 100
    cropped, _ = snippet(text, find_spans(text, ["法治"]), width=60)
    assert cropped.count("…") == 3 and cropped.count("法治") == 3


def test_short_text_and_text_without_matches():
    assert snippet("短短的法治段落", [(4, 6)]) == ("短短的法治段落", [(4, 6)])
    cropped, inside = snippet("字" * 300, [], width=60)
    assert cropped == "字" * 120 + "…" and inside == []
