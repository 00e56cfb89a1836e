"""Whole-word mode (整词): a term matches where its jieba words stand as consecutive words of the paragraph."""

import json
import random
import re
from math import log, log2

import numpy as np
import pytest

from indexer.cli import main
from indexer.engine.build import build
from indexer.engine.query import parse_query
from indexer.engine.search import ReportIndex, highlight_spans
from indexer.research.keyterms import STOP_WORDS, is_topic_word, key_terms, selection
from indexer.text.normalize import KEPT_MARKS, normalize
from tests.conftest import live_texts


def word_runs(index: ReportIndex, text: str, term: str) -> int:
    """The reference: how many times the term's words stand as consecutive tokens of the text."""
    tokens = [w for w, _, _ in index.segmenter.tokens(normalize(text))]
    phrase = index.segmenter.words(normalize(term))
    k = len(phrase)
    return sum(tokens[i : i + k] == phrase for i in range(len(tokens) - k + 1)) if k else 0


def holds_whole(index: ReportIndex, text: str, term: str) -> bool:
    """The definition: the term's words stand consecutively; a term with clause marks is split at
    them, each part must stand as words, and the whole term must occur as a substring."""
    parts = [p for p in re.split("[" + re.escape("".join(KEPT_MARKS)) + "]", term) if p]
    if len(parts) == 1 and parts[0] == term:
        return word_runs(index, text, term) > 0
    return bool(parts) and all(word_runs(index, text, p) for p in parts) and term in normalize(text)


def brute_force_whole(index: ReportIndex, texts: dict[int, str], query_text: str) -> list[int]:
    query = parse_query(query_text)
    return [
        pid
        for pid, text in texts.items()
        if all(any(holds_whole(index, text, t) for t in group) for group in query.groups)
        and not any(holds_whole(index, text, t) for t in query.excluded)
    ]


@pytest.fixture(scope="module")
def texts(index) -> dict[int, str]:
    return live_texts(index)


def sampled_queries(index, texts, seed: int, count: int) -> list[str]:
    """Words and two-word phrases drawn from the paragraphs, plus substrings that cut words."""
    rng = random.Random(seed)
    queries = []
    for _ in range(count):
        tokens = [w for w, _, _ in index.segmenter.tokens(normalize(rng.choice(list(texts.values()))))]
        words = [w for w in tokens if w not in KEPT_MARKS]
        i = rng.randrange(len(words))
        kind = rng.randrange(4)
        if kind == 0:
            queries.append(words[i])
        elif kind == 1:
            queries.append("".join(tokens[i : i + 2]) if i + 1 < len(tokens) else words[i])
        elif kind == 2:
            joined = "".join(words[i : i + 3])
            start = rng.randrange(len(joined))
            queries.append(joined[start : start + rng.randint(2, 4)])
        else:
            queries.append(
                f"{words[i]} {rng.choice(words)}" if rng.random() < 0.5 else f"{words[i]} OR {rng.choice(words)}"
            )
    return queries


@pytest.mark.parametrize("seed", range(4))
def test_whole_word_matches_equal_a_token_scan(index, texts, seed):
    queries = sampled_queries(index, texts, seed, 25)
    found_any = 0
    for q in queries:
        expected = brute_force_whole(index, texts, q)
        got = index.select(parse_query(q, whole_words=True)).tolist()
        assert got == expected, q
        substring = set(index.select(parse_query(q)).tolist())
        assert set(got) <= substring, q
        found_any += bool(got)
    assert found_any >= len(queries) // 2  # most sampled queries find something


def test_a_word_inside_another_word_is_not_a_whole_word(tmp_path):
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "a.txt").write_text(
        "某某镇2023年法治政府建设工作报告\n一、主要工作\n坚持法治建设。\n加强执法治理能力。\n", encoding="utf-8"
    )
    build(tmp_path / "reports", tmp_path / "index")
    index = ReportIndex.open(tmp_path / "index")
    texts = [h.text for h in index.hits(list(range(len(index))))]
    substring = [texts[i] for i in index.select(parse_query("法治"))]
    whole = [texts[i] for i in index.select(parse_query("法治", whole_words=True))]
    assert "加强执法治理能力。" in substring and "坚持法治建设。" in substring
    assert "加强执法治理能力。" not in whole and "坚持法治建设。" in whole


def test_whole_word_highlights_only_whole_word_occurrences(index, texts):
    for q in ["法治", "调解", "法治政府", "宣传"]:
        query = parse_query(q, whole_words=True)
        for pid in index.select(query).tolist():
            spans = highlight_spans(texts[pid], query, index.segmenter)
            assert len(spans) == word_runs(index, texts[pid], q) > 0
            assert all(normalize(texts[pid][s:e]) == normalize(q) for s, e in spans)


def test_cli_whole_words_option(index_dir, index, capsys):
    assert main(["search", "-w", "法治", "--index", str(index_dir), "--all", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == len(index.select(parse_query("法治", whole_words=True)))
    assert len(lines) < len(index.select(parse_query("法治")))
    assert main(["search", "法治", "--whole-words", "--index", str(index_dir), "--limit", "1"]) == 0
    assert re.match(r"\d+ paragraphs match 法治 \(whole words\)", capsys.readouterr().out)


def test_api_whole_words(client, index):
    body = client.get("/api/search", query_string={"q": "法治", "whole": "1"}).get_json()
    assert body["whole_words"] is True
    assert body["total"] == len(index.select(parse_query("法治", whole_words=True)))
    plain = client.get("/api/search", query_string={"q": "法治"}).get_json()
    assert plain["whole_words"] is False and plain["total"] > body["total"]
    bad = client.get("/api/search", query_string={"q": "法治", "whole": "yes please"})
    assert bad.status_code == 400 and bad.get_json()["code"] == "not_a_switch"


def test_search_page_keeps_the_switch_in_every_link(client, index):
    html = client.get("/search", query_string={"q": "法治", "whole": "1"}).get_data(as_text=True)
    assert re.search(r'name="whole" value="1" checked', html)
    facet_links = re.findall(r'<a class="facet" href="([^"]+)"', html)
    assert facet_links and all("whole=1" in link for link in facet_links)
    total = int(re.search(r'data-total="(\d+)"', html).group(1))
    assert "（整词匹配）" in html
    assert total == len(index.select(parse_query("法治", whole_words=True)))


def g2(a: float, b: float, c: float, d: float) -> float:
    """Dunning's log-likelihood, written out."""
    total = a + b
    parts = [(a, c * total / (c + d)), (b, d * total / (c + d))]
    return 2 * sum(o * log(o / e) for o, e in parts if o)


@pytest.mark.parametrize("position", [0, 2, 4])
def test_key_terms_are_the_words_a_report_uses_more_than_the_rest_by_log_likelihood(index, texts, position):
    report = index.reports[position]
    pids = selection(index, report_id=report["report_id"])
    terms = key_terms(index, pids, 15)
    words_of = {pid: set(index.segmenter.words(normalize(t))) for pid, t in texts.items()}
    norms = {pid: normalize(t) for pid, t in texts.items()}
    inside = set(pids.tolist())
    c, d = len(inside), len(texts) - len(inside)
    names = [report.get(k) or "" for k in ("township", "county", "prefecture", "province")]
    places = {n[:cut] for n in names for cut in (None, -1, -2) if len(n[:cut]) >= 2}

    def local(word: str) -> bool:
        return any(place in word for place in places)

    assert terms and [t.score for t in terms] == sorted((t.score for t in terms), reverse=True)
    for t in terms:
        if t.phrase:
            holding = {pid for pid, norm in norms.items() if t.word in norm}
            assert t.count <= len(holding & inside)  # adjacent as words in these, as text in all
        else:
            holding = {pid for pid, words in words_of.items() if t.word in words}
            assert t.count == len(holding & inside)
        assert t.paragraphs == len(holding)
        a, b = t.count, t.paragraphs - t.count
        assert a >= 2 and a / c > b / d
        assert t.score == pytest.approx(g2(a, b, c, d))
        assert t.log_ratio == pytest.approx(log2((a / c) / (max(b, 0.5) / d)))
        assert t.word not in STOP_WORDS and not local(t.word)
    # complete: no word the report uses more, in two paragraphs or more, scores above the last one listed
    last = terms[-1].score
    for word in {w for pid in inside for w in words_of[pid]}:
        a = sum(word in words_of[pid] for pid in inside)
        b = sum(word in words_of[pid] for pid in words_of) - a
        if not is_topic_word(word) or word in STOP_WORDS or a < 2 or a / c <= b / d or local(word):
            continue
        if g2(a, b, c, d) > last + 1e-9:
            assert word in [t.word for t in terms] or any(word in t.word for t in terms if t.phrase), word


def test_a_user_can_leave_more_words_out_and_ask_for_more_paragraphs(index):
    pids = selection(index, report_id=index.reports[2]["report_id"])
    first = key_terms(index, pids, 10)
    without = key_terms(index, pids, 10, stop=frozenset({first[0].word}))
    assert first[0].word not in [t.word for t in without]
    assert all(t.count >= 3 for t in key_terms(index, pids, 10, min_freq=3))


def test_township_key_terms_cover_its_reports(index):
    township = index.townships[0]  # a division code
    pids = selection(index, township=township)
    assert set(index.columns["township"][pids].tolist()) == {index.township_code[township]}
    assert len(pids) == sum(r["paragraphs"] for r in index.reports if r["township_code"] == township)
    name = next(r["township"] for r in index.reports if r["township_code"] == township)
    assert selection(index, township=name).tolist() == pids.tolist()  # or by its name
    assert key_terms(index, pids, 5)
    assert selection(index, township="没有这个乡") is None and selection(index, report_id="nope") is None


def test_key_terms_api_page_and_cli_agree(client, index, index_dir, capsys):
    report = index.reports[0]
    body = client.get("/api/keyterms", query_string={"report": report["report_id"], "n": 8}).get_json()
    assert len(body["terms"]) == 8 and body["paragraphs"] == report["paragraphs"]
    assert main(["keyterms", "--report", report["report_id"], "-n", "8", "--json", "--index", str(index_dir)]) == 0
    assert json.loads(capsys.readouterr().out)["terms"] == body["terms"]
    html = client.get("/keyterms", query_string={"report": report["report_id"], "n": 8}).get_data(as_text=True)
    assert [w for w in re.findall(r'<th scope="row"><a href="[^"]*whole=1[^"]*">([^<]+)</a>', html)] == [
        t["word"] for t in body["terms"]
    ]
    township = client.get("/api/keyterms", query_string={"township": report["township"]}).get_json()
    assert township["township"] == report["township"] and len(township["terms"]) == 20


@pytest.mark.parametrize(
    "args, status, code",
    [
        ({}, 400, "keyterms_target"),
        ({"report": "a", "township": "b"}, 400, "keyterms_target"),
        ({"report": "nope"}, 404, None),
        ({"township": "没有这个乡"}, 404, None),
        ({"township": "x", "n": "0"}, 400, "number_out_of_range"),
    ],
)
def test_key_terms_refuse_what_they_cannot_answer(client, args, status, code):
    response = client.get("/api/keyterms", query_string=args)
    assert response.status_code == status
    if code:
        assert response.get_json()["code"] == code
    page = client.get("/keyterms", query_string=args)
    assert page.status_code == status and "<html" in page.get_data(as_text=True).lower()


def test_report_page_links_to_its_key_terms(client, index):
    report = index.reports[0]
    html = client.get(f"/reports/{report['report_id']}").get_data(as_text=True)
    link = re.search(r'<a id="keyterms" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert client.get(link).status_code == 200
    assert np.all(selection(index, report_id=report["report_id"]) >= report["first_pid"])


def test_key_terms_of_a_county_a_year_or_a_query_take_the_search_pages_selection(client, index):
    from indexer.engine.filters import Filters
    from indexer.engine.query import parse_query

    report = index.reports[0]
    county = client.get("/api/keyterms", query_string={"county": report["county"], "year": report["year"]}).get_json()
    expected = index.select(
        None, Filters(counties=(report["county"],), year_from=report["year"], year_to=report["year"])
    )
    assert county["paragraphs"] == len(expected) > 0 and county["terms"]
    query = client.get("/api/keyterms", query_string={"q": "法律明白人"}).get_json()
    assert query["paragraphs"] == len(index.select(parse_query("法律明白人"))) > 0
    page = client.get("/keyterms", query_string={"q": "法律明白人"}).get_data(as_text=True)
    assert "含“法律明白人”的段落" in page and "对数似然" in page
