"""Proximity operators: `A /s B` (one sentence), `A /N B` (at most N characters apart), `A /p B`
(one paragraph), exact against a brute-force scan that enumerates every choice of occurrences."""

from __future__ import annotations

import itertools
import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.engine.proximity import Chain, chain_spans, holds, matcher
from indexer.engine.query import QueryError, parse_query
from indexer.text.normalize import normalize
from tests.conftest import live_texts

# -- the reference: every choice of occurrences, sentences cut with a regular expression ----------


def spans_of(norm: str, group: tuple[str, ...]) -> list[tuple[int, int]]:
    return [(m.start(), m.start() + len(t)) for t in group for m in re.finditer(f"(?={re.escape(t)})", norm)]


def sentence_of(norm: str) -> list[int]:
    """The sentence number of each character: a sentence ends after 。!?; (the mark is its last character)."""
    numbers, n = [], 0
    for c in norm:
        numbers.append(n)
        n += c in "。!?;"
    return numbers


def pair_ok(norm: str, a, b, op) -> bool:
    if op == "s":
        sentences = sentence_of(norm)
        return bool(set(sentences[a[0] : a[1]]) & set(sentences[b[0] : b[1]]))
    gap = b[0] - a[1] if a[0] <= b[0] else a[0] - b[1]
    return gap <= op or (a[0] < b[1] and b[0] < a[1])


def reference(norm: str, chain: Chain) -> bool:
    choices = [spans_of(norm, g) for g in chain.groups]
    return any(
        all(pair_ok(norm, x, y, op) for x, y, op in zip(pick, pick[1:], chain.ops))
        for pick in itertools.product(*choices)
    )


def brute_force(texts: dict[int, str], query_text: str) -> list[int]:
    query = parse_query(query_text)
    out = []
    for pid, text in texts.items():
        norm = normalize(text)
        if not all(any(t in norm for t in g) for g in query.groups):
            continue
        if any(t in norm for t in query.excluded):
            continue
        if all(reference(norm, c) for c in query.chains):
            out.append(pid)
    return sorted(out)


def found(index, text: str) -> list[int]:
    return sorted(h.pid for h in index.search(parse_query(text), limit=None, facets=False).hits)


# -- the language ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, groups, chains",
    [
        ("法律明白人 /s 培训", [("法律明白人",), ("培训",)], [([("法律明白人",), ("培训",)], ["s"])]),
        ("法律明白人 /S 培训", [("法律明白人",), ("培训",)], [([("法律明白人",), ("培训",)], ["s"])]),
        ("调解 /10 纠纷", [("调解",), ("纠纷",)], [([("调解",), ("纠纷",)], [10])]),
        ("调解 /p 纠纷", [("调解",), ("纠纷",)], []),
        ("普法 OR 宣传 /s 培训", [("普法", "宣传"), ("培训",)], [([("普法", "宣传"), ("培训",)], ["s"])]),
        ("甲 /s 乙 /5 丙 丁", [("甲",), ("乙",), ("丙",), ("丁",)], [([("甲",), ("乙",), ("丙",)], ["s", 5])]),
        (
            "甲 /s 乙 丙 /3 丁",
            [("甲",), ("乙",), ("丙",), ("丁",)],
            [([("甲",), ("乙",)], ["s"]), ([("丙",), ("丁",)], [3])],
        ),
        ('"甲 /s 乙"', [("甲s乙",)], []),
        ("甲 /s 乙 -丙", [("甲",), ("乙",)], [([("甲",), ("乙",)], ["s"])]),
    ],
)
def test_operators_parse_into_chains_over_the_groups(text, groups, chains):
    query = parse_query(text)
    assert list(query.groups) == groups
    assert [(list(c.groups), list(c.ops)) for c in query.chains] == chains


@pytest.mark.parametrize(
    "text, code",
    [
        ("/s 培训", "proximity_needs_terms"),
        ("培训 /s", "proximity_needs_terms"),
        ("培训 /s /s 调解", "proximity_needs_terms"),
        ("培训 /s -调解", "proximity_needs_terms"),
        ("培训 /0 调解", "proximity_range"),
        ("培训 /201 调解", "proximity_range"),
    ],
)
def test_an_operator_without_terms_or_out_of_range_is_refused_with_a_message(text, code):
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    assert caught.value.code == code
    assert caught.value.chinese.startswith("“/")


# -- the rules, on texts written for them -------------------------------------------------------


def chain(*parts) -> Chain:
    groups = tuple((p,) if isinstance(p, str) else p for p in parts[::2])
    return Chain(groups, tuple(parts[1::2]))


@pytest.mark.parametrize(
    "text, c, expected",
    [
        ("开展法律明白人培训。", chain("法律明白人", "s", "培训"), True),
        ("培训法律明白人。", chain("法律明白人", "s", "培训"), True),  # either order
        ("法律明白人，今年培训。", chain("法律明白人", "s", "培训"), True),  # a comma does not end a sentence
        ("法律明白人、骨干：培训", chain("法律明白人", "s", "培训"), True),
        ("法律明白人。今年培训。", chain("法律明白人", "s", "培训"), False),
        ("法律明白人;今年培训", chain("法律明白人", "s", "培训"), False),
        ("法律明白人!今年培训", chain("法律明白人", "s", "培训"), False),
        ("法律明白人?今年培训", chain("法律明白人", "s", "培训"), False),
        ("调解纠纷", chain("调解", 1, "纠纷"), True),  # touching: no gap
        ("调解了纠纷", chain("调解", 1, "纠纷"), True),  # one character between
        ("调解了的纠纷", chain("调解", 1, "纠纷"), False),
        ("纠纷已调解", chain("调解", 1, "纠纷"), True),  # either order, gap 1
        ("法治政府", chain("法治", 1, "治政"), True),  # overlap allowed
        ("甲乙丙。丁", chain("甲", "s", "乙", "s", "丙"), True),
        ("甲乙。丙", chain("甲", "s", "乙", "s", "丙"), False),
        ("甲。乙甲丙", chain("甲", "s", "乙", "s", "丙"), True),  # the second 甲 serves
        ("甲xx乙。丙甲", chain("甲", 2, "乙", "s", "丙"), False),
    ],
)
def test_the_rules_of_each_operator(text, c, expected):
    norm = normalize(text)
    assert holds(norm, c) is expected
    assert reference(norm, c) is expected
    fast = matcher(c)
    assert fast is None or bool(fast(norm)) is expected


SMALL = "甲乙丙。,!"


@settings(max_examples=600, deadline=None)
@given(
    text=st.text(SMALL, max_size=14),
    groups=st.lists(st.lists(st.text(SMALL, min_size=1, max_size=3), min_size=1, max_size=2), min_size=2, max_size=3),
    ops=st.lists(st.sampled_from(["s", 1, 2, 4]), min_size=2, max_size=2),
)
def test_the_fast_matcher_and_the_occurrence_walk_agree_with_the_reference(text, groups, ops):
    c = Chain(tuple(tuple(dict.fromkeys(g)) for g in groups), tuple(ops[: len(groups) - 1]))
    expected = reference(text, c)
    assert holds(text, c) is expected
    fast = matcher(c)
    if fast is not None:
        assert bool(fast(text)) is expected


def test_only_occurrences_that_satisfy_the_chain_are_marked():
    norm = normalize("培训一次。法律明白人参加培训。法律明白人")
    spans = chain_spans(norm, chain("法律明白人", "s", "培训"))
    assert [norm[s:e] for s, e in spans] == ["法律明白人", "培训"]
    assert spans[0][0] == norm.index("法律明白人")


# -- the engine against the reference -----------------------------------------------------------


@pytest.fixture(scope="module")
def texts(index) -> dict[int, str]:
    return live_texts(index)


@pytest.fixture(scope="module")
def many_texts(many_index) -> dict[int, str]:
    return live_texts(many_index)


def word_pairs(texts: dict[int, str], seed: int, count: int) -> list[tuple[str, str]]:
    """Random pairs of two- to four-character pieces of one paragraph: a third anywhere in it, a
    third in one sentence, a third 0-12 characters apart, so that every operator is met both ways."""
    rng = random.Random(seed)
    pids = list(texts)
    pairs = []
    while len(pairs) < count:
        norm = normalize(texts[rng.choice(pids)])
        la, lb, way = rng.randint(2, 4), rng.randint(2, 4), len(pairs) % 3
        if way == 2:
            start, gap = rng.randrange(max(1, len(norm) - la - lb - 12)), rng.randint(0, 12)
            a, b = norm[start : start + la], norm[start + la + gap : start + la + gap + lb]
            if re.fullmatch(r"[\u4e00-\u9fff]{2,}", a) and re.fullmatch(r"[\u4e00-\u9fff]{2,}", b):
                pairs.append((a, b))
            continue
        scope = rng.choice(re.split("[。!?;]", norm)) if way == 1 else norm
        cjk = [m.group() for m in re.finditer(r"[\u4e00-\u9fff]{2,}", scope)]
        if len(cjk) >= 2:
            a, b = rng.sample(cjk, 2)
            pairs.append((a[:la], b[:lb]))
    return pairs


@pytest.mark.parametrize("op, least", [("/s", 12), ("/3", 4), ("/10", 8), ("/50", 12), ("/p", 20)])
def test_proximity_finds_exactly_what_a_brute_force_scan_finds(index, texts, op, least):
    checked = 0
    for a, b in word_pairs(texts, sum(map(ord, op)), 30):
        query = f"{a} {op} {b}"
        expected = brute_force(texts, query)
        assert found(index, query) == expected, query
        checked += bool(expected)
    assert checked >= least  # examples that find something, not only empty answers


def test_proximity_narrows_the_paragraph_match(many_index, many_texts):
    narrowed = 0
    for a, b in word_pairs(many_texts, 7, 20):
        everywhere = found(many_index, f"{a} {b}")
        sentence = found(many_index, f"{a} /s {b}")
        assert sentence == brute_force(many_texts, f"{a} /s {b}")
        assert set(sentence) <= set(everywhere)
        narrowed += len(sentence) < len(everywhere)
    assert narrowed >= 5


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    ops=st.lists(st.sampled_from(["/s", "/1", "/5", "/20", "/50", "/200", "/p"]), min_size=1, max_size=2),
    combine=st.sampled_from(["", " OR 法治", " -县"]),
)
def test_chains_with_or_and_exclusion_match_the_reference(many_index, many_texts, seed, ops, combine):
    words = [w for pair in word_pairs(many_texts, seed, 2) for w in pair][: len(ops) + 1]
    query = words[0] + combine if combine == " OR 法治" else words[0]
    for op, word in zip(ops, words[1:]):
        query += f" {op} {word}"
    if combine == " -县":
        query += combine
    assert found(many_index, query) == brute_force(many_texts, query), query


def test_whole_word_proximity_is_a_subset_of_both_whole_words_and_proximity(index):
    a, b = "法律", "服务"
    whole = sorted(h.pid for h in index.search(parse_query(f"{a} /s {b}", whole_words=True), limit=None).hits)
    assert set(whole) <= set(found(index, f"{a} /s {b}"))
    plain_whole = sorted(h.pid for h in index.search(parse_query(f"{a} {b}", whole_words=True), limit=None).hits)
    assert set(whole) <= set(plain_whole)
    assert whole


# -- site, API and command line ----------------------------------------------------------------


def test_the_site_and_api_search_with_operators(client, index, texts):
    expected = brute_force(texts, "法律明白人 /s 培训")
    body = client.get("/api/search", query_string={"q": "法律明白人 /s 培训", "limit": 100}).get_json()
    assert body["total"] == len(expected) > 0
    wanted = {(index.hits([pid])[0].report_id, index.hits([pid])[0].paragraph) for pid in expected}
    assert {(h["report_id"], h["paragraph"]) for h in body["hits"]} == wanted
    page = client.get("/search", query_string={"q": "法律明白人 /s 培训"}).get_data(as_text=True)
    assert page.count("<mark>法律明白人</mark>") >= len(expected)


def test_a_bad_operator_is_a_clear_message_on_the_site_and_in_the_api(client):
    api = client.get("/api/search", query_string={"q": "培训 /s"})
    assert api.status_code == 400
    assert api.get_json()["code"] == "proximity_needs_terms"
    page = client.get("/search", query_string={"q": "培训 /500 调解"})
    assert page.status_code == 400
    assert "相距字数应在 1 到 200 之间" in page.get_data(as_text=True)


def test_or_in_lower_case_is_searched_as_a_word_and_the_page_says_how_to_write_it(client, index, texts):
    query = parse_query("法治 or 普法")
    assert query.advice_code == "lowercase_or" and query.groups == (("法治",), ("or",), ("普法",))
    assert parse_query("法治 OR 普法").advice_code is None
    assert parse_query('法治 "or" 普法').advice_code is None
    body = client.get("/api/search", query_string={"q": "法治 or 普法"}).get_json()
    assert body["advice_code"] == "lowercase_or" and body["total"] == 0
    page = client.get("/search", query_string={"q": "法治 or 普法"}).get_data(as_text=True)
    assert "请写大写 OR" in page


@pytest.mark.parametrize("near, op", [("s", "/s"), ("10", "/10"), ("", "/p")])
def test_the_scope_control_joins_spaced_terms_as_the_operator_would(client, index, texts, near, op):
    expected = brute_force(texts, f"法律 {op} 服务")
    body = client.get("/api/search", query_string={"q": "法律 服务", "near": near}).get_json()
    assert body["total"] == len(expected) > 0
    page = client.get("/search", query_string={"q": "法律 服务", "near": near}).get_data(as_text=True)
    assert f'data-total="{len(expected)}"' in page
    assert f'<option value="{near}" selected>' in page


def test_scopes_differ_and_a_bad_scope_is_a_message(client):
    totals = [
        client.get("/api/search", query_string={"q": "依法 行政", "near": near}).get_json()["total"]
        for near in ("5", "s", "")
    ]
    assert totals[0] < totals[1] < totals[2]
    bad = client.get("/search", query_string={"q": "法律 服务", "near": "旁边"})
    assert bad.status_code == 400 and "范围“旁边”无法识别" in bad.get_data(as_text=True)


def test_the_command_line_takes_operators_and_a_scope(index_dir, index, texts, capsys):
    from indexer.cli import main

    expected = len(brute_force(texts, "依法 /s 行政"))
    assert main(["search", "依法 /s 行政", "--index", str(index_dir), "--all"]) == 0
    assert capsys.readouterr().out.startswith(f"{expected} paragraphs match")
    assert main(["search", "依法 行政", "--near", "s", "--index", str(index_dir), "--all"]) == 0
    assert capsys.readouterr().out.startswith(f"{expected} paragraphs match")
    assert main(["search", "依法 /0 行政", "--index", str(index_dir)]) == 2
    assert "distance must be from 1 to 200" in capsys.readouterr().err
