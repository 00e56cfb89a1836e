"""Exact search over the real reports: complete recall, no false hits, filters, facets, ranking."""

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from indexer.documents.levels import LEVELS
from indexer.engine.query import parse_query
from indexer.engine.search import Filters
from indexer.text.normalize import normalize
from tests.conftest import brute_force, live_texts


@pytest.fixture(scope="module")
def texts(index) -> dict[int, str]:
    return live_texts(index)


def found(index, text, filters=Filters()):
    return sorted(h.pid for h in index.search(parse_query(text), filters, limit=None).hits)


@pytest.mark.parametrize(
    "text, count, townships",
    [
        ("法律明白人", 3, {"国宝乡", "熊背乡", "青山乡"}),
        ("律顾", None, None),
        ("执法队", None, None),
        ("血桃", 1, {"熊背乡"}),
        ("八五普法", None, None),
        ("实施纲要（2021-2025年）", 4, None),
        ("12345", 1, {"国宝乡"}),
    ],
)
def test_known_queries_match_a_brute_force_scan(index, texts, text, count, townships):
    hits = index.search(parse_query(text), limit=None).hits
    assert sorted(h.pid for h in hits) == brute_force(texts, text)
    if count is not None:
        assert len(hits) == count
    if townships is not None:
        assert {h.township for h in hits} == townships


def test_jieba_phrase_search_would_miss_what_we_find(index, texts):
    # The reason n-grams do the matching: a cut across words must still be found.
    for text in ("律顾", "执法队", "血桃", "明白"):
        assert found(index, text) == brute_force(texts, text) != []


def test_every_paragraph_is_found_by_random_substrings_of_it(index, texts):
    rng = random.Random(20261122)
    for _ in range(400):
        pid = rng.choice(list(texts))
        text = texts[pid]
        size = rng.randint(1, 12)
        start = rng.randrange(max(1, len(text) - size))
        needle = text[start : start + size]
        if not normalize(needle) or any(c.isspace() or c == '"' for c in needle) or needle.startswith("-"):
            continue
        result = found(index, needle)
        assert pid in result
        assert result == brute_force(texts, needle)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_property_substrings_are_always_found_and_hits_contain_them(index, texts, data):
    pid = data.draw(st.sampled_from(sorted(texts)))
    text = texts[pid]
    start = data.draw(st.integers(0, max(0, len(text) - 1)))
    needle = text[start : start + data.draw(st.integers(1, 10))]
    needle = "".join(c for c in needle if not c.isspace() and c != '"').lstrip("-")
    assume(normalize(needle) and needle != "OR")
    result = found(index, needle)
    assert pid in result
    for hit in result:
        assert normalize(needle) in normalize(texts[hit])


def test_all_terms_must_occur(index, texts):
    both = set(brute_force(texts, "法律明白人")) & set(brute_force(texts, "调解员"))
    assert set(found(index, "法律明白人 调解员")) == both != set()


def test_or_matches_either(index, texts):
    either = set(brute_force(texts, "血桃")) | set(brute_force(texts, "枫桥经验"))
    assert set(found(index, "血桃 OR 枫桥经验")) == either
    assert len(either) == 2


def test_minus_excludes(index, texts):
    expected = set(brute_force(texts, "法律明白人")) - set(brute_force(texts, "调解员"))
    assert set(found(index, "法律明白人 -调解员")) == expected
    assert len(expected) == 2


@pytest.mark.parametrize("text", ["*", "AND", ":", "-", '"', "OR", "法治 AND", "NOT 法治", "法治*", "'; DROP TABLE"])
def test_strange_queries_never_raise(index, texts, text):
    result = index.search(parse_query(text), limit=None)
    assert all(all(t in normalize(h.text) for t in result.query.terms) for h in result.hits)


def test_filters_narrow_by_year_township_and_section(index):
    q = parse_query("法治")
    everything = index.search(q, limit=None).hits
    by_year = index.search(q, Filters(year_from=2023, year_to=2023), limit=None).hits
    assert {h.year for h in by_year} == {2023}
    assert len(by_year) == sum(h.year == 2023 for h in everything)
    two = index.search(q, Filters(townships=("东和乡", "青山乡")), limit=None).hits
    assert {h.township for h in two} == {"东和乡", "青山乡"}
    plans = index.search(q, Filters(sections=("plans",)), limit=None).hits
    assert plans and {h.section for h in plans} == {"plans"}
    assert len(plans) == sum(h.section == "plans" for h in everything)


def test_facets_count_the_matches(index):
    result = index.search(parse_query("法律明白人"))
    # places are keyed by their division code and shown by their names
    townships = result.facets["township"]
    assert {f["value"]: f["count"] for f in townships} == {"350526206": 1, "410423203": 1, "640323202": 1}
    assert [f["label"] for f in townships] == ["国宝乡", "熊背乡", "青山乡"]  # ties in code order
    assert {f["value"]: f["count"] for f in result.facets["year"]} == {2023: 2, 2022: 1}
    filtered = index.search(parse_query("法律明白人"), Filters(year_from=2023, year_to=2023))
    assert filtered.total == 2
    # A facet leaves out its own filter, so other years stay visible to switch to.
    assert {f["value"] for f in filtered.facets["year"]} == {2022, 2023}
    assert sum(f["count"] for f in filtered.facets["township"]) == 2


def test_whole_word_matches_rank_above_matches_inside_words(index):
    hits = index.search(parse_query("法治"), limit=None).hits
    whole = [h for h in hits if "法治" in index.segmenter.words(normalize(h.text))]
    inside = [h for h in hits if h not in whole]
    assert whole and inside
    assert min(h.score for h in whole) > max(h.score for h in inside)


def test_sorts(index):
    q = parse_query("法治")
    newest = [h.year for h in index.search(q, sort="newest", limit=None).hits]
    assert newest == sorted(newest, reverse=True)
    oldest = [h.year for h in index.search(q, sort="oldest", limit=None).hits]
    assert oldest == sorted(oldest)
    towns = [h.township_code for h in index.search(q, sort="township", limit=None).hits]
    assert towns == sorted(towns)  # by division code, not by name


def test_paging_gives_the_exact_total_and_disjoint_pages(index):
    q = parse_query("法治")
    first = index.search(q, limit=10)
    second = index.search(q, offset=10, limit=10)
    assert first.total == second.total == index.search(q, limit=None).total
    assert not {h.pid for h in first.hits} & {h.pid for h in second.hits}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_property_boolean_queries_equal_a_scan(index, texts, data):
    """AND of OR-groups minus excluded terms, with random substrings, against a plain scan."""

    def substring():
        text = texts[data.draw(st.sampled_from(sorted(texts)))]
        start = data.draw(st.integers(0, max(0, len(text) - 1)))
        raw = text[start : start + data.draw(st.integers(1, 6))]
        return normalize(raw)

    groups = [
        [t for t in (substring() for _ in range(data.draw(st.integers(1, 2)))) if t]
        for _ in range(data.draw(st.integers(1, 3)))
    ]
    groups = [g for g in groups if g]
    excluded = [t for t in (substring() for _ in range(data.draw(st.integers(0, 1)))) if t]
    assume(groups)
    text = " ".join(" OR ".join(f'"{t}"' for t in g) for g in groups) + "".join(f' -"{t}"' for t in excluded)
    norm = {pid: normalize(t) for pid, t in texts.items()}
    expected = [
        i
        for i, t in norm.items()
        if all(any(term in t for term in g) for g in groups) and not any(e in t for e in excluded)
    ]
    assert found(index, text) == expected


def _reference_facets(index, ids, filters):
    """Facet counts the plain way: mask each paragraph, count its own column value."""
    out = {}
    for name in ("level", "province", "prefecture", "county", "township", "year", "section"):
        sub = ids[index.filter_mask(ids, filters, skip=name)]
        counts = np.bincount(index.columns[name][sub]) if len(sub) else np.zeros(0, int)
        out[name] = {int(v): int(counts[v]) for v in np.flatnonzero(counts)}
    return out


@pytest.mark.parametrize("q", ["法治", "镇", "调解 OR 普法", "年"])
@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(year_from=2023, year_to=2023),
        Filters(sections=("measures",)),
        Filters(provinces=("湖南省",)),
        Filters(year_from=2022, sections=("problems", "plans")),
    ],
)
@pytest.mark.parametrize("per_report_min", [0, 10**9], ids=["per-report", "per-paragraph"])
def test_facets_counted_either_way_equal_counting_each_paragraph(
    openings_index, q, filters, per_report_min, monkeypatch
):
    monkeypatch.setattr("indexer.engine.facet_counts.PER_REPORT_MIN", per_report_min)
    index = openings_index
    ids = index.select(parse_query(q))
    facets = index.facets(ids, filters)
    reference = _reference_facets(index, ids, filters)
    for name, counts in reference.items():
        got = facets[name]
        if name == "year":
            assert {(f["value"] or 0): f["count"] for f in got} == counts
        elif name == "section":
            assert {index.section_keys.index(f["value"]): f["count"] for f in got} == counts
        elif name == "level":
            assert {LEVELS.index(f["value"]): f["count"] for f in got} == counts
        else:
            assert {index.places.find(name, f["value"])[0]: f["count"] for f in got} == counts
            # most first, then in the order of the values, which is division-code order
            assert index.values[name] == sorted(index.values[name])
            assert got == sorted(got, key=lambda f: (-f["count"], index.places.find(name, f["value"])[0]))
    assert [f["value"] for f in facets["year"]] == sorted(
        (f["value"] for f in facets["year"]), key=lambda y: y or 0, reverse=True
    )
