"""The results page as a researcher uses it all day: titles, pages, browsing, chips, snippets, the way back."""

import re
from urllib.parse import parse_qsl, unquote

import pytest

from indexer.engine.query import parse_query
from indexer.engine.search import Filters
from tests.conftest import brute_force, live_texts


def total(html: str) -> int:
    return int(re.search(r'data-total="(\d+)"', html).group(1))


def test_the_title_names_query_page_and_site(client):
    html = client.get("/search", query_string={"q": "法治", "page": 2}).get_data(as_text=True)
    assert "<title>法治 - 第 2 页 - 检索 - 乡镇法治政府建设报告检索</title>" in html
    assert '<span class="pageno">第 2 / ' in html
    first = client.get("/search", query_string={"q": "法治"}).get_data(as_text=True)
    assert "<title>法治 - 检索 - 乡镇法治政府建设报告检索</title>" in first


def test_beyond_the_last_page_says_so_and_links_to_page_one(client, index):
    n = index.search(parse_query("法治"), limit=None).total
    last = -(-n // 20)
    html = client.get("/search", query_string={"q": "法治", "page": 99}).get_data(as_text=True)
    assert f"第 99 页超出范围：共 {n} 个段落，{last} 页。" in html
    assert '<a href="/search?q=%E6%B3%95%E6%B2%BB">回到第 1 页</a>' in html
    assert '<li class="hit"' not in html


def test_export_links_leave_out_the_page(client):
    html = client.get("/search", query_string={"q": "法治", "page": 2}).get_data(as_text=True)
    for kind in ("csv", "json"):
        link = re.search(rf'id="export-{kind}" href="([^"]+)"', html).group(1)
        assert "page=" not in link and "q=%E6%B3%95%E6%B2%BB" in link


@pytest.mark.parametrize(
    "filters, expected",
    [
        ({"section": "problems", "year": "2023"}, Filters(year_from=2023, year_to=2023, sections=("problems",))),
        ({"township": "国宝乡"}, Filters(townships=("国宝乡",))),
        ({"section": "plans"}, Filters(sections=("plans",))),
    ],
)
def test_browsing_without_a_query_lists_every_paragraph_in_report_order(client, index, filters, expected):
    mask = index.filter_mask(index.match(None), expected)
    ids = index.match(None)[mask]
    assert len(ids) > 0
    data = client.get("/api/search", query_string={**filters, "per_page": 100}).get_json()
    assert data["total"] == len(ids) and data["query"] is None
    hits = [(h["report_id"], h["paragraph"]) for h in data["hits"]]
    in_order = sorted(index.hits(ids.tolist()), key=lambda h: (h.source.split("/"), h.paragraph))
    assert hits == [(h.report_id, h.paragraph) for h in in_order[:100]]  # by file path, then paragraph
    html = client.get("/search", query_string=filters).get_data(as_text=True)
    assert total(html) == len(ids) and "按所选条件浏览" in html and 'class="intro"' not in html
    rows = client.get("/export.json", query_string=filters).get_json()
    assert len(rows) == len(ids)


def test_the_bare_search_page_is_the_intro_with_the_box_focused(client):
    html = client.get("/search").get_data(as_text=True)
    assert 'class="intro"' in html and " autofocus" in html


def test_results_pages_do_not_autofocus_the_box(client):
    html = client.get("/search", query_string={"q": "法治"}).get_data(as_text=True)
    assert "autofocus" not in html
    assert '<a class="skip" href="#results">跳到结果</a>' in html and 'id="results"' in html


def test_chosen_filters_are_chips_that_remove_themselves(client):
    params = {"q": "法治", "township": ["国宝乡", "青山乡"], "section": "measures", "year": "2022-2023"}
    html = client.get("/search", query_string=params).get_data(as_text=True)
    chips = re.findall(r'<li><span>([^<]+)</span><a href="([^"]+)"', html)
    assert [label for label, _ in chips] == ["乡镇：国宝乡", "乡镇：青山乡", "年份：2022–2023", "章节：主要举措和成效"]
    for label, url in chips:
        left = dict.fromkeys(v for _, v in parse_qsl(unquote(url.split("?", 1)[1].replace("&amp;", "&"))))
        assert label.split("：")[1].split("–")[0] not in left


def test_a_facet_value_is_one_link_that_toggles(client):
    html = client.get("/search", query_string={"q": "法治"}).get_data(as_text=True)
    # the one checkbox is the whole-word switch of the search form, not a facet
    assert re.findall(r'type="checkbox" name="(\w+)"', html) == ["whole"] and "应用筛选" not in html
    link = re.search(r'<a class="facet" href="([^"]+)">国宝乡 <span class="count">(\d+)</span>', html)
    narrowed = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert total(narrowed) == int(link.group(2))
    back = re.search(r'<a class="facet chosen" href="([^"]+)"[^>]*>国宝乡 ', narrowed)
    assert total(client.get(back.group(1).replace("&amp;", "&")).get_data(as_text=True)) == total(html)


def test_zero_count_sections_are_not_offered(client, index):
    html = client.get("/search", query_string={"q": "法律明白人"}).get_data(as_text=True)
    facets = index.search(parse_query("法律明白人")).facets["section"]
    offered = re.findall(r'<section class="facet-group facet-section">(.*?)</section>', html, re.S)[0]
    assert offered.count('class="facet') == len(facets) and all(f["count"] > 0 for f in facets)


def test_snippets_mark_every_occurrence_and_keep_the_whole_paragraph_in_details(client, index):
    html = client.get("/search", query_string={"q": "法治", "per_page": 100}).get_data(as_text=True)
    items = re.findall(r'<li class="hit" id="hit\d+">(.*?)</li>', html, re.S)
    assert len(items) == min(100, len(brute_force(live_texts(index), "法治")))
    long_ones = 0
    for item in items:
        shown = re.search(r'<p class="text">(.*?)</p>', item, re.S).group(1)
        full = re.search(r'<details class="full">.*?<p class="text">(.*?)</p>', item, re.S)
        whole = full.group(1) if full else shown
        assert shown.count("<mark>") == whole.count("<mark>") > 0  # every occurrence, in both
        if full:
            long_ones += 1
            assert "…" in shown and len(re.sub("<[^>]+>", "", shown)) < len(re.sub("<[^>]+>", "", whole))
    assert long_ones > 10


def test_a_hit_links_to_its_report_with_the_way_back(client):
    params = {"q": "法律明白人", "township": "国宝乡", "sort": "newest"}
    html = client.get("/search", query_string=params).get_data(as_text=True)
    link = re.search(r'<a class="goto" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    report = client.get(link).get_data(as_text=True)
    back = re.search(r'<a class="back" id="back" href="([^"]+)"', report).group(1).replace("&amp;", "&")
    assert back.startswith("/search?")
    query, anchor = back.split("?", 1)[1].split("#")
    assert dict(parse_qsl(query)) == {"q": "法律明白人", "township": "国宝乡", "sort": "newest"}
    assert anchor == "hit1" and '<li class="hit" id="hit1">' in html  # back to the hit, not the top
    assert "返回检索结果" in report


def test_the_way_back_lands_on_the_hit_of_a_later_page(client):
    params = {"q": "法治", "per_page": 5, "page": 3}
    html = client.get("/search", query_string=params).get_data(as_text=True)
    links = [a.replace("&amp;", "&") for a in re.findall(r'<a class="goto" href="([^"]+)"', html)]
    assert len(links) == 5
    for position, link in enumerate(links, start=11):
        report = client.get(link).get_data(as_text=True)
        back = re.search(r'id="back" href="([^"]+)"', report).group(1).replace("&amp;", "&")
        query, anchor = back.split("?", 1)[1].split("#")
        assert dict(parse_qsl(query)) == {"q": "法治", "per_page": "5", "page": "3"}
        assert anchor == f"hit{position}" and f'id="hit{position}"' in html


@pytest.mark.parametrize(
    "url, message",
    [
        ("/nowhere", "没有这个页面"),
        ("/reports/nope", "没有编号为“nope”的报告"),
        ("/search?q=法治&section=x", "没有“x”这个章节"),
    ],
)
def test_error_pages_speak_chinese(client, url, message):
    html = client.get(url).get_data(as_text=True)
    assert message in html and "返回检索" in html
    assert "The requested URL" not in html and "No report" not in html


def test_compare_without_a_query_explains_itself(client):
    html = client.get("/compare").get_data(as_text=True)
    assert "对比页回答" in html and 'href="/compare?q=' in html


def test_api_help_says_how_to_send_chinese(client):
    data = client.get("/api/").get_json()
    assert "Percent-encode" in data["encoding"] and "--data-urlencode" in data["encoding"]
    assert set(data["endpoints"]) >= {"/api/search?q=…", "/api/reports"}


@pytest.mark.parametrize("path", ["/search", "/api/search", "/export.csv", "/export.json", "/compare"])
@pytest.mark.parametrize(
    "params",
    [
        {"section": "problems"},
        {"year": "2023"},
        {"township": "无此乡"},
        {"section": "problems", "sort": "newest", "page": "3"},
    ],
)
def test_every_endpoint_answers_a_filter_without_a_query(client, path, params):
    response = client.get(path, query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
