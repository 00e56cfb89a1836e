"""/reports as a table: sorted by any column (places by division code), filtered by the search's
facets, paged, counted; on both index shapes."""

import re
from collections import Counter

import pytest

from indexer.engine.search import Filters
from search_app.report_list import COLUMNS, PER_PAGE, place_keys
from tests.conftest import brute_force, live_texts

#: The five seed reports in division code order (山西 14…, 福建 35…, 河南 41…, 宁夏 64…); the
#: Unicode order of their provinces would be 宁夏, 山西, 河南, 福建.
CODE_ORDER = ["东和乡", "景毛乡", "国宝乡", "熊背乡", "青山乡"]


def rows(html: str) -> list[dict]:
    """The table's body rows as {column key: cell text}."""
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    out = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r'<t[hd][^>]* class="col-([a-z]+)[^"]*">(.*?)</t[hd]>', row, re.S)
        out.append({key: re.sub(r"<[^>]+>", "", text).strip() for key, text in cells})
    return out


def total(html: str) -> int:
    return int(re.search(r'id="total" data-total="(\d+)"', html).group(1))


def get(client, **params) -> str:
    response = client.get("/reports", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_every_report_in_division_code_order_by_default(client, index):
    html = get(client)
    assert [r["township"] for r in rows(html)] == CODE_ORDER
    assert total(html) == len(index.reports) == 5
    assert [r["province"] for r in rows(html)] == ["山西省", "山西省", "福建省", "河南省", "宁夏回族自治区"]
    assert {"prefecture", "county", "year", "date", "title", "paragraphs"} <= set(rows(html)[0])


@pytest.mark.parametrize("key", ["province", "prefecture", "county", "township"])
def test_places_sort_by_division_code_both_ways(client, key):
    assert [r["township"] for r in rows(get(client, sort=key))] == CODE_ORDER
    backwards = [r["township"] for r in rows(get(client, sort="-" + key))]
    if key == "province":  # the two of 山西 tie: they keep their place order
        assert backwards == ["青山乡", "熊背乡", "国宝乡", "东和乡", "景毛乡"]
    else:
        assert backwards == CODE_ORDER[::-1]


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("year", ["青山乡", "东和乡", "国宝乡", "熊背乡", "景毛乡"]),  # 2022, 2023 ×3 in place order, 2024
        ("-year", ["景毛乡", "东和乡", "国宝乡", "熊背乡", "青山乡"]),
        ("paragraphs", ["青山乡", "熊背乡", "东和乡", "景毛乡", "国宝乡"]),  # 14, 22, 25, 26, 36
        ("-paragraphs", ["国宝乡", "景毛乡", "东和乡", "熊背乡", "青山乡"]),
        ("date", ["东和乡", "国宝乡", "景毛乡", "熊背乡", "青山乡"]),  # dated first; undated last, in place order
        ("-date", ["国宝乡", "东和乡", "景毛乡", "熊背乡", "青山乡"]),
    ],
)
def test_other_columns_sort_and_ties_keep_place_order(client, sort, expected):
    assert [r["township"] for r in rows(get(client, sort=sort))] == expected


def test_titles_sort_by_pinyin_not_code_points(client, index):
    titles = [r["title"] for r in rows(get(client, sort="title"))]
    assert titles == sorted(titles, key=lambda t: t.encode("gb18030"))
    assert titles != sorted(titles)  # the code point order differs here: the test can tell them apart
    assert [r["title"] for r in rows(get(client, sort="-title"))] == titles[::-1]


def test_column_headings_sort_then_reverse(client):
    html = get(client, sort="year")
    heading = re.search(r'<th scope="col" class="col-year n" aria-sort="ascending"><a href="([^"]+)"', html)
    assert heading and heading.group(1).endswith("sort=-year")
    assert 'data-sort="title"' in html and "sort=title" in html
    assert len(re.findall(r"<th scope=\"col\" class=\"col-", html)) == len(COLUMNS)
    reversed_html = get(client, sort="-year")
    assert 'aria-sort="descending"' in reversed_html
    assert re.search(r'class="col-year n" aria-sort="descending"><a href="[^"]*sort=year"', reversed_html)


@pytest.mark.parametrize(
    "params, townships",
    [
        ({"province": "山西省"}, ["东和乡", "景毛乡"]),
        ({"year": "2023"}, ["东和乡", "国宝乡", "熊背乡"]),
        ({"year_from": "2023", "year_to": "2024", "province": "山西省"}, ["东和乡", "景毛乡"]),
        ({"township": ["国宝乡", "青山乡"]}, ["国宝乡", "青山乡"]),
        ({"county": "鲁山县"}, ["熊背乡"]),
    ],
)
def test_the_search_filters_narrow_the_reports(client, params, townships):
    html = get(client, **params)
    assert [r["township"] for r in rows(html)] == townships
    assert total(html) == len(townships)
    assert "（在当前筛选条件下）" in html and 'class="chips"' in html


def test_a_query_lists_the_reports_that_contain_it_with_their_count(client, index):
    texts = live_texts(index)
    expected = Counter(index.hits([pid])[0].township for pid in brute_force(texts, "法律明白人"))
    html = get(client, q="法律明白人")
    found = {r["township"]: int(r["matches"]) for r in rows(html)}
    assert found == dict(expected) and len(found) == 3
    assert total(html) == 3 and "3 份报告包含“法律明白人”" in html
    assert "/reports/003_d3398cc9e2436e99?q=%E6%B3%95%E5%BE%8B%E6%98%8E%E7%99%BD%E4%BA%BA" in html


def test_facets_count_reports_not_paragraphs(client):
    html = get(client)
    years = dict(re.findall(r'year_from=(\d+)&amp;year_to=\d+">\d+ <span class="count">(\d+)</span>', html))
    assert years == {"2022": "1", "2023": "3", "2024": "1"}
    provinces = re.search(r'<section class="facet-group facet-province">(.*?)</section>', html, re.S).group(1)
    assert re.findall(r'">([^<]+) <span class="count">(\d+)</span>', provinces)[0] == ("山西省", "2")
    assert "数字为报告份数" in html
    narrowed = get(client, year="2023")  # each facet ignores its own filter: the other years stay on offer
    assert 'year_from=2024&amp;year_to=2024">2024 <span class="count">1</span>' in narrowed


def test_section_filter_keeps_reports_with_such_a_paragraph(client, index):
    ids = index.select(None, Filters(sections=("problems",)))
    expected = {index.hits([pid])[0].report_id for pid in ids.tolist()}
    html = get(client, section="problems")
    shown = set(re.findall(r'href="/reports/([^"?/]+)"', re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)))
    assert shown == expected and total(html) == len(expected)
    sections = re.search(r'<section class="facet-group facet-section">(.*?)</section>', html, re.S).group(1)
    count = re.search(r'aria-current="true"[^>]*>[^<]+ <span class="count">(\d+)</span>', sections)
    assert count and int(count.group(1)) == len(expected)


def test_pages_of_the_table_show_every_report_once(client):
    seen = []
    first = get(client, per_page=2)
    assert "第 1 / 3 页" in first and 'rel="next"' in first
    for page in (1, 2, 3):
        seen += [r["township"] for r in rows(get(client, per_page=2, page=page, sort="-year"))]
    assert seen == [r["township"] for r in rows(get(client, sort="-year"))]
    beyond = get(client, page=9)
    assert "第 9 页超出范围：共 1 页" in beyond and "<tbody>" not in beyond


def test_fifty_rows_a_page(many_client):
    html = many_client.get("/reports", query_string={"sort": "township"}).get_data(as_text=True)
    assert total(html) == 40 and len(rows(html)) == 40 <= PER_PAGE
    tens = [
        r["title"]
        for p in (1, 2, 3, 4)
        for r in rows(many_client.get(f"/reports?per_page=10&page={p}").get_data(as_text=True))
    ]
    assert sorted(tens) == sorted(r["title"] for r in rows(html)) and len(set(tens)) == 40


@pytest.mark.parametrize(
    "params, message",
    [
        ({"sort": "random"}, "没有“random”这种排序方式，可选：乡镇、省份"),
        ({"page": "x"}, "页码应为整数，如 2"),
        ({"per_page": "0"}, "每页条数应在 1 到 500 之间"),
        ({"year_from": "abc"}, "起始年份应为整数"),
    ],
)
def test_bad_parameters_are_a_400_in_plain_chinese(client, params, message):
    response = client.get("/reports", query_string=params)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_place_order_without_codes_is_pinyin_and_keeps_same_names_apart():
    reports = [
        {"province": "乙省", "county": "张家县", "township": "北关镇", "code": None},
        {"province": "甲省", "county": "安平县", "township": "北关镇", "code": None},
        {"province": "甲省", "county": "北城县", "township": "安乐镇", "code": None},
        {"province": "甲省", "county": "张家县", "township": "东关镇", "code": "990101001"},
        {"province": "", "county": "", "township": "", "code": None},
    ]
    keys = place_keys(reports)
    order = sorted(range(len(reports)), key=lambda i: keys[i])
    # 甲省 has a code (99), so it comes before 乙省 (no code); inside it the coded county first,
    # then 安平 (an) before 北城 (bei), pinyin, where code points put 北 (5317) before 安 (5b89).
    assert order == [3, 1, 2, 0, 4]
