"""The concordance (/concordance, /api/concordance, /concordance.csv) against brute force over the five reports."""

import csv
import functools
import io
import math
import re
from collections import Counter
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from indexer.engine.query import parse_query
from indexer.engine.search import Filters
from indexer.research.concordance import (
    CLUSTER_WORDS,
    MIN_COLLOCATE_COUNT,
    SORT_CHARS,
    concordance,
    log_likelihood,
    span_count,
    stopped,
    window,
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


def every_line(result):
    """All the lines of a concordance, in report order, read from the published text."""
    return result.lines(result.order("report"))


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
    assert [(line.pid, line.start, line.end) for line in every_line(result)] == [
        (p.pid, s, e) for p, (s, e) in expected
    ]


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
    for line in every_line(result):
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
    assert capped.truncated and 0 < len(capped) <= limit
    assert capped.every > 1
    full_lines, capped_lines = every_line(full), every_line(capped)
    position = {pid: n for n, pid in enumerate(sorted({line.pid for line in full_lines}))}
    spread = [line for line in full_lines if position[line.pid] % capped.every == 0][:limit]
    assert [line[:-1] for line in capped_lines] == [line[:-1] for line in spread]  # all but `order`
    assert [line.order for line in capped_lines] == list(range(len(capped)))


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


def normalised_contexts(index, line) -> tuple[str, str]:
    """SORT_CHARS characters of normalised text each side of a line's match, found from its paragraph."""
    text = index.report_paragraphs(index.report(line.report_id), line.paragraph - 1, line.paragraph)[0].text
    norm, at, end = normalize(text), len(normalize(text[: line.start])), len(normalize(text[: line.end]))
    return norm[max(0, at - SORT_CHARS) : at], norm[end : end + SORT_CHARS]


@pytest.mark.parametrize(
    "sort, key",
    [
        ("left", lambda line, left, right: _reversed_from(left, 1)),
        ("left2", lambda line, left, right: _reversed_from(left, 2)),
        ("left3", lambda line, left, right: _reversed_from(left, 3)),
        ("right", lambda line, left, right: (right, "")),
        ("right2", lambda line, left, right: (right[1:], right[:1])),
        ("right3", lambda line, left, right: (right[2:], right[:2])),
        ("township", lambda line, left, right, code: (code, line.year)),  # places by division code
        ("year", lambda line, left, right, code: (line.year, code)),
    ],
)
@pytest.mark.parametrize("q", ["普法", "法治 OR 依法"])
def test_sorted_lines_are_in_order_pairwise_and_ties_keep_report_order(index, sort, key, q):
    """Contexts compare as normalised text (spaces and ignored punctuation do not count)."""
    result = concordance(index, parse_query(q))
    lines = result.lines(result.order(sort))
    assert sorted(line.order for line in lines) == list(range(len(result))) and len(result) == result.total
    code = lambda line: index.report(line.report_id)["township_code"] or ""  # noqa: E731
    keys = [
        key(line, *normalised_contexts(index, line), code(line))
        if sort in ("township", "year")
        else key(line, *normalised_contexts(index, line))
        for line in lines
    ]
    for (a, ka), (b, kb) in zip(zip(lines, keys), zip(lines[1:], keys[1:])):
        assert ka <= kb, (a, b)
        if ka == kb:
            assert a.order < b.order


def test_the_api_sorts_as_the_engine_does(client, index):
    result = concordance(index, parse_query("普法"))
    expected = [(line.report_id, line.paragraph, line.left) for line in result.lines(result.order("right2"))]
    lines = api_lines(client, "普法", sort="right2")["lines"]
    assert [(line["report_id"], line["paragraph"], line["left"]) for line in lines] == expected


def test_sort_left_groups_the_characters_before_the_match(client):
    lines = api_lines(client, "普法", sort="left")["lines"]
    firsts = [normalize(line["left"])[-1:] for line in lines]
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
    assert set(data["lines"][0]) == {
        "left", "match", "right", "report_id", "paragraph", "township", "year", "url", "citation"
    }  # fmt: skip
    assert set(data["collocates"]) >= {"statistic", "order", "min_count", "stop_list", "sampled_lines", "items"}
    assert set(data["collocates"]["items"][0]) == {
        "word", "count", "left", "right", "corpus", "expected", "g2", "mi", "t", "search_url"
    }  # fmt: skip
    assert set(data["clusters"]["items"][0]) == {"cluster", "side", "words", "count", "url"}


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
    result = concordance(index, parse_query(q), span=span, stop=False)
    assert result.sampled == len(result)  # the five reports have fewer lines than the sample
    terms = parse_query(q).terms
    left, right = {}, {}  # (paragraph, word position) → word
    for line in every_line(result):
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
    expected = sorted(chosen, key=lambda w: (-round(scores[w], 9), -near[w], w))
    assert [c.word for c in result.collocates] == expected


@pytest.mark.parametrize("word", ["解", "67", "起", "并", "是", "上", "的", "2023", "一二", "以及", "第三"])
def test_the_stop_list_holds_fragments_function_words_and_numbers(word):
    assert stopped(word)


@pytest.mark.parametrize("word", ["法律顾问", "宣传", "矛盾纠纷", "化解", "村居"])
def test_the_stop_list_keeps_content_words(word):
    assert not stopped(word)


@pytest.mark.parametrize("q", ["普法", "法治"])
def test_the_stop_list_and_the_minimum_only_leave_words_out(index, q):
    everything = concordance(index, parse_query(q), stop=False, min_count=1)
    stopped_list = concordance(index, parse_query(q))
    assert any(stopped(c.word) for c in everything.collocates)
    assert stopped_list.collocates == [c for c in everything.collocates if not stopped(c.word) and c.count >= 2]
    assert stopped_list.window_words == everything.window_words  # the window's size does not change
    frequent = concordance(index, parse_query(q), stop=False, min_count=4)
    assert frequent.collocates == [c for c in everything.collocates if c.count >= 4]


def test_mi_and_t_come_from_the_same_table(index):
    result = concordance(index, parse_query("法治"), stop=False)
    for c in result.collocates:
        assert c.mi == pytest.approx(math.log2(c.count / c.expected))
        assert c.t == pytest.approx((c.count - c.expected) / math.sqrt(c.count))
        assert c.score("ll") == c.g2 and c.score("mi") == c.mi and c.score("t") == c.t


@pytest.mark.parametrize(
    "csort, key", [("ll", "g2"), ("mi", "mi"), ("t", "t"), ("count", "count"), ("corpus", "corpus")]
)
def test_collocate_columns_sort_best_first(client, csort, key):
    data = api_lines(client, "法治", csort=csort, stop=0)["collocates"]
    values = [item[key] for item in data["items"]]
    assert len(values) > 3 and values == sorted(values, reverse=True)
    words = [item["word"] for item in api_lines(client, "法治", csort="word", stop=0)["collocates"]["items"]]
    assert words == sorted(words)


def test_the_statistic_orders_the_list_by_default(client):
    by_mi = api_lines(client, "法治", stat="mi")["collocates"]
    assert by_mi["statistic"] == by_mi["order"] == "mi"
    mis = [item["mi"] for item in by_mi["items"]]
    assert mis == sorted(mis, reverse=True)
    by_ll = api_lines(client, "法治")["collocates"]
    assert by_ll["order"] == "ll" and by_ll["found"] == by_mi["found"] > len(by_mi["items"])  # the same list, cut


def test_window_words_skip_marks_and_other_matches():
    tokens = segmenter_for(()).tokens
    norm = normalize("坚持依法治国，推进普法宣传。普法")
    s = norm.index("普法")
    w = window(norm, s, s + 2, 2, tokens)
    assert [word for word, _ in w.left] == ["依法治国", "推进"] and [word for word, _ in w.right] == ["宣传", "普法"]


@pytest.mark.parametrize("span", [1, 3, 10])
@pytest.mark.parametrize("terms", [["法"], ["普法"], ["工作"], ["依法", "法治"]])
def test_windows_cut_at_clause_marks_are_the_whole_paragraphs_words(index, span, terms):
    """Segmenting only the clauses around a match gives the words of segmenting the whole paragraph."""
    seen = 0
    for p in all_paragraphs(index):
        norm = normalize(p.text)
        words = [t for t in index.segmenter.tokens(norm) if t[0] not in KEPT_MARKS]
        for s, e in [(m.start(), m.end()) for t in terms for m in re.finditer(t, norm)]:
            w = window(norm, s, e, span, index.segmenter.tokens)
            assert w.left == [(x, a) for x, a, b in words if b <= s][-span:]
            assert w.right == [(x, a) for x, a, b in words if a >= e][:span]
            seen += 1
    assert seen > 20


def brute_clusters(index, result, stop: bool) -> Counter:
    """The match with 1 to CLUSTER_WORDS adjacent words each side, walked over each paragraph's words."""
    counts = Counter()
    for line in every_line(result):
        text = index.report_paragraphs(index.report(line.report_id), line.paragraph - 1, line.paragraph)[0].text
        norm, at, end = normalize(text), len(normalize(text[: line.start])), len(normalize(text[: line.end]))
        tokens = index.segmenter.tokens(norm)  # marks included: a cluster does not cross one
        after = [t for t in tokens if t[1] >= end]
        before = [t for t in tokens if t[2] <= at][::-1]
        for side, run, edge in (("right", after, end), ("left", before, at)):
            for k in range(min(CLUSTER_WORDS, len(run))):
                word, a, b = run[k]
                if word in KEPT_MARKS or (a if side == "right" else b) != edge:
                    break
                edge = b if side == "right" else a
                if stop and stopped(word):
                    continue
                words = "".join(t[0] for t in (run[: k + 1] if side == "right" else run[k::-1]))
                counts[(norm[at:end] + words if side == "right" else words + norm[at:end], side, k + 1)] += 1
    return counts


@pytest.mark.parametrize("q", ["矛盾纠纷", "法律明白人", "普法", "法治 OR 依法"])
@pytest.mark.parametrize("stop", [True, False])
def test_clusters_are_counted_as_a_walk_over_the_words_finds_them(index, q, stop):
    result = concordance(index, parse_query(q), stop=stop)
    expected = {key: n for key, n in brute_clusters(index, result, stop).items() if n >= MIN_COLLOCATE_COUNT}
    assert {(c.text, c.side, c.words): c.count for c in result.clusters} == expected
    assert result.clusters and [c.count for c in result.clusters] == sorted(
        (c.count for c in result.clusters), reverse=True
    )


def test_each_cluster_links_to_its_concordance_with_as_many_lines(client):
    data = api_lines(client, "矛盾纠纷", township="熊背乡")
    if not data["clusters"]["items"]:
        data = api_lines(client, "矛盾纠纷")
    items = data["clusters"]["items"]
    assert items
    for item in items[:5]:
        params = parse_qs(urlsplit(item["url"]).query)
        assert urlsplit(item["url"]).path == "/concordance" and params["q"] == [item["cluster"]]
        linked = client.get("/api/concordance", query_string=params).get_json()
        assert linked["total"] >= item["count"]  # every occurrence of the string, word-aligned or not


def test_corpus_frequency_is_the_words_count_in_every_paragraph(index):
    result = concordance(index, parse_query("普法"), stop=False)
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
def test_csv_rows_are_the_json_lines_under_chinese_headers(client, sort):
    data = api_lines(client, "法治", sort=sort, township=["熊背乡", "青山乡"])
    response = client.get(
        "/concordance.csv", query_string={"q": "法治", "sort": sort, "township": ["熊背乡", "青山乡"]}
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert list(rows[0]) == ["左侧语境", "检索词", "右侧语境", "乡镇", "年份", "段落", "链接", "引用"]
    assert len(rows) == data["total"] > 0
    for row, line in zip(rows, data["lines"]):
        for key, header in (("left", "左侧语境"), ("match", "检索词"), ("right", "右侧语境"), ("township", "乡镇")):
            assert row[header] == spreadsheet_safe(line[key])
        assert (int(row["段落"]), int(row["年份"])) == (line["paragraph"], line["year"])
        assert row["链接"] == "http://localhost" + line["url"]
        assert row["引用"] == line["citation"] and row["引用"].endswith(f"第{line['paragraph']}段.")


def download_name(response) -> str:
    """The UTF-8 file name of a download (RFC 5987 filename*), checking the ASCII fallback is there too."""
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and disposition.split('"')[1].isascii()
    return unquote(disposition.split("filename*=UTF-8''")[1])


@pytest.mark.parametrize(
    "table, name, headers",
    [
        ("lines", "普法-熊背乡-语境索引.csv", ["左侧语境", "检索词", "右侧语境"]),
        ("collocates", "普法-熊背乡-搭配词.csv", ["词", "共现次数", "左侧", "右侧", "全库次数", "期望次数"]),
        ("clusters", "普法-熊背乡-词簇.csv", ["词簇", "位置", "增加词数", "次数", "链接"]),
    ],
)
def test_each_table_exports_under_a_name_that_says_what_it_is(client, table, name, headers):
    response = client.get("/concordance.csv", query_string={"q": "普法", "township": "熊背乡", "table": table})
    assert response.status_code == 200 and download_name(response) == name
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True)[1:])))
    assert rows[0][: len(headers)] == headers
    data = api_lines(client, "普法", township="熊背乡")
    if table == "collocates":
        assert [r[0] for r in rows[1:]] == [i["word"] for i in data["collocates"]["items"]]
    elif table == "clusters":
        assert [(r[0], int(r[3])) for r in rows[1:]] == [(i["cluster"], i["count"]) for i in data["clusters"]["items"]]
        assert {r[1] for r in rows[1:]} <= {"检索词左侧", "检索词右侧"}


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
        ({"q": "普法", "stat": "chi2"}, "unknown_statistic"),
        ({"q": "普法", "csort": "colour"}, "unknown_sort"),
        ({"q": "普法", "min_count": "0"}, "number_out_of_range"),
        ({"q": "普法", "stop": "maybe"}, "not_a_switch"),
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


def test_no_server_process_keeps_a_concordance(app, client, monkeypatch):
    """Each request computes its own, so a sort click costs the same on every worker."""
    calls = []
    real = blueprint.concordance
    monkeypatch.setattr(blueprint, "concordance", lambda *a, **k: calls.append(a) or real(*a, **k))
    for params in ({"page": 1}, {"page": 2, "per_page": 3}, {"sort": "left"}):
        assert client.get("/api/concordance", query_string={"q": "依法行政", **params}).status_code == 200
    assert len(calls) == 3
    assert not any("concordance" in key for key in app.extensions)


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
    data = api_lines(client, "普法", sort="left", township="熊背乡", per_page=10)
    assert html.count('<td class="match"><a href="/reports/') == min(10, data["total"])
    assert f'data-total="{data["total"]}"' in html
    first = data["lines"][0]
    assert f'<td class="left"><span>{first["left"]}</span></td>' in html
    assert 'aria-current="true">左 1 字</span>' in html
    assert 'href="/concordance?q=%E6%99%AE%E6%B3%95&amp;township=%E7%86%8A%E8%83%8C%E4%B9%A1&amp;sort=right' in html
    assert '<input type="hidden" name="township" value="熊背乡">' in html  # the form keeps the filters
    assert '<input type="hidden" name="sort" value="left">' in html
    for item in data["collocates"]["items"]:
        assert item["search_url"].replace("&", "&amp;") in html
    for item in data["clusters"]["items"]:
        assert item["url"].replace("&", "&amp;") in html
    assert "/concordance.csv?q=%E6%99%AE%E6%B3%95&amp;township=%E7%86%8A%E8%83%8C%E4%B9%A1&amp;sort=left" in html
    assert 'id="collocate-table"' in html and 'data-csort="mi"' in html and '<select name="stat">' in html


def test_the_collocate_form_keeps_the_rest_of_the_state(client):
    html = client.get(
        "/concordance", query_string={"q": "法治", "sort": "right", "township": "熊背乡", "stat": "t", "stop": 0}
    ).get_data(as_text=True)
    form = html[html.index('<form class="collform"') : html.index("</form>", html.index('<form class="collform"'))]
    for hidden in ('name="q" value="法治"', 'name="sort" value="right"', 'name="township" value="熊背乡"'):
        assert f'<input type="hidden" {hidden}>' in form
    assert '<option value="t" selected>' in form and 'name="stop" value="1" checked' not in form
    # unticking the box sends only the hidden 0; ticking it sends 1 first, which wins
    assert client.get("/api/concordance", query_string=[("q", "法治"), ("stop", "1"), ("stop", "0")]).get_json()[
        "collocates"
    ]["stop_list"]


def test_without_a_query_the_page_explains_itself(client):
    html = client.get("/concordance").get_data(as_text=True)
    assert "语境索引" in html and 'name="q"' in html and "AntConc" in html


def test_compare_links_to_the_full_concordance(client):
    html = client.get("/compare", query_string={"q": "普法", "township": "熊背乡"}).get_data(as_text=True)
    assert 'href="/concordance?q=%E6%99%AE%E6%B3%95&amp;township=%E7%86%8A%E8%83%8C%E4%B9%A1"' in html


def test_the_bench_times_every_request_and_each_answers(index_dir):
    from indexer.bench import site_cost

    results = site_cost.run(index_dir, repeat=1)
    assert len(results["requests"]) == len(site_cost.requests())
    assert {r["status"] for r in results["requests"].values()} == {200}
    assert all(r["bytes"] > 0 and r["median_s"] >= 0 for r in results["requests"].values())
