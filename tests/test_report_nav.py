"""The report page's moves between the hits of the query: 上一处 / 下一处 with a count, as links to
anchors (no JavaScript needed), a bar with the title and the way back, and keyboard shortcuts."""

import re

import pytest

from search_app import pages, urls
from tests.conftest import brute_force

REPORT = "003_d3398cc9e2436e99"


def matching(index, q: str) -> list[int]:
    """The report's paragraph numbers that contain q, by brute force."""
    meta = index.report(REPORT)
    texts = [h.text for h in index.report_paragraphs(meta)]
    return [i + 1 for i in brute_force(texts, q)]


def moves(html: str) -> dict[int, tuple[str, str | None, str | None]]:
    """Each hit paragraph's own moves: {paragraph: (count, previous href, next href)}."""
    out = {}
    for number, inner in re.findall(r'id="p(\d+)" class="para[^"]* para-hit"[^>]*>(.*?)</(?:p|h2)>', html, re.S):
        span = re.search(r'<span class="hitmoves">(第 \d+ / \d+ 处)(.*?)</span>', inner, re.S)
        prev = re.search(r'class="hit-prev" href="([^"]+)"', span.group(2))
        nxt = re.search(r'class="hit-next" href="([^"]+)"', span.group(2))
        out[int(number)] = (span.group(1), prev and prev.group(1), nxt and nxt.group(1))
    return out


@pytest.mark.parametrize("q", ["法治", "法律明白人", "普法"])
def test_every_hit_links_to_the_one_before_and_after_with_its_count(client, index, q):
    expected = matching(index, q)
    assert expected
    html = client.get(f"/reports/{REPORT}", query_string={"q": q}).get_data(as_text=True)
    found = moves(html)
    assert list(found) == expected
    for k, n in enumerate(expected, start=1):
        count, prev, nxt = found[n]
        assert count == f"第 {k} / {len(expected)} 处"
        assert prev == (f"#p{expected[k - 2]}" if k > 1 else None)
        assert nxt == (f"#p{expected[k]}" if k < len(expected) else None)


def test_the_bar_holds_the_title_the_way_back_and_the_count(client, index):
    expected = matching(index, "法治")
    html = client.get(f"/reports/{REPORT}", query_string={"q": "法治", "back": "q=法治&page=2#hit23"}).get_data(
        as_text=True
    )
    bar = re.search(r'<div class="reportbar" id="reportbar">(.*?)</div>', html, re.S).group(1)
    assert 'href="/search?q=法治&amp;page=2#hit23">← 返回检索结果</a>' in bar
    assert "鲁山县熊背乡人民政府关于2023年法治政府建设情况的报告" in bar
    assert f'data-total="{len(expected)}" data-before="0"' in bar
    assert f"“法治”共 {len(expected)} 处" in bar
    assert f'id="hit-next" rel="next" href="#p{expected[0]}">↓ 第一处</a>' in bar  # without JavaScript
    assert "快捷键：n 或 j 下一处，p 或 k 上一处" in bar
    assert "<kbd>n</kbd> 或 <kbd>j</kbd> 到下一处" in html  # documented on the page
    assert '<script src="/static/report.js" defer></script>' in html


def test_without_a_query_there_is_no_hit_bar_and_no_script(client):
    html = client.get(f"/reports/{REPORT}").get_data(as_text=True)
    assert 'id="reportbar"' in html and 'id="hitnav"' not in html and "report.js" not in html
    assert 'id="back"' not in html  # not reached from results
    none = client.get(f"/reports/{REPORT}", query_string={"q": "没有这个词语"}).get_data(as_text=True)
    assert "0 个段落包含“没有这个词语”" in none and 'id="hitnav"' not in none


def test_the_script_is_served(client):
    response = client.get("/static/report.js")
    assert response.status_code == 200 and b'"keydown"' in response.data and b"hashchange" in response.data


def test_moves_cross_the_pages_of_a_long_report(client, index, monkeypatch):
    monkeypatch.setattr(urls, "REPORT_PAGE_SIZE", 10)
    monkeypatch.setattr(pages, "REPORT_PAGE_SIZE", 10)
    expected = matching(index, "法治")
    on = {page: [n for n in expected if (n - 1) // 10 + 1 == page] for page in (1, 2, 3)}
    assert all(on.values()), on  # hits on every page: the test crosses both boundaries
    html = client.get(f"/reports/{REPORT}", query_string={"q": "法治", "page": 2, "back": "q=法治"}).get_data(
        as_text=True
    )
    found = moves(html)
    assert list(found) == on[2]
    first, last = on[2][0], on[2][-1]
    _, prev, _ = found[first]
    _, _, nxt = found[last]
    assert (
        prev.replace("&amp;", "&") == f"/reports/{REPORT}?q=%E6%B3%95%E6%B2%BB&back=q%3D%E6%B3%95%E6%B2%BB#p{on[1][-1]}"
    )
    assert nxt.replace("&amp;", "&") == (
        f"/reports/{REPORT}?q=%E6%B3%95%E6%B2%BB&page=3&back=q%3D%E6%B3%95%E6%B2%BB#p{on[3][0]}"
    )
    assert found[first][0] == f"第 {len(on[1]) + 1} / {len(expected)} 处"
    bar = re.search(r'<nav class="hitnav"[^>]*>', html).group(0).replace("&amp;", "&")
    assert f'data-before="{len(on[1])}"' in bar
    assert (
        f'data-prev-url="{prev.replace("&amp;", "&")}"' in bar and f'data-next-url="{nxt.replace("&amp;", "&")}"' in bar
    )
