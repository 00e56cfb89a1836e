"""Report levels: whose report it is, from the body that issued it (title, letterhead, signature, 发布机构)."""

import pytest

from indexer.documents.levels import LEVELS, level_of_issuer
from indexer.documents.metadata import extract_metadata
from indexer.documents.paragraphs import split_lines
from indexer.documents.places import gazetteer

BODY = "\n2025年，我们坚持依法行政，推进法治政府建设。\n一、主要举措和成效\n开展普法宣传。\n"


def meta_of(text: str, folder: str | None = None, page_meta: dict | None = None):
    return extract_metadata(split_lines(text), folder=folder, page_meta=page_meta)


@pytest.mark.parametrize(
    "issuer, level, place",
    [
        ("姚安县人民政府", "县级", "姚安县"),
        ("中共姚安县委", "县级", "姚安县"),
        ("土默特左旗人民政府", "县级", "土默特左旗"),
        ("临海市人民政府", "县级", "临海市"),  # a county-level city
        ("台州市人民政府", "地市级", "台州市"),
        ("姚安县司法局", "部门", "姚安县"),
        ("姚安县人民政府办公室", "部门", "姚安县"),
        ("中共姚安县委全面依法治县委员会办公室", "部门", "姚安县"),
        ("姚安县卫生健康委员会", "部门", "姚安县"),
        ("台州湾经济技术开发区管委会", "园区", ""),
        ("姚安县工业园区管理委员会", "园区", "姚安县"),
        ("杜桥镇人民政府", "乡镇", "杜桥镇"),
        ("中共景毛乡委员会", "乡镇", "景毛乡"),
        ("城南街道办事处", "乡镇", "城南街道"),
        ("城南街道党工委", "乡镇", "城南街道"),
        ("莽山瑶族乡人民政府", "乡镇", "莽山瑶族乡"),
        ("达尔汗苏木", "乡镇", "达尔汗苏木"),
        ("鲁山县熊背乡人民政府", "乡镇", "熊背乡"),
        ("云岫镇人民政府", "乡镇", "云岫镇"),  # not in the table: its suffix says it
        ("2024年1月8日", "未定", ""),
        ("X政发〔2025〕3号", "未定", ""),
        ("特此报告。", "未定", ""),
    ],
)
def test_the_level_of_an_issuing_body(issuer, level, place):
    assert level_of_issuer(gazetteer(), issuer) == (level, place)


@pytest.mark.parametrize(
    "text, folder, page_meta, level, county, prefecture, warning",
    [
        (
            "姚安县人民政府\n关于2025年法治政府建设情况的报告" + BODY + "姚安县人民政府\n2026年1月10日\n",
            None,
            None,
            "县级",
            "姚安县",
            "楚雄彝族自治州",
            "not a township report: county-level report of 姚安县",
        ),
        (
            "姚安县司法局关于2025年法治政府建设工作情况的报告" + BODY,
            None,
            None,
            "部门",
            "姚安县",
            "楚雄彝族自治州",
            "not a township report: department report of 姚安县",
        ),
        (
            "2025年鲁山县法治政府建设工作报告" + BODY,
            None,
            None,
            "县级",
            "鲁山县",
            "平顶山市",
            "not a township report: county-level report of 鲁山县",
        ),
        (
            "台州市人民政府关于2025年度法治政府建设情况的报告" + BODY,
            None,
            None,
            "地市级",
            None,
            "台州市",
            "not a township report: prefecture-level report of 台州市",
        ),
        (
            "台州湾经济技术开发区管委会关于2025年度法治政府建设情况的报告" + BODY,
            "浙江省/台州市/园区.txt",
            None,
            "园区",
            None,
            "台州市",
            "not a township report: development-zone report of 台州市",
        ),
        (
            "关于2025年法治政府建设情况的报告" + BODY,
            None,
            {"发布机构": "姚安县人民政府办公室"},
            "部门",
            "姚安县",
            "楚雄彝族自治州",
            "not a township report: department report of 姚安县",
        ),
        (  # 朝阳区 is two districts: the folder says which
            "朝阳区人民政府关于2025年度法治政府建设情况的报告" + BODY,
            "吉林省/长春市/朝阳区/2025.txt",
            None,
            "县级",
            "朝阳区",
            "长春市",
            "not a township report: county-level report of 朝阳区",
        ),
    ],
)
def test_a_report_that_is_not_a_township_report_gets_its_level_and_own_place(
    text, folder, page_meta, level, county, prefecture, warning
):
    meta = meta_of(text, folder, page_meta)
    assert (meta.level, meta.county, meta.prefecture, meta.township) == (level, county, prefecture, None)
    assert meta.code == (meta.county_code or meta.prefecture_code) and meta.code
    assert ("level", warning) in meta.warnings
    assert not any(f == "township" for f, _ in meta.warnings)


def test_a_county_report_is_never_asked_for_a_township(tmp_path, cli):
    data, index = tmp_path / "reports", tmp_path / "index"
    (data / "云南省/楚雄彝族自治州/姚安县").mkdir(parents=True)
    (data / "云南省/楚雄彝族自治州/姚安县/县政府2025.txt").write_text(
        "姚安县人民政府关于2025年法治政府建设情况的报告" + BODY, encoding="utf-8"
    )
    code, out, err = cli("build", "--data", data, "--index", index)
    assert code == 0, err
    assert "not a township report: county-level report of 姚安县" in err
    assert "township not found" not in err and "set it in manifest.toml" not in err
    code, out, _ = cli("reports", "--index", index, "--check")
    assert code == 0 and "0 of 1 reports have a missing or doubtful field" in out
    assert "县政府2025.txt: 县级 · 姚安县" in out


def test_every_township_report_of_the_seeds_is_a_township_report(index):
    assert {r["level"] for r in index.reports} == {"乡镇"}
    assert all(r["code"] == r["township_code"] and len(r["code"]) == 9 for r in index.reports)


def test_levels_are_a_facet_and_a_filter(index, client, cli, index_dir):
    assert LEVELS == ("乡镇", "县级", "地市级", "部门", "园区", "未定")
    data = client.get("/api/search?q=法治").get_json()
    assert data["facets"]["level"] == [{"value": "乡镇", "label": "乡镇", "count": data["total"]}]
    assert client.get("/api/search?q=法治&level=县级").get_json()["total"] == 0
    assert client.get("/api/search?q=法治&level=乡镇").get_json()["total"] == data["total"]
    bad = client.get("/api/search?q=法治&level=省级")
    assert bad.status_code == 400 and bad.get_json()["code"] == "unknown_level"
    code, out, _ = cli("search", "法治", "--index", index_dir, "--level", "县级")
    assert code == 0 and out.startswith("0 paragraphs match")
    code, _, err = cli("search", "法治", "--index", index_dir, "--level", "省级")
    assert code == 2 and "invalid choice: '省级'" in err
