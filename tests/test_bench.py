"""The benchmark at 10,000 paragraphs, for correctness only: all three engines agree on every query."""

from pathlib import Path

from indexer.bench.corpus import generate, learn
from indexer.bench.run import format_table, make_queries, run
from tests.conftest import REPORTS


def test_generated_corpus_is_deterministic_and_tagged():
    model = learn(REPORTS)
    a, b = generate(model, 2000, seed=5), generate(model, 2000, seed=5)
    assert [p.text for r in a for p in r.paragraphs] == [p.text for r in b for p in r.paragraphs]
    assert sum(len(r.paragraphs) for r in a) == 2000
    assert {r.year for r in a} <= set(range(2019, 2026))
    assert all(r.township and r.township[-1] in "乡镇" for r in a)


def test_query_set_mixes_substrings_terms_and_filters():
    import random
    texts = [p.text for r in generate(learn(REPORTS), 1000, seed=2) for p in r.paragraphs]
    queries = make_queries(texts, random.Random(3))
    assert len(queries) == 100
    assert any(" OR " in q for q, _ in queries) and any(f.year_from for _, f in queries)
    assert any(f.sections for _, f in queries)


def test_engines_agree_at_10k(tmp_path: Path):
    results = run(10_000, seed=11, workdir=tmp_path / "bench", timing=False)
    assert results["agreement_problems"] == []
    assert results["size"] == 10_000
    assert set(results["engines"]) == {"ours", "brute force", "sqlite fts5"}
    assert "identical" in format_table(results)
