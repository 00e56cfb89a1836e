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
import random
import sys
from pathlib import Path

from indexer.bench.build_cost import run as build_and_update
from indexer.bench.corpus import generate, learn
from indexer.bench.run import make_queries, probe_server, write_results
from indexer.engine.layout import current_generation

ROOT = Path(__file__).resolve().parents[2]


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
    results["serve"] = probe_server(current_generation(args.workdir / "index"), queries, timed=True)
    print(f"serve: {results['serve']}", file=sys.stderr)
    write_results("scale", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
