"""The benchmark: a deterministic corpus, and every engine (ours, SQLite FTS5, Tantivy) agreeing with brute force."""

import random
from pathlib import Path

import numpy as np
import pytest

from indexer.bench.corpus import generate, learn
from indexer.bench.engines import BruteForce, OurEngine, TantivyEngine, TantivyFacets
from indexer.bench.run import check_agreement, format_table, make_queries, run, time_engines
from indexer.engine.build import build_index
from indexer.engine.query import parse_query
from indexer.engine.search import Filters
from indexer.text.normalize import normalize
from tests.conftest import REPORTS


def test_generated_corpus_is_deterministic_and_tagged():
    model = learn(REPORTS)
    a, b = generate(model, 2000, seed=5), generate(model, 2000, seed=5)
    assert [p.text for r in a for p in r.paragraphs] == [p.text for r in b for p in r.paragraphs]
    assert sum(len(r.paragraphs) for r in a) == 2000
    assert {r.year for r in a} <= set(range(2019, 2026))
    assert all(r.township and r.township[-1] in "乡镇" for r in a)


def test_query_set_mixes_substrings_terms_and_filters():
    texts = [p.text for r in generate(learn(REPORTS), 1000, seed=2) for p in r.paragraphs]
    queries = make_queries(texts, random.Random(3))
    assert len(queries) == 100
    assert any(" OR " in q for q, _ in queries) and any(f.year_from for _, f in queries)
    assert any(f.sections for _, f in queries)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Ours, brute force and Tantivy over one generated corpus of 2,000 paragraphs."""
    work = tmp_path_factory.mktemp("bench-small")
    reports = generate(learn(REPORTS), 2000, seed=7)
    ours = OurEngine(build_index(reports, work / "index"))
    texts = [normalize(p.text) for r in reports for p in r.paragraphs]
    index = ours.index
    brute = BruteForce(texts, index.columns, index.townships)
    tantivy = TantivyEngine(work / "tantivy", texts, index.columns, index.townships)
    return {"ours": ours, "brute": brute, "tantivy": tantivy, "texts": texts}


QUERIES = [
    ("法", {}),  # one character: a term query
    ("法治", {}),  # a phrase of two characters
    ("法治政府建设", {}),  # a long common phrase
    ("普法 宣传", {}),  # AND
    ("调解 OR 依法行政", {}),  # OR
    ("法治 -执法", {}),  # NOT
    ("普法 宣传 -法律明白人", {}),
    ("法治", {"year_from": 2021, "year_to": 2023}),
    ("法治", {"year_from": 2024}),
    ("宣传", {"sections": ("problems", "plans")}),
    ("法治", {"townships": "first"}),
    ("法治", {"townships": ("没有这个乡",)}),  # an unknown township matches nothing
    ("没有的词语", {}),  # nothing
]


def _filters(small, spec: dict) -> Filters:
    if spec.get("townships") == "first":
        spec = {**spec, "townships": (small["ours"].index.townships[0],)}
    return Filters(**spec)


@pytest.mark.parametrize("text, spec", QUERIES)
def test_tantivy_finds_exactly_what_brute_force_finds(small, text, spec):
    query, filters = parse_query(text), _filters(small, spec)
    expected = small["brute"].all(query, filters)
    assert small["tantivy"].all(query, filters) == expected
    total, top, _ = small["tantivy"].top(query, filters)
    assert total == len(expected)
    assert set(top) <= set(expected) and len(top) == min(10, len(expected))


def test_a_repeated_character_is_a_phrase_not_a_set(tmp_path: Path):
    """法法 must be two 法 in a row, which a bag of characters would not check."""
    texts = ["法法治", "法治法", "普法"]
    columns = {k: np.zeros(3, np.int32) for k in ("year", "section", "township")}
    engine = TantivyEngine(tmp_path / "tantivy", texts, columns, ["某乡"])
    assert engine.all(parse_query("法法"), Filters()) == [0]
    assert engine.all(parse_query("治法"), Filters()) == [1]


@pytest.mark.parametrize("text, spec", QUERIES)
def test_tantivy_facets_count_as_ours(small, text, spec):
    """Each facet counts the matches without its own filter, in ours and in Tantivy's aggregations."""
    query, filters = parse_query(text), _filters(small, spec)
    _, _, ours = small["ours"].top(query, filters)
    _, _, theirs = TantivyFacets(small["tantivy"]).top(query, filters)
    index = small["ours"].index
    assert {k: v for k, v in theirs.items() if v} == {
        k: v
        for k, v in {
            "township": {index.township_code[f["value"]]: f["count"] for f in ours["township"]},
            "year": {(f["value"] or 0): f["count"] for f in ours["year"]},
            "section": {index.section_keys.index(f["value"]): f["count"] for f in ours["section"]},
        }.items()
        if v
    }


def test_a_tantivy_answer_that_differs_is_reported(small):
    queries = [(t, _filters(small, s)) for t, s in QUERIES]
    engines = [small["ours"], small["brute"], small["tantivy"]]
    answers = {}
    for mode in ("top", "all"):
        for name, (_, got) in time_engines(engines, queries, mode).items():
            answers[(name, mode)] = got
    assert check_agreement(queries, answers, small["ours"].index) == []
    answers[("tantivy", "all")][1] = answers[("tantivy", "all")][1][1:]
    problems = check_agreement(queries, answers, small["ours"].index)
    assert len(problems) == 1 and "tantivy" in problems[0] and "'法治'" in problems[0]


def test_engines_agree_at_10k(tmp_path: Path):
    results = run(10_000, seed=11, workdir=tmp_path / "bench", timing=False)
    assert results["agreement_problems"] == []
    assert results["size"] == 10_000
    assert set(results["engines"]) == {"ours", "brute force", "sqlite fts5", "tantivy", "tantivy + facets"}
    assert results["engines"]["tantivy"]["index_mb"] > 0
    assert set(results["paging"]) == {"ours", "tantivy"}
    assert all(row[page]["p50"] > 0 for row in results["paging"].values() for page in ("page1", "page20"))
    assert "identical" in format_table(results)
    assert "page 20" in format_table(results)


@pytest.mark.parametrize("cold", [False, True], ids=["warm", "caches flushed"])
def test_profile_times_every_phase_of_a_search(index_dir, cold):
    from indexer.bench.profile import NESTED, PHASES, profile_queries, summary
    from indexer.engine.search import ReportIndex

    index = ReportIndex.open(index_dir)  # its own: the profiler wraps the index's methods
    # longer than any stored phrase (phrases.MAX_LENGTH), so its candidates are checked
    long_term = "法治政府建设情况的报告"
    rows = profile_queries(index, [("法治", Filters()), (long_term, Filters(year_from=2022))], repeat=2, cold=cold)
    assert [r["matches"] for r in rows] == [
        index.search(parse_query(q), f).total for q, f in (("法治", Filters()), (long_term, Filters(year_from=2022)))
    ]
    for row in rows:
        assert all(row[p] > 0 for p in ("match", "filter", "order", "word_scores", "occurrences", "hits", "facets"))
        assert sum(row[p] for p in PHASES if p not in NESTED) == pytest.approx(row["total"], rel=0.05)
        assert row["verify"] <= row["match"] and row["word_scores"] + row["occurrences"] <= row["order"]
    assert rows[0]["verify"] == 0 and rows[1]["verify"] > 0  # two characters are exact; eleven are checked
    assert rows[1]["matches"] > 0
    assert "slowest queries" in summary(rows)


def test_build_cost_builds_from_files_then_updates_each_way(tmp_path: Path):
    from indexer.bench import build_cost

    results = build_cost.run(3000, 2, tmp_path)
    assert results["size"] == 3000 and results["build_s"] > 0 and results["peak_mb"] > 0
    lines = {name: u["line"] for name, u in results["updates"].items()}
    assert lines["add"].startswith("updated: 1 added, 0 replaced, 0 removed")
    assert lines["change"].startswith("updated: 0 added, 1 replaced, 0 removed")
    assert lines["remove"].startswith("updated: 0 added, 0 replaced, 1 removed")
    assert results["index_mb"] > 0


def test_the_timed_probe_serves_the_queries_once_warm(index_dir):
    """The scale run's probe opens the index as the server does, in a fresh process."""
    from indexer.bench.run import probe_server
    from indexer.engine.layout import current_generation
    from indexer.engine.search import Filters

    queries = [("法治", Filters()), ("调解", Filters(year_from=2020, year_to=2024)), ("无此词语", Filters())]
    served = probe_server(current_generation(index_dir), queries, timed=True)
    assert 0 < served["first_query_s"] <= served["warm_s"]
    assert 0 < served["top10"]["p50"] <= served["top10"]["p95"] <= served["top10"]["max"]
    assert served["peak_rss_mb"] > 50
