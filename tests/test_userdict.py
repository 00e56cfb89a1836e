"""A jieba user dictionary (data/reports/userdict.txt) makes field terms whole words for ranking."""

import math
import os

import pytest

from indexer.engine.build import build, is_stale
from indexer.engine.query import parse_query
from indexer.engine.search import ReportIndex
from indexer.text.words import USERDICT_NAME, Segmenter, parse_user_dict, read_user_dict
from tests.conftest import USERDICT


def whole_word_part(index: ReportIndex, query: str) -> list[int]:
    """The integer (whole-word) part of each hit's score."""
    return [math.floor(h.score) for h in index.search(parse_query(query), limit=None).hits]


def test_entries_follow_jiebas_format():
    entries, problems = parse_user_dict("法律明白人\n八五普法 5\n法治带头人 3 n\n网格员 n\n")
    assert entries == (("法律明白人", None, None), ("八五普法", 5, None), ("法治带头人", 3, "n"), ("网格员", None, "n"))
    assert problems == []


def test_bad_lines_are_named_by_number_and_skipped():
    text = "# comment\n法律明白人\n八五普法 12a\n一 二 三 四\n“”\n法治带头人 2\n"
    entries, problems = parse_user_dict(text)
    assert [e[0] for e in entries] == ["法律明白人", "法治带头人"]
    assert problems == [
        "line 3: frequency must be a whole number, got '12a'; skipped",
        "line 4: expected 'word [freq] [tag]', got 4 fields; skipped",
        "line 5: '“”' is not a word; skipped",
    ]


def test_words_are_normalised_like_the_text():
    entries, _ = parse_user_dict("法律明白人\n執法監督\n")
    assert Segmenter(entries).words("加强执法监督") == ["加强", "执法监督"]


def test_segmenter_keeps_user_words_whole():
    entries, _ = parse_user_dict("法律明白人\n一村一法律顾问\n")
    assert Segmenter().words("培养法律明白人") == ["培养", "法律", "明白人"]
    assert Segmenter(entries).words("培养法律明白人和一村一法律顾问") == ["培养", "法律明白人", "和", "一村一法律顾问"]


def test_the_shipped_dictionary_loads_cleanly_and_covers_terms_of_the_reports():
    entries, problems = read_user_dict(USERDICT)
    assert problems == []
    words = {e[0] for e in entries}
    assert {"法律明白人", "八五普法", "一村一法律顾问", "综合行政执法", "法治带头人"} <= words


def test_a_user_word_changes_the_whole_word_part_of_the_score(data_dir, tmp_path):
    (data_dir / USERDICT_NAME).unlink()
    build(data_dir, tmp_path / "plain")
    plain = ReportIndex.open(tmp_path / "plain")
    (data_dir / USERDICT_NAME).write_text("法律明白人\n", encoding="utf-8")
    build(data_dir, tmp_path / "dict")
    with_dict = ReportIndex.open(tmp_path / "dict")
    # jieba alone cuts 法律明白人 into 法律 / 明白人, so 明白人 is a whole word there;
    # with the user word it is part of one word, and the hits drop to the inner rank.
    assert whole_word_part(plain, "明白人") == [1, 1, 1]
    assert whole_word_part(with_dict, "明白人") == [0, 0, 0]
    assert whole_word_part(plain, "法律明白人") == whole_word_part(with_dict, "法律明白人") == [1, 1, 1]


def test_the_dictionary_is_not_indexed_as_a_report(index):
    assert USERDICT_NAME not in {r["source"] for r in index.reports}


def test_build_warns_about_bad_lines(data_dir, tmp_path):
    (data_dir / USERDICT_NAME).write_text("法律明白人\n八五普法 x1\n", encoding="utf-8")
    summary = build(data_dir, tmp_path / "index")
    assert [w for w in summary.warnings if w[0] == USERDICT_NAME] == [
        (USERDICT_NAME, "line 2: frequency must be a whole number, got 'x1'; skipped")
    ]


def test_an_undecodable_dictionary_is_named_and_not_used(data_dir, tmp_path):
    (data_dir / USERDICT_NAME).write_bytes("法律明白人\n".encode("utf-16"))
    summary = build(data_dir, tmp_path / "index")
    assert (USERDICT_NAME, "userdict.txt: not UTF-8 text; not used") in summary.warnings
    assert whole_word_part(ReportIndex.open(tmp_path / "index"), "明白人") == [1, 1, 1]


def test_editing_the_dictionary_makes_the_index_stale(data_dir, tmp_path):
    build(data_dir, tmp_path / "index")
    assert not is_stale(data_dir, tmp_path / "index")
    path = data_dir / USERDICT_NAME
    path.write_text(path.read_text(encoding="utf-8") + "民主法治示范村\n", encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert is_stale(data_dir, tmp_path / "index")


@pytest.mark.parametrize("query", ["法律明白人", "八五普法"])
def test_queries_are_segmented_with_the_index_dictionary(index, query):
    assert index.segmenter.words(query) == [query]
