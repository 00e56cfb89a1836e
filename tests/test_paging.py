"""Paging is a slice of one total order: page N of size S is items [(N-1)S, NS) of the export,
for every sort and page size, so every hit is shown exactly once and the top hits never
depend on how many are asked for."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from indexer.engine.filters import Filters
from indexer.engine.query import parse_query
from indexer.engine.ranking import RERANK, SORTS

#: Terms that match hundreds of the generated corpus's 1,600 paragraphs (checked below), and a few that match fewer.
COMMON = ["法", "法治", "工作", "的", "建设 OR 依法", "治 -法治", "政府", "开展", "。"]


def walk(index, query, sort: str, size: int, filters: Filters = Filters()) -> tuple[list[int], list[float]]:
    """Every page of a search at one page size, joined: (ids, scores)."""
    ids, scores, offset = [], [], 0
    while True:
        result = index.search(query, filters, sort=sort, offset=offset, limit=size, facets=False)
        ids += [h.pid for h in result.hits]
        scores += [h.score for h in result.hits]
        offset += size
        if offset >= result.total:
            return ids, scores


def whole_order(index, query, sort: str, filters: Filters = Filters()) -> tuple[list[int], list[float]]:
    """The order the export gives (every hit at once)."""
    ids = index.select(query, filters)
    ordered, scores = index.order(ids, sort, query)
    return ordered.tolist(), scores.tolist()


def test_the_common_terms_match_more_than_are_counted_for_ranking(many_index):
    totals = [len(many_index.select(parse_query(t))) for t in COMMON]
    assert sum(total > RERANK for total in totals) >= 5, totals


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    term=st.sampled_from(COMMON),
    sort=st.sampled_from(sorted(SORTS)),
    size=st.integers(1, 100),
    whole=st.booleans(),
)
def test_every_hit_shows_once_in_the_export_order_at_any_page_size(many_index, term, sort, size, whole):
    query = parse_query(term, whole_words=whole)
    expected_ids, expected_scores = whole_order(many_index, query, sort)
    ids, scores = walk(many_index, query, sort, size)
    assert ids == expected_ids
    assert len(set(ids)) == len(ids)
    assert scores == pytest.approx(expected_scores)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), size=st.integers(1, 100))
def test_paging_a_random_substring_with_filters_is_a_slice_of_the_export(many_index, data, size):
    pid = data.draw(st.integers(0, len(many_index) - 1), label="paragraph")
    text = many_index.hits([pid])[0].text
    start = data.draw(st.integers(0, max(len(text) - 1, 0)), label="start")
    term = text[start : start + data.draw(st.integers(1, 2), label="length")]
    years = sorted({y for y in many_index.columns["year"].tolist() if y})
    year = data.draw(st.sampled_from([None, *years]), label="year")
    filters = Filters(year_from=year, year_to=year) if year else Filters()
    query = parse_query(term)
    assume(query.groups)  # not only ignored punctuation
    ids, _ = walk(many_index, query, "relevance", size, filters)
    assert ids == whole_order(many_index, query, "relevance", filters)[0]


@pytest.mark.parametrize("term", ["法", "法治", "工作"])
def test_the_top_hits_do_not_change_with_the_page_size(many_index, term):
    query = parse_query(term)
    first = [h.pid for h in many_index.search(query, limit=100, facets=False).hits]
    for size in (1, 7, 10, 20, 50, 99):
        assert [h.pid for h in many_index.search(query, limit=size, facets=False).hits] == first[:size]
    deep = many_index.search(query, offset=RERANK - 5, limit=20, facets=False).hits
    assert [h.pid for h in deep] == whole_order(many_index, query, "relevance")[0][RERANK - 5 : RERANK + 15]


@pytest.mark.parametrize("term, size", [("法", 7), ("法治", 20), ("工作", 50), ("的", 100)])
@pytest.mark.parametrize("sort", ["relevance", "newest", "township"])
def test_paging_the_api_shows_each_hit_of_the_export_once_in_its_order(many_client, term, size, sort):
    export = many_client.get("/export.json", query_string={"q": term, "sort": sort}).get_json()
    expected = [(row["report_id"], row["paragraph"]) for row in export]
    assert len(expected) > RERANK
    shown, page = [], 1
    while len(shown) < len(expected):
        body = many_client.get(
            "/api/search", query_string={"q": term, "sort": sort, "per_page": size, "page": page}
        ).get_json()
        assert body["total"] == len(expected)
        assert body["hits"], f"page {page} is empty before every hit was shown"
        shown += [(hit["report_id"], hit["paragraph"]) for hit in body["hits"]]
        page += 1
    assert shown == expected
