"""Facets of thousands of values: the sidebar shows the ten with most hits and links to a page of
every value, paged and narrowed by a part of the name or the start of the division code."""

from __future__ import annotations

import re

import pytest

from indexer.engine.filters import Filters
from indexer.engine.query import parse_query
from search_app import facet_values


def values_on(html: str) -> list[tuple[str, int]]:
    body = html.split('<ul class="facet-all">')[1].split("</ul>")[0]
    return [(label.strip(), int(n)) for label, n in re.findall(r'">([^<]+) <span class="count">(\d+)</span>', body)]


def test_every_township_with_its_count_as_the_search_counts_it(client, index):
    html = client.get("/facets/township", query_string={"q": "法治"}).get_data(as_text=True)
    facets = index.facets(index.match(parse_query("法治")), Filters())
    expected = [(f["label"], f["count"]) for f in facets["township"]]
    assert values_on(html) == expected and len(expected) >= 5
    assert f'data-total="{len(expected)}"' in html


def test_find_narrows_by_name_or_code_and_links_apply_the_filter(client, index):
    report = next(r for r in index.reports if r["township_code"])
    by_name = client.get("/facets/township", query_string={"q": "法治", "find": report["township"][:2]}).get_data(
        as_text=True
    )
    assert [label for label, _ in values_on(by_name)] == [report["township"]]
    assert f"township={report['township_code']}" in by_name
    by_code = client.get("/facets/county", query_string={"q": "法治", "find": report["county_code"]}).get_data(
        as_text=True
    )
    assert [label for label, _ in values_on(by_code)] == [report["county"]]
    none = client.get("/facets/township", query_string={"q": "法治", "find": "没有这个名字"}).get_data(as_text=True)
    assert values_on(none) == [] and 'data-total="0"' in none


def test_values_are_paged_and_the_sidebar_links_to_them(client, monkeypatch):
    monkeypatch.setattr(facet_values, "FACET_PAGE", 2)
    first = client.get("/facets/township", query_string={"q": "法治"}).get_data(as_text=True)
    total = int(re.search(r'data-total="(\d+)"', first).group(1))
    seen = []
    for page in range(1, -(-total // 2) + 1):
        html = client.get("/facets/township", query_string={"q": "法治", "page": page}).get_data(as_text=True)
        seen += values_on(html)
    assert len(seen) == total == len(set(seen))
    assert [n for _, n in seen] == sorted((n for _, n in seen), reverse=True)


@pytest.mark.parametrize("key", ["year", "nothing", "section"])
def test_only_place_facets_have_a_values_page(client, key):
    assert client.get(f"/facets/{key}", query_string={"q": "法治"}).status_code == 404


def test_the_api_gives_the_pages_values_with_links_that_choose_them(client):
    page = client.get("/facets/township", query_string={"q": "法治"}).get_data(as_text=True)
    data = client.get("/api/facets/township", query_string={"q": "法治"}).get_json()
    assert [(v["label"], v["count"]) for v in data["values"]] == values_on(page)
    assert data["total"] == len(data["values"]) >= 5 and data["label"] == "乡镇" and data["find"] is None
    chosen = data["values"][1]
    assert not chosen["chosen"] and f"township={chosen['code']}" in chosen["url"]
    hits = client.get(chosen["url"].replace("/search", "/api/search", 1) + "&per_page=100").get_json()
    assert hits["total"] == chosen["count"] and {h["township_code"] for h in hits["hits"]} == {chosen["code"]}
    again = client.get(chosen["url"].replace("/search", "/api/facets/township", 1)).get_json()
    assert [v["chosen"] for v in again["values"] if v["code"] == chosen["code"]] == [True]


def test_the_api_finds_by_a_part_of_the_name_and_keeps_the_filters(client, index):
    report = next(r for r in index.reports if r["township_code"])
    found = client.get(
        "/api/facets/township", query_string={"q": "法治", "find": report["township"][1:3], "year": report["year"]}
    ).get_json()
    assert [v["code"] for v in found["values"]] == [report["township_code"]] and found["total"] == 1
    assert f"year_from={report['year']}" in found["values"][0]["url"]
    other_year = client.get(
        "/api/facets/township", query_string={"q": "法治", "find": report["township"], "year": 1999}
    ).get_json()
    assert other_year["values"] == [] and other_year["total"] == 0


@pytest.mark.parametrize("path", ["/api/facets/year", "/api/facets/nothing"])
def test_the_api_names_the_facets_it_has(client, path):
    response = client.get(path, query_string={"q": "法治"})
    assert response.status_code == 404 and response.get_json()["code"] == "unknown_facet"
    assert "township" in response.get_json()["error"]


def group_of(html: str, key: str) -> str:
    return html.split(f'<section class="facet-group facet-{key}">')[1].split("</section>")[0]


def test_year_and_section_come_before_the_places_and_the_places_drill_down(client):
    html = client.get("/search", query_string={"q": "法治"}).get_data(as_text=True)
    order = [html.index(f'class="facet-group facet-{key}"') for key in ("sort", "year", "section", "province")]
    assert order == sorted(order)
    keys = ["province", "prefecture", "county", "township"]
    assert [html.index(f'class="facet-group facet-{k}"') for k in keys] == sorted(
        html.index(f'class="facet-group facet-{k}"') for k in keys
    )


def test_a_long_place_level_is_folded_with_a_find_box_until_the_level_above_is_chosen(client, monkeypatch, index):
    monkeypatch.setattr(facet_values, "SIDEBAR_VALUES", 1)
    html = client.get("/search", query_string={"q": "法治"}).get_data(as_text=True)
    province, prefecture = group_of(html, "province"), group_of(html, "prefecture")
    assert '<details class="place-fold" open>' in province  # the top level is always open
    assert '<details class="place-fold">' in prefecture  # a long level below it is folded
    assert prefecture.count('class="facet') == 1  # its top value only
    form = re.search(r'<form class="find-values" method="get" action="([^"]+)" data-api="([^"]+)"', prefecture)
    assert form.groups() == ("/facets/prefecture", "/api/facets/prefecture")
    assert '<input type="hidden" name="q" value="法治">' in prefecture
    code = next(r["province_code"] for r in index.reports if r["province_code"])
    chosen = client.get("/search", query_string={"q": "法治", "province": code}).get_data(as_text=True)
    assert '<details class="place-fold" open>' in group_of(chosen, "prefecture")
