"""Province, prefecture and county are filters and facets (省 → 市 → 县 → 乡镇) in the engine, site, API and CLI."""

import csv
import io
import json
import re

import pytest

from indexer.cli import main
from indexer.engine.query import parse_query
from indexer.engine.search import Filters
from search_app import create_app

QUERY = parse_query("法治")


def facet(result, key):
    return {f["value"]: f["count"] for f in result.facets[key]}


def test_every_level_is_counted_over_all_matches(openings_index):
    result = openings_index.search(QUERY)
    for key in ("province", "prefecture", "county", "township"):
        assert sum(facet(result, key).values()) == result.total
    assert len(facet(result, "province")) >= 12


@pytest.mark.parametrize(
    "level, plural",
    [("province", "provinces"), ("prefecture", "prefectures"), ("county", "counties"), ("township", "townships")],
)
def test_a_place_filter_keeps_exactly_that_places_paragraphs(openings_index, level, plural):
    everything = openings_index.search(QUERY, limit=None)
    value = next(f["value"] for f in everything.facets[level] if f["code"])  # a division code
    narrowed = openings_index.search(QUERY, Filters(**{plural: (value,)}), limit=None)
    expected = [(h.report_id, h.paragraph) for h in everything.hits if getattr(h, f"{level}_code") == value]
    assert sorted((h.report_id, h.paragraph) for h in narrowed.hits) == sorted(expected)
    assert narrowed.total == facet(everything, level)[value] > 0


def test_drilling_down_shows_only_the_places_inside(openings_index):
    result = openings_index.search(QUERY, Filters(provinces=("湖南省",)))
    hits = openings_index.search(QUERY, Filters(provinces=("湖南省",)), limit=None).hits
    assert set(facet(result, "prefecture")) == {h.prefecture_code for h in hits}  # facets are keyed by code
    assert {f["label"] for f in result.facets["prefecture"]} == {h.prefecture for h in hits} >= {"永州市", "怀化市"}
    # the province facet ignores its own filter, so other provinces stay visible to switch to
    assert len(facet(result, "province")) > 1


@pytest.fixture(scope="module")
def client(openings_index_dir):
    return create_app({"INDEX_DIR": openings_index_dir, "TESTING": True}).test_client()


def test_site_offers_each_level_and_toggles_a_chosen_place(client):
    page = client.get("/search", query_string={"q": "法治", "province": "湖南省"}).get_data(as_text=True)
    for label in ("省份", "地市", "县（市、区）", "乡镇"):
        assert f"<h2>{label}</h2>" in page
    # the chosen province is marked, and its link (and its chip's ×) removes it
    assert re.search(r'<a class="facet chosen" href="/search\?q=%E6%B3%95%E6%B2%BB"[^>]*>湖南省 ', page)
    assert '<span>省份：湖南省</span><a href="/search?q=%E6%B3%95%E6%B2%BB"' in page


def test_api_and_csv_carry_the_hierarchy(client):
    data = client.get("/api/search", query_string={"q": "法治", "county": "宁远县"}).get_json()
    assert data["total"] > 0
    assert {(h["province"], h["prefecture"], h["county"]) for h in data["hits"]} == {("湖南省", "永州市", "宁远县")}
    assert all(len(h["code"]) == 9 for h in data["hits"])
    body = client.get("/export.csv", query_string={"q": "法治", "county": "宁远县"}).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) == data["total"]
    assert {r["省"] + r["市"] + r["县"] + r["乡镇"] for r in rows} == {"湖南省永州市宁远县中和镇"}


def test_cli_filters_by_county(openings_index_dir, capsys):
    assert main(["search", "法治", "--county", "宁远县", "--all", "--json", "--index", str(openings_index_dir)]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert hits and {h["county"] for h in hits} == {"宁远县"}
    assert main(["search", "法治", "--province", "火星省", "--index", str(openings_index_dir)]) == 2
    assert "no report from province '火星省'" in capsys.readouterr().err


def test_reports_json_shows_the_source_of_each_value(openings_index_dir, capsys):
    main(["reports", "--json", "--index", str(openings_index_dir)])
    rows = {r["source"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert rows["09_xiaolongmen_trad.txt"]["sources"]["year"] == "opening"
    assert rows["09_xiaolongmen_trad.txt"]["sources"]["county"] == "table"
    assert rows["22_yunxiu_notintable.txt"]["warnings"]


def test_reports_check_lists_each_doubtful_report_with_a_manifest_entry(openings_index_dir, openings_index, capsys):
    code = main(["reports", "--check", "--index", str(openings_index_dir)])
    out = capsys.readouterr().out
    doubtful = [r for r in openings_index.reports if r["warnings"]]
    assert code == 1 and doubtful
    assert f"{len(doubtful)} of {len(openings_index.reports)} reports have a missing or doubtful field" in out
    for r in doubtful:
        assert f'[files."{r["source"]}"]' in out
    assert "04_chengguan_bare.txt:\n  county: township 城关镇 is shared by 82 places" in out
    assert "    county = …" in out


def test_reports_check_is_clean_on_the_bundled_reports(index_dir, capsys):
    assert main(["reports", "--check", "--index", str(index_dir)]) == 0
    assert "0 of 5 reports" in capsys.readouterr().out


def test_report_page_shows_where_each_value_came_from(client, openings_index):
    report = next(r for r in openings_index.reports if r["source"] == "09_xiaolongmen_trad.txt")
    page = client.get(f"/reports/{report['report_id']}").get_data(as_text=True)
    assert "小龙门乡" in page and "（据标题）" in page and "（据开头段）" in page and "（据行政区划表）" in page
