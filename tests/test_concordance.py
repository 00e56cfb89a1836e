"""The concordance (/concordance, /api/concordance, /concordance.csv) against brute force over the five reports."""

import csv
import functools
import io
import math
import threading
import time
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest

from indexer.engine.query import parse_query
from indexer.engine.search import Filters
from indexer.research.concordance import (
    MIN_COLLOCATE_COUNT,
    Window,
    concordance,
    log_likelihood,
    span_count,
    window_words,
)
from indexer.text.normalize import KEPT_MARKS, find_spans, normalize
from indexer.text.words import segmenter_for
from search_app import concordance as blueprint
from search_app.spreadsheet import spreadsheet_safe

QUERIES = ["普法", "法律明白人", "法", "法治 OR 依法", "宣传 -普法", "“八五”普法"]


def all_paragraphs(index):
    """Every paragraph of every report, read report by report (not through the engine)."""
    return [p for report in index.reports for p in index.report_paragraphs(report)]  # the live reports


def brute_lines(index, q: str, filters=None):
    """(paragraph, span) of every occurrence: paragraphs tested one by one, spans as the site highlights them."""
    query = parse_query(q)
    out = []
    for p in all_paragraphs(index):
        norm = normalize(p.text)
        if not all(any(t in norm for t in group) for group in query.groups):
            continue
        if any(t in norm for t in query.excluded):
            continue
        if filters and not filters(p):
            continue
        out += [(p, span) for span in find_spans(p.text, query.terms)]
    return out


def api_lines(client, q, **params):
    response = client.get("/api/concordance", query_string={"q": q, "per_page": 500, **params})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# -- counting and lines ------------------------------------------------------------------------------


@pytest.mark.parametrize("q", QUERIES)
def test_every_occurrence_is_counted_and_becomes_one_line(index, q):
    expected = brute_lines(index, q)
    result = concordance(index, parse_query(q))
    assert result.total == len(expected) > 0
    assert result.paragraphs == len({p.pid for p, _ in expected})
    assert [(line.pid, line.start, line.end) for line in result.lines] == [(p.pid, s, e) for p, (s, e) in expected]


@pytest.mark.parametrize("q", QUERIES)
def test_a_line_is_its_paragraph_text_around_the_match(index, client, q):
    terms = parse_query(q).terms
    texts = {(p.report_id, p.paragraph): p.text.replace("\n", " ") for p in all_paragraphs(index)}
    data = api_lines(client, q)
    assert data["lines"]
    for line in data["lines"]:
        flat = texts[(line["report_id"], line["paragraph"])]
        assert line["left"] + line["match"] + line["right"] in flat
        assert find_spans(line["match"], terms) == [(0, len(line["match"]))]  # matches, or touching ones
        if q in ("普法", "法律明白人", "“八五”普法"):  # 宪法法律 is one line for 法, 依法治 one for 法治 OR 依法
            assert normalize(line["match"]) in terms
        assert len(line["left"]) <= 20 and len(line["right"]) <= 20
        assert line["url"].startswith(f"/reports/{line['report_id']}")
        assert line["url"].endswith(f"#p{line['paragraph']}")


@pytest.mark.parametrize("width", [1, 5, 37, 100])
def test_width_characters_each_side_unless_the_paragraph_ends(index, width):
    result = concordance(index, parse_query("普法"), width=width)
    texts = {p.pid: p.text for p in all_paragraphs(index)}
    for line in result.lines:
        text = texts[line.pid]
        assert len(line.left) == min(width, line.start)
        assert len(line.right) == min(width, len(text) - line.end)
        assert line.left + line.match + line.right == text[line.start - len(line.left) : line.end + len(line.right)]


def test_filters_narrow_the_lines_as_on_the_search_page(index, client):
    expected = brute_lines(index, "普法", lambda p: p.township == "熊背乡")
    data = api_lines(client, "普法", township="熊背乡")
    assert data["total"] == len(expected) > 0
    assert {line["township"] for line in data["lines"]} == {"熊背乡"}
    result = concordance(index, parse_query("普法"), Filters(year_from=2024, year_to=2024))
    assert result.total == len(brute_lines(index, "普法", lambda p: p.year == 2024)) > 0


@pytest.mark.parametrize("limit", [1, 7, 30, 200])
def test_beyond_the_limit_lines_come_from_every_kth_paragraph_and_all_are_counted(index, limit):
    full = concordance(index, parse_query("法"))
    capped = concordance(index, parse_query("法"), limit=limit)
    assert capped.total == full.total > limit
    assert capped.truncated and 0 < len(capped.lines) <= limit
    assert capped.every > 1
    position = {pid: n for n, pid in enumerate(sorted({line.pid for line in full.lines}))}
    spread = [line for line in full.lines if position[line.pid] % capped.every == 0][:limit]
    assert [line[:-1] for line in capped.lines] == [line[:-1] for line in spread]  # all but `order`
    assert [line.order for line in capped.lines] == list(range(len(capped.lines)))


@pytest.mark.parametrize(
    "text, terms, count",
    [
        ("法律法规", ["法"], 2),
        ("法法", ["法"], None),  # touching: one span, or two if the published text parts them
        ("法法法", ["法法"], 1),  # overlapping matches are one span
        ("普法宣传", ["普法", "宣传"], None),
        ("普法，宣传", ["普法", "宣传"], 2),
        ("无", ["法"], 0),
    ],
)
def test_span_count_agrees_with_find_spans_or_says_it_cannot(text, terms, count):
    assert span_count(normalize(text), terms) == count


def test_span_count_agrees_with_find_spans_on_every_paragraph(index):
    counted = unsure = 0
    for p in all_paragraphs(index):
        for terms in (["法"], ["普法"], ["法治", "依法"], ["法法"], ["的"]):
            norm = normalize(p.text)
            count = span_count(norm, terms)
            if count is None:  # only where two matches touch in the normalised text
                ends = {at + len(t) for t in terms for at in range(len(norm)) if norm.startswith(t, at)}
                assert any(norm.startswith(t, end) for t in terms for end in ends)
                unsure += 1
            else:
                assert count == len(find_spans(p.text, terms))
                counted += 1
    assert counted > 20 * unsure


def test_matches_parted_by_ignored_punctuation_are_two_lines_beyond_the_limit_too(tmp_path, data_dir):
    from indexer.engine.build import build
    from indexer.engine.search import ReportIndex

    (data_dir / "005_touching.txt").write_text(
        "测试乡2023年法治政府建设工作报告\n\n一、基本情况\n\n我乡坚持依法“法”治，学法法。\n", encoding="utf-8"
    )
    build(data_dir, tmp_path / "index")
    index = ReportIndex.open(tmp_path / "index")
    query = parse_query("法")
    full = concordance(index, query)
    assert full.total == len(brute_lines(index, "法"))
    assert concordance(index, query, limit=1).total == full.total


# -- sorting and paging ------------------------------------------------------------------------------


def _reversed_from(text: str, n: int) -> tuple[str, str]:
    backwards = text[::-1]
    return backwards[n - 1 :], backwards[: n - 1]


@pytest.mark.parametrize(
    "sort, key",
    [
        ("left", lambda line: _reversed_from(line["left"], 1)),
        ("left2", lambda line: _reversed_from(line["left"], 2)),
        ("left3", lambda line: _reversed_from(line["left"], 3)),
        ("right", lambda line: (line["right"], "")),
        ("right2", lambda line: (line["right"][1:], line["right"][:1])),
        ("right3", lambda line: (line["right"][2:], line["right"][:2])),
        ("township", lambda line: (line["township"], line["year"])),
        ("year", lambda line: (line["year"], line["township"])),
    ],
)
@pytest.mark.parametrize("q", ["普法", "法治 OR 依法"])
def test_sorted_lines_are_in_order_pairwise_and_ties_keep_report_order(client, sort, key, q):
    in_report_order = api_lines(client, q)["lines"]
    position = {tuple(line.items()): n for n, line in enumerate(in_report_order)}
    lines = api_lines(client, q, sort=sort)["lines"]
    assert Counter(map(tuple, map(dict.items, lines))) == Counter(map(tuple, map(dict.items, in_report_order)))
    for a, b in zip(lines, lines[1:]):
        assert key(a) <= key(b), (a, b)
        if key(a) == key(b):
            assert position[tuple(a.items())] < position[tuple(b.items())]


def test_sort_left_groups_the_characters_before_the_match(client):
    lines = api_lines(client, "普法", sort="left")["lines"]
    firsts = [line["left"][-1:] for line in lines]
    assert firsts == sorted(firsts)
    runs = [c for n, c in enumerate(firsts) if n == 0 or c != firsts[n - 1]]
    assert len(runs) == len(set(runs))  # each character to the left in one run


@pytest.mark.parametrize("sort", ["report", "left", "right2", "township"])
def test_paging_shows_every_line_exactly_once(client, sort):
    everything = api_lines(client, "法治", sort=sort)
    paged = []
    for page in range(1, everything["total"] // 7 + 2):
        data = client.get(
            "/api/concordance", query_string={"q": "法治", "sort": sort, "per_page": 7, "page": page}
        ).get_json()
        assert data["pages"] == -(-everything["total"] // 7)
        paged += data["lines"]
    assert paged == everything["lines"]
    assert len(paged) == everything["total"] == everything["sorted"]


def test_the_api_says_what_was_counted_and_what_was_sorted(client):
    data = api_lines(client, "普法", sort="left")
    assert {k: data[k] for k in ("query", "sort", "width", "page", "per_page", "truncated")} == {
        "query": "普法",
        "sort": "left",
        "width": 20,
        "page": 1,
        "per_page": 500,
        "truncated": False,
    }
    assert data["sorted_limit"] == 20_000 and data["sorted"] == data["total"] and data["sample_every"] == 1
    assert set(data["lines"][0]) == {"left", "match", "right", "report_id", "paragraph", "township", "year", "url"}


# -- collocates -------------------------------------------------------------------------------------


def brute_windows(index, line, span):
    """Positions of the words within span words left and right of a line's match, found by walking the
    paragraph's words one by one."""
    text = index.report_paragraphs(index.report(line.report_id), line.paragraph - 1, line.paragraph)[0].text
    at, end = len(normalize(text[: line.start])), len(normalize(text[: line.end]))
    words = [(w, s, e) for w, s, e in index.segmenter.tokens(normalize(text)) if w not in KEPT_MARKS]
    left = [n for n, (_, _, e) in enumerate(words) if e <= at][-span:]
    right = [n for n, (_, s, _) in enumerate(words) if s >= end][:span]
    return [w for w, _, _ in words], left, right


@pytest.mark.parametrize("q, span", [("普法", 5), ("法律明白人", 3), ("法治 OR 依法", 10), ("法", 2)])
def test_collocate_counts_equal_a_recount_over_the_lines(index, q, span):
    result = concordance(index, parse_query(q), span=span)
    terms = parse_query(q).terms
    left, right = {}, {}  # (paragraph, word position) → word
    for line in result.lines:
        words_of, on_left, on_right = brute_windows(index, line, span)
        for n in on_left:
            left[(line.pid, n)] = words_of[n]
        for n in on_right:
            right[(line.pid, n)] = words_of[n]
    keep = lambda tokens: Counter(w for w in tokens.values() if not any(t in w for t in terms))  # noqa: E731
    near, left, right = keep({**left, **right}), keep(left), keep(right)
    assert result.window_words == sum(near.values())
    assert result.collocates
    for c in result.collocates:
        assert (c.count, c.left, c.right) == (near[c.word], left[c.word], right[c.word])
        assert c.count >= MIN_COLLOCATE_COUNT and c.count > c.expected and c.count <= c.corpus and c.g2 >= 3.84
        assert not any(t in c.word for t in terms)
    corpus = Counter(w for p in all_paragraphs(index) for w in index.segmenter.words(normalize(p.text)))
    size, total = sum(near.values()), sum(corpus.values())
    scores = {w: dunning_g2(n, size, corpus[w], total) for w, n in near.items()}
    chosen = [w for w, n in near.items() if n >= 2 and n > size * corpus[w] / total and scores[w] >= 3.84]
    expected = sorted(chosen, key=lambda w: (-round(scores[w], 9), -near[w], w))[:30]
    assert [c.word for c in result.collocates] == expected


def test_corpus_frequency_is_the_words_count_in_every_paragraph(index):
    result = concordance(index, parse_query("普法"))
    segmenter = index.segmenter
    counts = Counter(w for p in all_paragraphs(index) for w in segmenter.words(normalize(p.text)))
    assert result.corpus_words == sum(counts.values())
    for c in result.collocates:
        assert c.corpus == counts[c.word]


def dunning_g2(a, near, freq, corpus):
    """G² = 2 (Σ O ln O − Σ R ln R − Σ C ln C + N ln N), the textbook form of the same statistic."""
    table = [[a, near - a], [freq - a, corpus - near - freq + a]]
    xlogx = lambda x: x * math.log(x) if x else 0.0  # noqa: E731
    rows = [sum(r) for r in table]
    cols = [table[0][j] + table[1][j] for j in range(2)]
    return 2 * (
        sum(xlogx(x) for r in table for x in r) - sum(map(xlogx, rows)) - sum(map(xlogx, cols)) + xlogx(sum(rows))
    )


@pytest.mark.parametrize("a, near, freq, corpus", [(14, 273, 49, 6839), (3, 100, 3, 5000), (50, 60, 900, 10_000)])
def test_log_likelihood_is_dunnings_g2(a, near, freq, corpus):
    assert log_likelihood(a, near, freq, corpus) == pytest.approx(dunning_g2(a, near, freq, corpus))


def test_window_words_skip_marks_and_other_matches():
    segmenter = segmenter_for(())
    text = "坚持依法治国，推进普法宣传。普法"
    spans = find_spans(text, ["普法"])
    window = window_words(text, normalize(text), spans, ["普法"], segmenter.tokens, 2)
    assert window == Window(near=["依法治国", "推进", "宣传"], left=["依法治国", "推进", "宣传"], right=["宣传"])


def test_each_collocate_links_to_a_search_for_the_pair_with_the_same_filters(client):
    data = api_lines(client, "普法", township="熊背乡")
    items = data["collocates"]["items"]
    assert items
    for item in items:
        assert item["search_url"].startswith("/search?")
        params = parse_qs(urlsplit(item["search_url"]).query)
        assert params == {"q": [f"普法 {item['word']}"], "township": ["熊背乡"]}
        pair = {"q": f"普法 {item['word']}", "township": "熊背乡"}
        assert client.get("/api/search", query_string=pair).get_json()["total"] > 0


# -- export and errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["left", "township"])
def test_csv_rows_are_the_json_lines(client, sort):
    data = api_lines(client, "法治", sort=sort, township=["熊背乡", "青山乡"])
    response = client.get(
        "/concordance.csv", query_string={"q": "法治", "sort": sort, "township": ["熊背乡", "青山乡"]}
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert len(rows) == data["total"] > 0
    for row, line in zip(rows, data["lines"]):
        for key in ("left", "match", "right", "report_id", "township"):
            assert row[key] == spreadsheet_safe(line[key])
        assert (int(row["paragraph"]), int(row["year"])) == (line["paragraph"], line["year"])
        assert row["url"] == "http://localhost" + line["url"]


@pytest.mark.parametrize(
    "params, code",
    [
        ({}, "concordance_needs_query"),
        ({"q": "普法", "sort": "middle"}, "unknown_sort"),
        ({"q": "普法", "width": "0"}, "number_out_of_range"),
        ({"q": "普法", "width": "101"}, "number_out_of_range"),
        ({"q": "普法", "width": "wide"}, "not_a_number"),
        ({"q": "普法", "per_page": "501"}, "number_out_of_range"),
        ({"q": "普法", "span": "11"}, "number_out_of_range"),
        ({"q": "普法", "section": "nowhere"}, "unknown_section"),
    ],
)
def test_bad_parameters_are_400_with_a_code_and_a_chinese_page(client, params, code):
    response = client.get("/api/concordance", query_string=params)
    assert response.status_code == 400
    assert response.get_json()["code"] == code
    page = client.get("/concordance.csv" if not params else "/concordance", query_string=params)
    assert page.status_code == 400 and "请" in page.get_data(as_text=True)


def test_a_query_with_nothing_to_find_has_no_lines_and_says_why(client):
    data = client.get("/api/concordance", query_string={"q": "-普法"}).get_json()
    assert (data["total"], data["lines"], data["notice_code"]) == (0, [], "only_excluded")
    assert "只用于排除段落" in client.get("/concordance", query_string={"q": "-普法"}).get_data(as_text=True)


def test_paging_and_sorting_reuse_the_computed_lines(client, monkeypatch):
    calls = []
    real = blueprint.concordance
    monkeypatch.setattr(blueprint, "concordance", lambda *a, **k: calls.append(a) or real(*a, **k))
    for params in ({"page": 1}, {"page": 2, "per_page": 3}, {"sort": "left"}, {"sort": "right3"}):
        assert client.get("/api/concordance", query_string={"q": "依法行政", **params}).status_code == 200
    assert client.get("/concordance.csv", query_string={"q": "依法行政"}).status_code == 200
    assert len(calls) == 1
    client.get("/api/concordance", query_string={"q": "依法行政", "width": 9})
    assert len(calls) == 2


def test_two_requests_for_a_new_concordance_compute_it_once(app, monkeypatch):
    calls = []
    real = blueprint.concordance

    def slow(*args, **kwargs):
        calls.append(args)
        time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(blueprint, "concordance", slow)
    statuses = []
    threads = [
        threading.Thread(
            target=lambda: statuses.append(
                app.test_client().get("/api/concordance", query_string={"q": "行政执法", "width": 13}).status_code
            )
        )
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200, 200] and len(calls) == 1


def test_page_and_api_say_when_the_lines_are_a_spread_sample(client, monkeypatch):
    monkeypatch.setattr(blueprint, "concordance", functools.partial(blueprint.concordance, limit=100))
    data = api_lines(client, "法", width=7)
    assert data["truncated"] and data["sample_every"] > 1 and 0 < data["sorted"] <= 100 < data["total"]
    assert len({line["report_id"] for line in data["lines"]}) == 5  # from every report, not the first ones
    html = client.get("/concordance", query_string={"q": "法", "width": 7}).get_data(as_text=True)
    assert f"每 {data['sample_every']} 个段落取 1 个段落" in html and f'data-total="{data["total"]}"' in html


def test_the_endpoints_are_heavy(index_dir):
    from search_app import create_app

    app = create_app({"INDEX_DIR": index_dir, "HEAVY_LIMIT": 1, "HEAVY_WAIT": 0.05})
    slots = app.extensions["heavy_slots"]
    assert slots.acquire(blocking=False)
    try:
        for url in ("/concordance", "/api/concordance", "/concordance.csv"):
            assert app.test_client().get(url, query_string={"q": "法治"}).status_code == 503
    finally:
        slots.release()


# -- the page ---------------------------------------------------------------------------------------


def test_the_page_lists_a_page_of_lines_with_links_and_collocates(client):
    html = client.get(
        "/concordance", query_string={"q": "普法", "sort": "left", "per_page": 10, "township": "熊背乡"}
    ).get_data(as_text=True)
    data = api_lines(client, "普法", sort="left", township="熊背乡")
    assert html.count('<td class="match"><mark>') == min(10, data["total"])
    assert f'data-total="{data["total"]}"' in html
    first = data["lines"][0]
    assert f'<td class="left">{first["left"]}</td>' in html
    assert 'aria-current="true">左 1 字</span>' in html
    assert 'href="/concordance?q=%E6%99%AE%E6%B3%95&amp;township=%E7%86%8A%E8%83%8C%E4%B9%A1&amp;sort=right' in html
    assert '<input type="hidden" name="township" value="熊背乡">' in html  # the form keeps the filters
    assert '<input type="hidden" name="sort" value="left">' in html
    for item in data["collocates"]["items"]:
        assert item["search_url"].replace("&", "&amp;") in html
    assert "/concordance.csv?q=%E6%99%AE%E6%B3%95&amp;township=%E7%86%8A%E8%83%8C%E4%B9%A1&amp;sort=left" in html


def test_without_a_query_the_page_explains_itself(client):
    html = client.get("/concordance").get_data(as_text=True)
    assert "语境索引" in html and 'name="q"' in html and "AntConc" in html


def test_compare_links_to_the_full_concordance(client):
    html = client.get("/compare", query_string={"q": "普法", "township": "熊背乡"}).get_data(as_text=True)
    assert 'href="/concordance?q=%E6%99%AE%E6%B3%95&amp;township=%E7%86%8A%E8%83%8C%E4%B9%A1"' in html
