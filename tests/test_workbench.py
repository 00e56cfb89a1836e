"""The tools as one workbench: every tool's nav link, and the results page's row of tools, carry
the query and filters; each tool shows the filter sidebar; messages name the field a person sees."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

TOOLS = ["/search", "/compare", "/concordance", "/trends", "/reports"]
FILTERS = {"township": ["国宝乡", "熊背乡"], "year_from": ["2023"], "year_to": ["2023"], "section": ["measures"]}


def nav_links(html: str) -> dict[str, dict]:
    """The nav's links: {path: parsed query string}."""
    nav = re.search(r'<nav class="tools"[^>]*>(.*?)</nav>', html, re.S).group(1)
    out = {}
    for href in re.findall(r'href="([^"]+)"', nav):
        url = urlsplit(href.replace("&amp;", "&"))
        out[url.path] = parse_qs(url.query)
    return out


@pytest.mark.parametrize("page", TOOLS)
def test_every_tools_nav_link_carries_the_query_and_filters(client, page):
    response = client.get(page, query_string={"q": "法律明白人", **FILTERS, "page": "1"})
    assert response.status_code == 200, page
    links = nav_links(response.get_data(as_text=True))
    assert list(links) == TOOLS
    for path, query in links.items():
        assert query == {"q": ["法律明白人"], **FILTERS}, path  # the page's own paging stays behind


def test_the_current_tool_is_marked_in_the_nav(client):
    html = client.get("/concordance", query_string={"q": "普法"}).get_data(as_text=True)
    assert re.search(r'<a href="/concordance\?q=[^"]+" aria-current="page">语境</a>', html)
    assert html.count('aria-current="page"') == 1


def test_trends_pass_every_term_to_trends_and_the_first_to_the_other_tools(client):
    html = client.get("/trends", query_string={"q": ["法律明白人", "八五普法"], "province": "河南省"}).get_data(
        as_text=True
    )
    links = nav_links(html)
    assert links["/trends"] == {"q": ["法律明白人", "八五普法"], "province": ["河南省"]}
    assert links["/search"] == links["/concordance"] == {"q": ["法律明白人"], "province": ["河南省"]}


def test_a_page_without_query_or_filters_links_the_bare_tools(client):
    assert nav_links(client.get("/search").get_data(as_text=True)) == {path: {} for path in TOOLS}


def test_the_report_page_carries_its_query_to_the_tools(client):
    html = client.get("/reports/003_d3398cc9e2436e99", query_string={"q": "普法", "back": "q=x"}).get_data(as_text=True)
    assert nav_links(html)["/concordance"] == {"q": ["普法"]}


def test_the_results_page_has_a_row_of_tools_with_the_same_search(client):
    html = client.get("/search", query_string={"q": "法律明白人", **FILTERS, "page": "1"}).get_data(as_text=True)
    row = re.search(r'<nav class="toolrow" id="tools"[^>]*>(.*?)</nav>', html, re.S).group(1)
    hrefs = [urlsplit(h.replace("&amp;", "&")) for h in re.findall(r'href="([^"]+)"', row)]
    assert [u.path for u in hrefs] == ["/compare", "/concordance", "/trends", "/reports"]
    assert all(parse_qs(u.query) == {"q": ["法律明白人"], **FILTERS} for u in hrefs)
    browsing = client.get("/search", query_string={"section": "problems"}).get_data(as_text=True)
    row = re.search(r'<nav class="toolrow" id="tools"[^>]*>(.*?)</nav>', browsing, re.S).group(1)
    assert re.findall(r'href="([^"]+)"', row) == ["/reports?section=problems"]  # the others need a query


@pytest.mark.parametrize(
    "path",
    ["/search?q=法治", "/compare?q=法治", "/concordance?q=法治", "/trends?q=法治", "/reports", "/reports?q=法治"],
)
def test_each_tool_has_the_filter_sidebar(client, path):
    html = client.get(path).get_data(as_text=True)
    assert '<nav class="filters" aria-label="筛选">' in html
    for facet in ("facet-province", "facet-township", "facet-year"):
        assert f'class="facet-group {facet}"' in html, (path, facet)


@pytest.mark.parametrize(
    "path, message",
    [
        ("/search?q=法治&year_from=abc", "起始年份应为整数，如 2023，而不是“abc”。"),
        ("/search?q=法治&year_to=2200", "截止年份应在 1900 到 2100 之间。"),
        ("/search?q=法治&page=x", "页码应为整数，如 2，而不是“x”。"),
        ("/search?q=法治&per_page=0", "每页条数应在 1 到 100 之间。"),
        ("/search?q=法治&whole=maybe", "整词只能是开或关（1 或 0），而不是“maybe”。"),
        ("/concordance?q=法治&width=wide", "每侧字数应为整数，如 20，而不是“wide”。"),
        ("/concordance?q=法治&span=99", "搭配窗口（词数）应在 1 到 10 之间。"),
        ("/keyterms?report=003_d3398cc9e2436e99&n=0", "关键词个数应在 1 到"),
        ("/keyterms", "请指定一份报告或一个乡镇（二者选一）。"),
        ("/reports/003_d3398cc9e2436e99?page=9", "页码应在 1 到 1 之间。"),
    ],
)
def test_messages_name_the_field_not_the_url_parameter(client, path, message):
    response = client.get(path)
    assert response.status_code == 400
    shown = re.search(r'<p class="message">(.*?)</p>', response.get_data(as_text=True), re.S).group(1)
    assert message in shown.replace("&#34;", '"')
    assert not re.search(r"[a-z_]{2,}", re.sub(r"“[^”]*”", "", shown)), shown  # no parameter names


def test_the_api_keeps_the_parameter_name_in_english(client):
    data = client.get("/api/search", query_string={"q": "法治", "year_from": "abc"}).get_json()
    assert data["code"] == "not_a_number" and data["error"] == "year_from must be a whole number, not 'abc'."
