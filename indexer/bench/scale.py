"""The largest corpus this machine serves: `python -m indexer.bench.scale --size 3000000`.

Everything a user would do, at one size: the benchmark's generated corpus written as
report files, `python -m indexer build` run on them (wall time, paragraphs per second,
peak memory of the build's processes, index size) and three one-report updates
(build_cost.py). Then, in a fresh process, the index is opened as the server opens it:
time to the first answer, then the benchmark's queries (run.py's query set; top 10,
exact total and facets, the cache of recent answers cleared) once the background
warm-up is done: p50, p95 and max, and the process's peak resident memory.

Results go to data/bench/scale-N.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import time
from pathlib import Path

from indexer.bench.build_cost import run as build_and_update
from indexer.bench.corpus import generate, learn
from indexer.bench.run import make_queries, percentiles
from indexer.engine.layout import current_generation
from indexer.engine.query import parse_query
from indexer.engine.search import Filters, ReportIndex

ROOT = Path(__file__).resolve().parents[2]


def _serve(generation: str, queries: list, conn) -> None:
    """In a fresh process: open as the server does, answer the first query, wait for the warm-up, time all."""
    start = time.perf_counter()
    index = ReportIndex(Path(generation))
    text, filters = queries[0]
    index.search(parse_query(text), Filters(**filters))
    first = time.perf_counter() - start
    index.warmed.wait()
    warm = time.perf_counter() - start
    samples = []
    for text, filters in queries:
        index.grams.clear_cache()
        t0 = time.perf_counter()
        index.search(parse_query(text), Filters(**filters))
        samples.append(time.perf_counter() - t0)
    with open("/proc/self/status") as fh:
        peak_kb = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM"))
    conn.send({"first_query_s": first, "warm_s": warm, "top10": percentiles(samples), "peak_rss_mb": peak_kb / 1024})
    conn.close()


def serve_probe(generation: Path, queries) -> dict:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    plain = [
        (t, {"townships": f.townships, "year_from": f.year_from, "year_to": f.year_to, "sections": f.sections})
        for t, f in queries
    ]
    proc = ctx.Process(target=_serve, args=(str(generation), plain, child))
    proc.start()
    child.close()
    try:
        return parent.recv()
    finally:
        proc.join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer.bench.scale", description=__doc__)
    parser.add_argument("--size", type=int, default=3_000_000, help="paragraphs to generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("data/bench/scale"))
    parser.add_argument("--data", type=Path, default=None, help="an existing folder of the generated corpus's files")
    args = parser.parse_args(argv)
    results = build_and_update(args.size, args.seed, args.workdir, args.data)
    texts = [
        p.text for r in generate(learn(ROOT / "data" / "reports"), args.size, seed=args.seed) for p in r.paragraphs
    ]
    queries = make_queries(texts, random.Random(args.seed * 7919 + args.size))  # as the benchmark's
    del texts
    results["serve"] = serve_probe(current_generation(args.workdir / "index"), queries)
    print(f"serve: {results['serve']}", file=sys.stderr)
    out = Path("data/bench") / f"scale-{results['size']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
