"""Reuse across the corpus: pairs of reports that share paragraphs, the direction by date, and
each report's share of text already written in earlier reports."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.engine.search import ReportIndex
from indexer.research.reuse import corpus_reuse, pairs_of


@pytest.fixture(scope="module")
def living(living_dir) -> ReportIndex:
    return ReportIndex.open(living_dir[1])


@pytest.fixture(scope="module")
def fresh(fresh_of_living) -> ReportIndex:
    return ReportIndex.open(fresh_of_living)


@pytest.fixture(scope="module")
def client(living_dir):
    from search_app import create_app

    return create_app({"INDEX_DIR": living_dir[1], "TESTING": True}).test_client()


def by_source(index: ReportIndex) -> dict:
    return {(p.later["source"], p.earlier["source"]): (p.shared, p.compared) for p in corpus_reuse(index).pairs}


def expected_pairs(index: ReportIndex) -> dict:
    """From each paragraph's own list: for every report, its paragraphs with a match in each other report."""
    when = {r["report_id"]: r.get("date") or f"{r.get('year')}-99" for r in index.reports}
    shared: dict = {}
    for report in index.reports:
        for n in range(report["paragraphs"]):
            pid = report["first_pid"] + n
            for other in {
                index.reports[int(index.columns["report"][q])]["report_id"] for q in index.similar.listed(pid)
            }:
                if when[other] <= when[report["report_id"]]:
                    shared.setdefault((report["report_id"], other), set()).add(pid)
    return shared


def when(report: dict) -> str:
    return report.get("date") or f"{report.get('year')}-99"


def test_the_copying_report_is_paired_with_each_report_it_shares_with_earlier_first(living, fresh):
    pairs = corpus_reuse(living).pairs
    assert {frozenset((p.later["source"], p.earlier["source"])) for p in pairs} == {
        frozenset(("copied.txt", name)) for name in SHARED_WITH
    }
    for p in pairs:
        assert when(p.earlier) <= when(p.later)
        assert p.same_date is (when(p.earlier) == when(p.later))
        assert 1 <= p.shared <= p.compared
    assert by_source(living) == by_source(fresh)  # an updated index pairs reports as a fresh build does


#: copied.txt is the fifth report with paragraphs of the first two written into it (conftest.copied_report).
SHARED_WITH = ("000_90e80c64c1df8a22.txt", "001_306774baeec4f768.txt", "004_820d76132354570c.txt")


def test_pairs_count_the_paragraphs_each_list_gives(living):
    expected = expected_pairs(living)
    got = {(p.later["report_id"], p.earlier["report_id"]): p.shared for p in corpus_reuse(living).pairs}
    assert got == {key: len(pids) for key, pids in expected.items() if key in got}
    assert got  # something to compare


def test_the_share_of_text_in_earlier_reports(living):
    reuse = corpus_reuse(living)
    lengths = living.texts.lengths()
    by_id = {r["report_id"]: r for r in living.reports}
    for report in living.reports:
        ids = np.arange(report["first_pid"], report["first_pid"] + report["paragraphs"])
        compared = ids[living.similar.compared(ids)]
        borrowed = [
            p
            for p in compared.tolist()
            if any(
                when(living.reports[int(living.columns["report"][q])]) < when(report) for q in living.similar.listed(p)
            )
        ]
        expected = lengths[borrowed].sum() / lengths[compared].sum() if len(compared) else 0.0
        assert reuse.shares[report["report_id"]] == pytest.approx(expected)
    assert sum(share > 0 for share in reuse.shares.values()) >= 2
    assert max(reuse.shares.values()) < 1 and set(reuse.shares) == set(by_id)


def test_the_reuse_pages_and_api(client, living):
    page = client.get("/reuse").get_data(as_text=True)
    pairs = corpus_reuse(living).pairs
    assert f'data-total="{len(pairs)}"' in page and len(pairs) == 3
    body = client.get("/api/reuse").get_json()
    assert body["total"] == 3
    assert all("copied.txt" in (p["later"]["source"], p["earlier"]["source"]) for p in body["pairs"])
    assert [p["share"] for p in body["pairs"]] == sorted((p["share"] for p in body["pairs"]), reverse=True)
    none = client.get("/api/reuse", query_string={"min_share": 100}).get_json()
    assert none["total"] == sum(p.share >= 1 for p in pairs)
    assert client.get("/api/reuse", query_string={"min_share": 101}).status_code == 400
    copied = next(r for r in living.reports if r["source"] == "copied.txt")
    report_page = client.get(f"/reports/{copied['report_id']}/reuse").get_data(as_text=True)
    assert 'id="pairs"' in report_page and "可能的来源（较早）" in report_page and "同日" in report_page
    assert len(pairs_of(corpus_reuse(living), copied["report_id"])) == 3
