"""Places come from the official division table; folders, the manifest and the text settle shared names."""

import random

import pytest

from indexer.documents.metadata import extract_metadata
from indexer.documents.paragraphs import split_lines
from indexer.documents.places import COUNTY, TOWNSHIP, gazetteer
from indexer.engine.build import BuildSummary, read_reports

SHARED = "城关镇\n关于法治政府建设工作情况的报告\n2023年，我镇认真贯彻落实……\n一、主要举措\n工作。\n城关镇人民政府\n2024年1月8日\n"


def meta_of(text: str, folder: str | None = None):
    return extract_metadata(split_lines(text), folder=folder)


def test_the_table_is_the_2025_edition_with_every_township():
    gaz = gazetteer()
    assert gaz.edition == "2025-12-31"
    assert sum(len(p) for p in gaz.by_name[TOWNSHIP].values()) == 38723
    assert len(gaz.places_named("城关镇", TOWNSHIP)) == 82


def test_lineage_of_a_township():
    gaz = gazetteer()
    (place,) = gaz.places_named("熊背乡", TOWNSHIP)
    lineage = gaz.lineage(place)
    assert {k: v.name for k, v in lineage.items()} == {
        "township": "熊背乡",
        "county": "鲁山县",
        "prefecture": "平顶山市",
        "province": "河南省",
    }


def test_mentions_take_the_longest_name_ending_at_each_place():
    gaz = gazetteer()
    names = [m.name for m in gaz.mentions("宜章县莽山瑶族乡人民政府", TOWNSHIP)]
    assert names == ["莽山瑶族乡"]
    assert [m.name for m in gaz.mentions("西吉县吉强镇", COUNTY)] == ["西吉县"]


@pytest.mark.parametrize("level", [1, 2, 3, TOWNSHIP])
def test_mentions_equal_a_scan_of_every_end_position(level):
    """The scan skips to the characters names end in; it finds what trying every position finds."""
    gaz = gazetteer()
    rng = random.Random(level)
    names = sorted(gaz.by_name[level])
    filler = "法治政府建设的报告，县乡镇街道办事处市区省"
    for _ in range(200):
        parts = [rng.choice(names) if rng.random() < 0.5 else rng.choice(filler) * rng.randint(1, 3) for _ in range(8)]
        text = "".join(parts)
        expected = []
        for end in range(1, len(text) + 1):
            for size in range(min(end, 20), 1, -1):
                if text[end - size : end] in gaz.by_name[level]:
                    expected.append((text[end - size : end], end - size, end))
                    break
        assert [(m.name, m.start, m.end) for m in gaz.mentions(text, level)] == expected


def test_a_shared_name_with_no_clue_stays_unsettled_and_warns():
    meta = meta_of(SHARED)
    assert (meta.township, meta.county, meta.code) == ("城关镇", None, None)
    assert [f for f, _ in meta.warnings] == ["county"]


@pytest.mark.parametrize(
    "folder, county, source",
    [
        ("福建省/尤溪县/report.txt", "尤溪县", "table"),
        ("尤溪县/report.txt", "尤溪县", "table"),
        ("霍邱县2023/report.txt", "霍邱县", "table"),
    ],
)
def test_the_folder_path_settles_a_shared_name(folder, county, source):
    meta = meta_of(SHARED, folder)
    assert (meta.township, meta.county, meta.sources["county"]) == ("城关镇", county, source)
    assert meta.code and meta.warnings == []


def test_the_manifest_settles_a_shared_name(tmp_path):
    (tmp_path / "a.txt").write_text(SHARED, encoding="utf-8")
    (tmp_path / "manifest.toml").write_text('[files."a.txt"]\ncounty = "尤溪县"\n', encoding="utf-8")
    summary = BuildSummary()
    (report,) = read_reports(tmp_path, summary)
    assert (report.township, report.county, report.prefecture, report.province) == (
        "城关镇",
        "尤溪县",
        "三明市",
        "福建省",
    )
    assert report.sources["county"] == "manifest" and report.sources["township"] == "letterhead"
    assert report.code and report.warnings == [] and summary.warnings == []


def test_a_name_not_in_the_table_is_taken_with_a_warning():
    meta = meta_of(
        "淳安县云岫镇人民政府\n关于2023年法治政府建设情况的报告\n2023年，云岫镇……\n一、主要举措\n工作。\n云岫镇人民政府\n"
    )
    assert (meta.township, meta.county, meta.code) == ("云岫镇", "淳安县", None)
    assert meta.warnings == [("township", "township 云岫镇 is not in the division table (2025-12-31); new or renamed?")]


def test_a_county_contradicting_the_table_is_warned_about():
    meta = meta_of(
        "河南省鲁山县城关镇人民政府\n关于2023年法治政府建设情况的报告\n2023年，我镇……\n一、主要举措\n工作。\n"
    )
    assert meta.county == "鲁山县" and meta.code is None
    assert meta.warnings[0][0] == "township" and "none of the 82 places named 城关镇" in meta.warnings[0][1]


@pytest.mark.parametrize(
    "text, year, source, warned",
    [
        ("关于2023年度法治政府建设情况的报告\n2023年，我乡……\n一、主要举措\n", 2023, "title", False),
        (
            "关于法治政府建设情况的报告\n现将我乡2022年度法治政府建设情况报告如下：\n一、主要举措\n",
            2022,
            "opening",
            False,
        ),
        ("关于法治政府建设情况的报告\n2025年，是“十四五”规划收官之年。\n一、主要举措\n", 2025, "opening", False),
        (
            "关于法治政府建设情况的报告\n我乡认真贯彻《纲要（2021-2025年）》。\n一、2023年主要举措\n工作。\n",
            2023,
            "heading",
            False,
        ),
        (
            "关于法治政府建设情况的报告\n今年以来……\n一、2022年度督察反馈问题整改情况\n整改。\n二、2023年主要举措\n",
            2023,
            "heading",
            False,
        ),
        (
            "X政发〔2025〕3号\n关于法治政府建设情况的报告\n今年以来……\n一、主要举措\n工作。\n",
            2024,
            "document number",
            True,
        ),
        (
            "关于法治政府建设情况的报告\n今年以来……\n一、主要举措\n工作。\n某乡人民政府\n2024年1月8日\n",
            2023,
            "date",
            True,
        ),
        ("关于2023年度法治政府建设情况的报告\n2022年，我乡……\n一、主要举措\n", 2023, "title", True),
    ],
)
def test_year_from_the_most_trusted_place_with_a_warning_when_weak_or_disputed(text, year, source, warned):
    meta = meta_of(text)
    assert (meta.year, meta.sources["year"]) == (year, source)
    assert any(f == "year" for f, _ in meta.warnings) == warned


def test_a_township_named_only_in_a_slogan_is_taken_with_a_warning():
    meta = meta_of(
        "2024年，我乡坚持依法行政，推进“法治舒桥”建设。现将我乡2024年度法治政府建设情况汇报如下：\n"
        "一、主要举措和成效\n我乡开展了普法宣传。\n"
    )
    assert (meta.township, meta.county, meta.year) == ("舒桥乡", "青田县", 2024)
    assert [f for f, _ in meta.warnings] == ["township"]
    assert "slogan" in meta.warnings[0][1]
