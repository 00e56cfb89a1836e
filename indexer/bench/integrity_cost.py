"""What the checksums cost: `python -m indexer.bench.integrity_cost --size N [--index DIR]`.

On the benchmark's generated corpus (built into data/bench/integrity when no index is given):
- record: checksumming every file of the generation, as a full build does at its end;
- open: ReportIndex(..., warm=False), with the checks (meta.json's own, every file's size, the
  files read whole at open) and without them;
- first query: the first query after opening, then the benchmark's first queries each once
  (every block and Whoosh chunk they touch read and checked for the first time), with and without;
- warm: decompressing every block (each checked first), with and without;
- verify: `python -m indexer verify`'s check of every file.

The files are in the page cache (each variant runs after the other has read them), and the
times are the process's CPU time (user + system, so other processes on the machine do not
count), so the figures are the processor's cost of checking, not the disk's. Medians of
--repeat runs, the variants taking turns. Results go to data/bench/integrity-N.json.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from contextlib import contextmanager
from pathlib import Path

from indexer.bench.corpus import generate, learn
from indexer.bench.run import make_queries, write_results
from indexer.engine import blocks, integrity
from indexer.engine.build import build_index
from indexer.engine.layout import current_generation
from indexer.engine.query import parse_query
from indexer.engine.search import ReportIndex

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def unchecked():
    """The server's checks turned off: no open checks, plain Whoosh files, blocks unchecked."""
    saved = integrity.check_open, integrity.whoosh_sums, blocks._BlockFile.check
    integrity.check_open = lambda generation, meta: None
    integrity.whoosh_sums = lambda meta: None
    blocks._BlockFile.check = lambda self, b, data: None
    try:
        yield
    finally:
        integrity.check_open, integrity.whoosh_sums, blocks._BlockFile.check = saved


def timed(work) -> tuple[float, object]:
    """work's result and the CPU time it took, in ms."""
    start = time.process_time()
    out = work()
    return (time.process_time() - start) * 1000, out


def one_run(generation: Path, queries: list) -> dict[str, float]:
    """Open, first query, the queries' first pass and warming, in ms, on a fresh index."""
    open_ms, index = timed(lambda: ReportIndex(generation, warm=False))
    first_ms, _ = timed(lambda: index.search(parse_query(queries[0][0]), queries[0][1], limit=10))
    pass_ms, _ = timed(lambda: [index.search(parse_query(t), f, limit=10) for t, f in queries[1:]])
    warm_ms, _ = timed(index.warm)
    return {"open_ms": open_ms, "first_query_ms": first_ms, "first_pass_ms": pass_ms, "warm_ms": warm_ms}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer.bench.integrity_cost", description=__doc__)
    parser.add_argument("--size", type=int, default=100_000, help="paragraphs to generate (as the benchmark)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--index", type=Path, default=None, help="an index built from this size and seed")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each variant; the median is kept")
    parser.add_argument("--queries", type=int, default=20, help="benchmark queries in the first pass")
    args = parser.parse_args(argv)
    reports = generate(learn(ROOT / "data" / "reports"), args.size, seed=args.seed)
    texts = [p.text for r in reports for p in r.paragraphs]
    index_dir = args.index or ROOT / "data" / "bench" / f"integrity-{args.size}"
    generation = current_generation(index_dir)
    if generation is None:
        generation = build_index(reports, index_dir)
    del reports
    queries = make_queries(texts, random.Random(args.seed * 7919 + args.size))[: args.queries]
    meta = integrity.read_meta(generation)
    sums = meta.checksums
    record_ms, _ = timed(lambda: integrity.record(generation))
    open_checks_ms, _ = timed(lambda: integrity.check_open(generation, meta))
    verify_ms, (_, _, findings) = timed(lambda: integrity.verify(index_dir))
    assert not findings, findings
    runs: dict[str, list[dict]] = {"checked": [], "unchecked": []}
    for _ in range(args.repeat):
        runs["checked"].append(one_run(generation, queries))
        with unchecked():
            runs["unchecked"].append(one_run(generation, queries))
    results = {
        "size": args.size,
        "files": len(sums),
        "bytes": sum(s[0] for s in sums.values()),
        "bytes_checked_at_open": sum(s[0] for rel, s in sums.items() if not integrity.read_lazily(rel, sums)),
        "record_ms": round(record_ms, 1),
        "open_checks_ms": round(open_checks_ms, 1),
        "verify_ms": round(verify_ms, 1),
    }
    for variant, rows in runs.items():
        for key in rows[0]:
            results[f"{key[:-3]}_{variant}_ms"] = round(statistics.median(r[key] for r in rows), 1)
    write_results("integrity", results)
    print(
        f"checksums at {args.size:,} paragraphs: record {record_ms:.0f} ms ({results['bytes'] / 1e6:.0f} MB); "
        f"open {results['open_checked_ms']} ms checked / {results['open_unchecked_ms']} ms not; "
        f"first query {results['first_query_checked_ms']} / {results['first_query_unchecked_ms']} ms; "
        f"{len(queries) - 1} more first queries {results['first_pass_checked_ms']} / "
        f"{results['first_pass_unchecked_ms']} ms; warm {results['warm_checked_ms']} / "
        f"{results['warm_unchecked_ms']} ms; verify {verify_ms:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
