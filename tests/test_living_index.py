"""An index that updates have made (several segments, removed paragraphs) serves every page a user
reaches, and finds what a fresh full build of the same folder finds."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.engine import parts
from indexer.engine.query import parse_query
from indexer.engine.search import ReportIndex

QUERIES = ["法治", "法", "法律明白人", "法制", "村居法律顾问实现全覆盖", "调解 OR 普法", "依法 -行政", "的"]


def test_the_updated_index_has_several_segments_and_removed_paragraphs(living):
    assert len(living.meta.segments) == 4
    assert not living.live.all()


def test_both_shapes_implement_the_parts_interfaces(living, fresh):
    for index in (living, fresh):
        assert isinstance(index.texts, parts.Texts)
        assert isinstance(index.grams, parts.Grams)
        assert isinstance(index.words, parts.Words)
        assert isinstance(index.similar, parts.SimilarLists)
        everyone = np.arange(len(index))
        assert index.texts.lengths().tolist() == [len(t) for t in index.texts.many(everyone)]
        counts = index.similar.counts_of(everyone)
        assert counts.tolist() == [len(index.similar.listed(pid)) for pid in everyone.tolist()]
        assert counts[:10].tolist() == index.similar.counts(0, 10).tolist()
        assert len(index.similar.compared(everyone)) == len(index.similar.more(everyone)) == index.similar.size()


def report_urls(report_id: str, paragraphs: int) -> list[str]:
    last = paragraphs
    return [
        f"/reports/{report_id}",
        f"/reports/{report_id}?q=法治",
        f"/reports/{report_id}/reuse",
        f"/reports/{report_id}/source",
        f"/api/reports/{report_id}",
        f"/similar/{report_id}/1",
        f"/similar/{report_id}/{last}",
        f"/api/similar/{report_id}/{last}",
        f"/keyterms?report={report_id}",
        f"/api/keyterms?report={report_id}",
    ]


SITE = [
    "/reports",
    "/api/reports",
    "/search?q=法治",
    "/search?q=法&sort=newest&page=2",
    "/api/search?q=法律明白人",
    "/export.csv?q=法治",
    "/export.json?q=法治",
    "/compare?q=法治",
    "/trends?q=法治",
    "/api/trends?q=法治",
    "/trends.csv?q=法治",
    "/concordance?q=法治",
    "/api/concordance?q=法治",
    "/concordance.csv?q=法治",
]


def test_every_page_of_an_updated_index_answers(living, living_client):
    urls = SITE + [url for r in living.reports for url in report_urls(r["report_id"], r["paragraphs"])]
    failed = [(url, status) for url in urls if (status := living_client.get(url).status_code) != 200]
    assert failed == []
    assert len(urls) > 60


def test_the_report_page_of_a_report_an_update_added_shows_its_paragraphs(living, living_client):
    again = next(r for r in living.reports if r["source"] == "third-again.txt")
    assert again["first_pid"] >= living.meta.segments[0].paragraphs  # in a later segment
    page = living_client.get(f"/reports/{again['report_id']}").get_data(as_text=True)
    for hit in living.report_paragraphs(again, 0, 5):
        assert hit.text[:20] in page


def key(index: ReportIndex, pids) -> list[tuple[str, int]]:
    return [(h.source, h.paragraph) for h in index.hits(list(pids))]


@pytest.mark.parametrize("text", QUERIES)
def test_an_updated_index_finds_what_a_fresh_build_finds(living, fresh, text):
    query = parse_query(text)
    found, expected = key(living, living.select(query)), key(fresh, fresh.select(query))
    assert sorted(found) == sorted(expected)
    assert expected


def test_removed_and_replaced_text_is_gone_and_new_text_is_found(living):
    assert len(living.select(parse_query("村居法律顾问实现全覆盖"))) == 1
    sources = {r["source"] for r in living.reports}
    assert "third-again.txt" in sources
    assert not any(h.source.startswith("002_") for h in living.hits(living.select(parse_query("法")).tolist()))


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest", "township"])
@pytest.mark.parametrize("text", QUERIES)
def test_an_updated_index_ranks_as_a_fresh_build_does(living, fresh, text, sort):
    query = parse_query(text)
    got = living.search(query, sort=sort, limit=None, facets=False).hits
    want = fresh.search(query, sort=sort, limit=None, facets=False).hits
    assert [(h.source, h.paragraph) for h in got] == [(h.source, h.paragraph) for h in want]
    assert [h.score for h in got] == pytest.approx([h.score for h in want], abs=1e-9)


@pytest.mark.parametrize("size", [2, 4, 5, 40, 120])  # a few ids are sorted, many are marked: both ways
def test_ids_in_path_order_follow_file_then_paragraph(living, size):
    rng = np.random.default_rng(size)
    live = np.flatnonzero(living.live).astype(np.int32)
    ids = np.sort(rng.choice(live, size, replace=False))
    ordered = living.in_path_order(ids)
    assert ordered.dtype == ids.dtype
    expected = sorted(living.hits(ids.tolist()), key=lambda h: (h.source.split("/"), h.paragraph))
    assert ordered.tolist() == [h.pid for h in expected]


def test_an_updated_index_lists_the_similar_paragraphs_a_fresh_build_lists(living, fresh):
    from tests.test_update import similar_lists

    expected = similar_lists(fresh)
    assert sum(map(len, expected.values())) >= 8
    assert similar_lists(living) == expected


def test_similar_lists_of_an_updated_index_are_a_fresh_builds(living, fresh, living_client, fresh_of_living):
    from search_app import create_app

    fresh_client = create_app({"INDEX_DIR": fresh_of_living, "TESTING": True}).test_client()
    for report in living.reports:
        other = next(r for r in fresh.reports if r["source"] == report["source"])
        for url in (f"/api/similar/{{}}/{n}" for n in range(1, report["paragraphs"] + 1, 3)):
            got = living_client.get(url.format(report["report_id"])).get_json()
            want = fresh_client.get(url.format(other["report_id"])).get_json()
            assert [(m["report_id"], m["paragraph"]) for m in got["similar"]] == [
                (m["report_id"], m["paragraph"]) for m in want["similar"]
            ]
