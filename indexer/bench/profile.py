"""Where our query time goes: `python -m indexer.bench.profile --size N [--index DIR] [--query Q] [--cold]`.

Answers the benchmark's queries (same corpus, seed and query set as `python -m indexer.bench`)
with `ReportIndex.search` as the benchmark times it (top 10, exact total, facets; the cache of
recent answers cleared), timing each phase by wrapping the index's methods:

- match: finding the paragraphs (postings, bitmaps and verification), of which verify is
  reading candidate texts and checking the substring;
- filter: the filters over the matches;
- order: relevance ranking, of which word_scores is jieba on the terms, word postings and
  BM25 over every match, and occurrences is counting the terms in the best RERANK texts;
- hits: the top 10 read from Whoosh's stored fields;
- facets: counts per place level, year and section;
- other: the rest of `search` (Python glue, result objects).

Each query runs --repeat times and its median per phase is kept. Prints the phases at the
median query and averaged over the slowest 5%, and the slowest queries with their phases.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import pstats
import random
import sys
import time
from pathlib import Path

import numpy as np

from indexer.bench.corpus import generate, learn
from indexer.bench.run import make_queries
from indexer.engine.build import build_index
from indexer.engine.layout import current_generation
from indexer.engine.query import parse_query
from indexer.engine.search import Filters, ReportIndex

#: Bytes scanned before each query with --cold (more than the processor's caches hold).
COLD_BYTES = 64 << 20
PHASES = ("match", "verify", "filter", "order", "word_scores", "occurrences", "hits", "facets", "other")
#: Phases timed inside another (shown indented; not added to the total).
NESTED = {"verify": "match", "word_scores": "order", "occurrences": "order"}


class PhaseTimer:
    """Wraps methods so that each call adds its duration to the current query's phase."""

    def __init__(self):
        self.current: dict[str, float] = {}

    def wrap(self, owner, method: str, phase: str) -> None:
        original = getattr(owner, method)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.current[phase] = self.current.get(phase, 0.0) + time.perf_counter() - start

        setattr(owner, method, timed)


def instrument(index: ReportIndex) -> PhaseTimer:
    """Time the phases of index.search (see the module docstring)."""
    timer = PhaseTimer()
    from indexer.engine import ranking  # word_scores is a function of the ranking module

    segments = getattr(index.grams, "parts", [index.grams])  # an updated index verifies segment by segment
    for owner, method, phase in (
        (index, "match", "match"),
        *((segment, "verify", "verify") for segment in segments),
        (index, "select", "filter"),
        (index, "order", "order"),
        (ranking, "word_scores", "word_scores"),
        (index.grams, "occurrences", "occurrences"),
        (index, "hits", "hits"),
        (index, "facets", "facets"),
    ):
        timer.wrap(owner, method, phase)
    return timer


def profile_queries(
    index: ReportIndex, queries: list[tuple[str, Filters]], repeat: int = 3, cold: bool = False
) -> list[dict]:
    """Per query: its text, filters, total and the median seconds of each phase (and in all).

    With cold, a scan of COLD_BYTES precedes each run, so the processor's caches hold none of
    the index, as in `python -m indexer.bench`, where the other engines run between our queries.
    """
    timer = instrument(index)
    flush = np.ones(COLD_BYTES if cold else 0, np.uint8)
    rows = []
    for text, filters in queries:
        query = parse_query(text)
        runs = []
        for _ in range(repeat):
            index.grams.clear_cache()  # as the benchmark times it
            flush.sum()
            timer.current = {}
            start = time.perf_counter()
            result = index.search(query, filters, limit=10)
            total = time.perf_counter() - start
            phases = dict(timer.current)
            phases["other"] = total - sum(v for k, v in phases.items() if k not in NESTED)
            phases["total"] = total
            runs.append(phases)
        row = {k: float(np.median([r.get(k, 0.0) for r in runs])) for k in PHASES + ("total",)}
        rows.append({"text": text, "filters": filters, "matches": result.total, **row})
    return rows


def summary(rows: list[dict]) -> str:
    """The phases at the median query and over the slowest 5%, and the slowest queries."""
    totals = np.array([r["total"] for r in rows])
    median_row = rows[int(np.argsort(totals)[len(totals) // 2])]
    slow = [rows[i] for i in np.argsort(-totals)[: max(1, len(rows) // 20)]]
    lines = [
        f"{len(rows)} queries; total p50 {np.percentile(totals, 50) * 1e3:.2f} ms, "
        f"p95 {np.percentile(totals, 95) * 1e3:.2f} ms, max {totals.max() * 1e3:.2f} ms",
        "",
        "| phase | p50 of phase ms | median query ms (share) | slowest 5% mean ms (share) | all queries share |",
        "|---|---|---|---|---|",
    ]
    grand = sum(r["total"] for r in rows)
    slow_total = float(np.mean([r["total"] for r in slow]))
    for phase in PHASES:
        name = f"  {phase} (in {NESTED[phase]})" if phase in NESTED else phase
        p50 = np.percentile([r[phase] for r in rows], 50) * 1e3
        mine = median_row[phase] * 1e3
        slow_mean = float(np.mean([r[phase] for r in slow])) * 1e3
        share_all = sum(r[phase] for r in rows) / grand
        lines.append(
            f"| {name} | {p50:.2f} | {mine:.2f} ({mine / (median_row['total'] * 1e3):.0%}) | "
            f"{slow_mean:.2f} ({slow_mean / (slow_total * 1e3):.0%}) | {share_all:.0%} |"
        )
    lines.append(
        f"| total | {np.percentile(totals, 50) * 1e3:.2f} | {median_row['total'] * 1e3:.2f} | "
        f"{slow_total * 1e3:.2f} | 100% |"
    )
    lines += [
        "",
        f"median query: {median_row['text']!r} ({median_row['matches']:,} matches)",
        "",
        "slowest queries (ms): total = match (verify) + filter + order (word_scores, occurrences) "
        "+ hits + facets + other",
    ]
    for r in sorted(rows, key=lambda r: -r["total"])[:10]:
        f = {k: r[k] * 1e3 for k in PHASES + ("total",)}
        where = _filters_text(r["filters"])
        lines.append(
            f"  {r['text']!r}{where}: {r['matches']:,} matches, {f['total']:.1f} = "
            f"{f['match']:.1f} ({f['verify']:.1f}) + {f['filter']:.1f} + "
            f"{f['order']:.1f} ({f['word_scores']:.1f}, {f['occurrences']:.1f}) + {f['hits']:.1f} + "
            f"{f['facets']:.1f} + {f['other']:.1f}"
        )
    return "\n".join(lines)


def _filters_text(filters: Filters) -> str:
    parts = []
    if filters.year_from is not None or filters.year_to is not None:
        parts.append(f"years {filters.year_from}-{filters.year_to}")
    if filters.sections:
        parts.append("section " + ",".join(filters.sections))
    if filters.townships:
        parts.append("township " + ",".join(filters.townships))
    return f" [{'; '.join(parts)}]" if parts else ""


def floor_ms(index: ReportIndex, repeat: int = 50) -> float:
    """Median time of a search for a term in no paragraph: the fixed cost of a query."""
    query = parse_query("\u9fa4\u9fa5\u9fa3")  # rare CJK characters that the generated corpus never holds
    samples = []
    for _ in range(repeat):
        index.grams.clear_cache()
        start = time.perf_counter()
        index.search(query, Filters(), limit=10)
        samples.append(time.perf_counter() - start)
    return float(np.median(samples)) * 1e3


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m indexer.bench.profile",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--size", type=int, default=100_000, help="paragraphs to generate (as the benchmark)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--index",
        type=Path,
        default=None,
        help="an index already built from this size and seed (e.g. the benchmark's "
        "data/bench/work/index); built into data/bench/profile when not given",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per query; the median is kept")
    parser.add_argument(
        "--query", action="append", default=[], help="profile this query instead of the benchmark's (repeatable)"
    )
    parser.add_argument("--cprofile", action="store_true", help="also print cProfile's top functions")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="flush the processor's caches before each query, as the benchmark's race does",
    )
    args = parser.parse_args(argv)
    reports = generate(learn(Path(__file__).resolve().parents[2] / "data" / "reports"), args.size, seed=args.seed)
    texts = [p.text for r in reports for p in r.paragraphs]
    generation = current_generation(args.index) if args.index else None
    if generation is None:
        print("building the index ...", file=sys.stderr)
        generation = build_index(reports, args.index or Path("data/bench/profile"))
    index = ReportIndex(generation, warm=False)
    if len(index) != len(texts):
        parser.error(f"{generation} holds {len(index)} paragraphs, not the {len(texts)} generated")
    index.warm()
    queries = make_queries(texts, random.Random(args.seed * 7919 + args.size))
    if args.query:
        queries = [(text, Filters()) for text in args.query]
    for text, filters in queries[:5]:  # warm up, as the benchmark does
        index.search(parse_query(text), filters, limit=10)
    print(f"fixed cost (a term in no paragraph): {floor_ms(index):.2f} ms")
    print(summary(profile_queries(index, queries, args.repeat, args.cold)))
    if args.cprofile:
        profiler = cProfile.Profile()
        profiler.enable()
        for text, filters in queries:
            index.grams.clear_cache()
            index.search(parse_query(text), filters, limit=10)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
