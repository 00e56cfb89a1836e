"""Facets of thousands of values: the sidebar shows the ten with most hits and links to a page of
every value, paged and narrowed by a part of the name or the start of the division code."""

from __future__ import annotations

import re

import pytest

from indexer.engine.filters import Filters
from indexer.engine.query import parse_query
from search_app import pages


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
    monkeypatch.setattr(pages, "FACET_PAGE", 2)
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
