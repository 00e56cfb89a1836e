"""The matching rules: what a query matches after normalisation."""

import pytest

from indexer.text.normalize import find_spans, normalize


@pytest.mark.parametrize(
    "query, text",
    [
        ("八五普法", "全面实施“八五”普法计划"),
        ("2023年度法治政府建设", "关于 2023 年度法治政府建设情况的报告"),
        ("实施纲要（2021-2025年）", "《法治政府建设实施纲要（2021—2025 年）》"),
        ("实施纲要（2021-2025年）", "《法治政府建设实施纲要(2021—2025年)》"),
        ("实施纲要（2021-2025年）", "《法治政府建设实施纲要（2021－2025年）》"),
        ("12.4宪法宣传周", "“12.4宪法宣传周”等各项活动"),
        ("１２４宪法", "“12.4宪法宣传周”"),
        ("ABC", "abc"),
        ("放管服改革", "深化“放管服”改革"),
        ("法律明白人", "法律 明白人"),
    ],
)
def test_query_matches_text(query, text):
    assert normalize(query) in normalize(text)


@pytest.mark.parametrize(
    "query, text",
    [
        ("法治，建设", "法治建设"),  # a comma in the query must meet one in the text
        ("法治建设", "法治，建设"),  # and a match may not cross a clause mark
        ("工作。二是", "工作二是"),
        ("宣传、宣讲", "宣传宣讲"),
        ("要求：", "要求"),
        ("法治!", "法治"),
    ],
)
def test_clause_marks_are_not_ignored(query, text):
    assert normalize(query) not in normalize(text)


@pytest.mark.parametrize("mark", list("。！？；，、：") + list("!?;,:"))
def test_clause_marks_match_their_full_and_half_width_forms(mark):
    assert normalize("法治" + mark + "建设") != "法治建设"


def test_spans_cover_the_source_text_of_each_occurrence():
    text = "全面实施“八五”普法计划，做好“八五”普法工作"
    spans = find_spans(text, [normalize("八五普法")])
    assert [text[s:e] for s, e in spans] == ["八五”普法", "八五”普法"]


def test_overlapping_spans_are_merged():
    text = "法治法治法治"
    assert find_spans(text, ["法治法治"]) == [(0, 6)]


@pytest.mark.parametrize(
    "query, text",
    [
        ("執法", "严格规范公正文明执法"),  # a traditional query finds simplified text
        ("执法", "嚴格規範公正文明執法"),  # and a simplified query finds traditional text
        ("小龙门乡", "辰溪縣小龍門鄉人民政府"),
        ("法治政府建設", "法治政府建设"),
        ("報告", "关于2023年度法治政府建设情况的报告"),
    ],
)
def test_traditional_characters_fold_to_simplified(query, text):
    assert normalize(query) in normalize(text)


def test_folding_is_per_character_so_offsets_still_map_to_the_text():
    text = "辰溪縣小龍門鄉人民政府"
    spans = find_spans(text, [normalize("小龙门乡")])
    assert [text[s:e] for s, e in spans] == ["小龍門鄉"]
    assert normalize(text) == "".join(normalize(c) for c in text)


def test_simplified_text_is_left_as_it_is():
    text = "于是范围只有干部发展"  # characters that are also traditional forms keep their meaning
    assert normalize(text) == text
