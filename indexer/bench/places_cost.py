"""Reports as users keep them, at scale: `python -m indexer.bench.places_cost --count 4000`.

Writes the places corpus (places_corpus.py: real townships, many of one name, in 省/市/县 folders),
builds it with `python -m indexer build` in its own process, then checks what the folders must
settle (every county, one township facet value per township code) and times /api/search with
facet_size=max (every value of every facet) through the site, in process: the median of 7
requests, after one that opens the index. Results go to data/bench/places-N.json.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

from indexer.bench.build_cost import timed_run
from indexer.bench.places_corpus import write_place_corpus
from indexer.bench.run import write_results
from indexer.engine.places import place_key
from indexer.engine.search import ReportIndex


def run(count: int, seed: int, workdir: Path) -> dict:
    from search_app import create_app

    data, index = workdir / "reports", workdir / "index"
    shutil.rmtree(workdir, ignore_errors=True)
    filed = write_place_corpus(data, count, seed)
    seconds, peak, line = timed_run(["build", "--data", str(data), "--index", str(index)])
    print(f"build of {count} reports in folders: {seconds:.1f} s, peak {peak:,.0f} MB: {line}", file=sys.stderr)
    reports = ReportIndex.open(index, warm=False).reports
    unsettled = sum(1 for r in reports if place_key(r, "county") == "")
    client = create_app({"INDEX_DIR": index, "TESTING": True}).test_client()
    url = "/api/search?q=法治&facet_size=max"
    body = client.get(url).get_json()  # opens the index
    times = []
    for _ in range(7):
        start = time.perf_counter()
        body = client.get(url).get_json()
        times.append(time.perf_counter() - start)
    townships = [v for v in body["facets"]["township"] if v["code"]]
    want = {f.township_code for f in filed if f.township_code}
    results = {
        "size": count,
        "build_s": seconds,
        "build_peak_mb": peak,
        "reports": len(reports),
        "counties_unsettled": unsettled,
        "township_values": len(townships),
        "township_codes": len(want),
        "one_value_per_township": sorted(v["code"] for v in townships) == sorted(want),
        "facet_size_max_ms": statistics.median(times) * 1000,
        "hits": body["total"],
    }
    print(
        f"/api/search facet_size=max: {results['facet_size_max_ms']:.1f} ms (median of 7), "
        f"{len(townships)} township values for {len(want)} townships, {unsettled} counties unsettled",
        file=sys.stderr,
    )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer.bench.places_cost", description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=4000, help="reports to generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("data/bench/places"))
    args = parser.parse_args(argv)
    write_results("places", run(args.count, args.seed, args.workdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
