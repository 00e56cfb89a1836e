"""/compare at scale: every matching township counted, 50 a page in the order asked for, each with its
county and its share of reports, and examples in context for the townships on the page only."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from indexer.engine.query import parse_query
from search_app import results


def rows(html: str) -> list[tuple[str, str, int]]:
    """(label, county, paragraphs) of each row of the township table."""
    body = html.split('id="crosstab"')[1].split("</table>")[0]
    found = []
    for row in re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", body, re.S):
        label = row.split("</th>")[0]
        county = re.search(r'<td class="county">(.*?)</td>', row).group(1)
        total = int(re.findall(r">(\d+)</a></td>", row)[-1])
        found.append((label, county, total))
    return found


@pytest.fixture()
def small_pages(monkeypatch):
    monkeypatch.setattr(results, "COMPARE_PAGE", 2)


def every_page(client, **args) -> list[tuple[str, str, int]]:
    first = client.get("/compare", query_string={"q": "法治", **args}).get_data(as_text=True)
    pages = int(re.search(r"第 1 / (\d+) 页", first).group(1)) if "第 1 / " in first else 1
    out = rows(first)
    for page in range(2, pages + 1):
        out += rows(client.get("/compare", query_string={"q": "法治", "page": page, **args}).get_data(as_text=True))
    return out


def expected_counts(index) -> Counter:
    hits = index.hits(index.select(parse_query("法治")).tolist())
    return Counter(h.township for h in hits if h.township)


def test_every_township_is_on_exactly_one_page_with_its_count(client, index, small_pages):
    listed = every_page(client)
    expected = expected_counts(index)
    assert len(listed) == len(expected) >= 4
    assert {label: n for label, _, n in listed} == dict(expected)
    html = client.get("/compare", query_string={"q": "法治"}).get_data(as_text=True)
    assert f'data-townships="{len(expected)}"' in html
    assert html.count('<section class="kwic-group">') == 2  # examples for the page's townships only
    shown = [label for label, _, _ in rows(html)]
    assert re.findall(r"<h3>(.*?) <small>", html) == shown


def test_townships_come_in_the_order_asked_for(client, index, small_pages):
    by_count = every_page(client)
    assert [n for _, _, n in by_count] == sorted((n for _, _, n in by_count), reverse=True)
    by_code = every_page(client, order="code")
    codes = {r["township"]: r["township_code"] for r in index.reports}
    assert [codes[label] for label, _, _ in by_code] == sorted(codes[label] for label, _, _ in by_code)
    by_name = every_page(client, order="name")
    assert [label for label, _, _ in by_name] == sorted(
        (label for label, _, _ in by_name), key=lambda n: n.encode("gb18030")
    )
    assert sorted(by_count) == sorted(by_code) == sorted(by_name) == sorted(every_page(client, order="share"))


def test_each_row_names_its_county_and_share_of_reports(client, index):
    html = client.get("/compare", query_string={"q": "法律明白人"}).get_data(as_text=True)
    counties = {r["township"]: r["county"] for r in index.reports}
    for label, county, _ in rows(html):
        assert county == counties[label] and county
    assert re.search(r'<td class="n">1 / 1（100%）</td>', html)


def test_an_unknown_order_is_a_message(client):
    response = client.get("/compare", query_string={"q": "法治", "order": "random"})
    assert response.status_code == 400 and "区划代码" in response.get_data(as_text=True)
