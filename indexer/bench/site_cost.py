"""What the workbench's pages cost at scale: `python -m indexer.bench.site_cost --size N [--index DIR]`.

On the benchmark's generated corpus (corpus.py), built here unless --index names one built
before, the site is served in-process (Flask's test client, one process, the index warmed
as a server's is) and each request is timed from the request to the last byte:

- the concordance page of common and rare terms (no cache: every request computes its
  concordance, so the first request, a sort and a later page cost the same on every worker);
  its sorts by left and right context, page 5, the API with another statistic, and the
  clusters' CSV;
- the trends page for 8 terms (the share of reports by default);
- an export of a few thousand hits (the whole download) and of a very common term (the
  confirmation page that says how many rows it would be);
- /compare of common and rare terms in each order, a later page and with a filter;
- /reports (the report table) as it opens, sorted, paged, filtered and with a query;
- a place facet's every value (/facets/township) and the sidebar's find box (/api/facets/township).

Each request runs `--repeat` times; the table gives the median and the slowest wall time, and
the median CPU time of the process (what the request costs when it has a core to itself: on a
machine shared with other work the wall time is longer). Results go to data/bench/site-N.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from indexer.bench.corpus import generate, learn
from indexer.engine.build import build_index

TERMS = ["法", "法治", "行政执法", "矛盾纠纷", "法律明白人", "八五普法"]
COMPARE_TERMS = ["法", "矛盾纠纷", "法律明白人"]
TREND_TERMS = ["法律明白人", "八五普法", "行政执法", "矛盾纠纷", "法治", "乡村振兴", "依法行政", "普法"]


def requests() -> list[tuple[str, str]]:
    """(label, URL) of every request timed."""
    out = []
    for term in TERMS:
        q = urlencode({"q": term})
        out += [
            (f"concordance {term}", f"/concordance?{q}"),
            (f"  sort left {term}", f"/concordance?{q}&sort=left"),
            (f"  sort right3 {term}", f"/concordance?{q}&sort=right3"),
            (f"  page 5 {term}", f"/concordance?{q}&sort=left&page=5"),
            (f"  api stat=mi {term}", f"/api/concordance?{q}&stat=mi"),
            (f"  clusters.csv {term}", f"/concordance.csv?{q}&table=clusters"),
        ]
    out.append(("trends 8 terms", "/trends?" + urlencode([("q", t) for t in TREND_TERMS])))
    out.append(("export.csv 八五普法", "/export.csv?" + urlencode({"q": "八五普法"})))
    out.append(("export.csv 法 (asks first)", "/export.csv?" + urlencode({"q": "法"})))
    for term in COMPARE_TERMS:
        q = urlencode({"q": term})
        out += [
            (f"compare {term}", f"/compare?{q}"),
            (f"  order=share {term}", f"/compare?{q}&order=share"),
            (f"  order=name page 3 {term}", f"/compare?{q}&order=name&page=3"),
            (f"  year=2023 {term}", f"/compare?{q}&year=2023"),
        ]
    out += [
        ("reports", "/reports"),
        ("  sort=-year page 40", "/reports?sort=-year&page=40"),
        ("  sort=title", "/reports?sort=title"),
        ("  year=2023 section=problems", "/reports?year=2023&section=problems"),
        ("  q=矛盾纠纷", "/reports?" + urlencode({"q": "矛盾纠纷"})),
        ("facets/township 法治", "/facets/township?" + urlencode({"q": "法治"})),
        ("  api find=一 法治", "/api/facets/township?" + urlencode({"q": "法治", "find": "一"})),
        ("search 法治 (for scale)", "/search?" + urlencode({"q": "法治"})),
    ]
    return out


def run(index_dir: Path, repeat: int) -> dict:
    from search_app import create_app
    from search_app.store import get_index

    app = create_app({"INDEX_DIR": index_dir, "HEAVY_WAIT": 600})
    client = app.test_client()
    with app.app_context():
        start = time.perf_counter()
        index = get_index()
        index.warmed.wait()
        warmed = time.perf_counter() - start
        paragraphs = len(index)
    results: dict = {"paragraphs": paragraphs, "warm_s": round(warmed, 2), "requests": {}}
    for label, url in requests():
        samples, cpu, size, status = [], [], 0, 0
        for _ in range(repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            body = response.get_data()
            samples.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            size, status = len(body), response.status_code
        results["requests"][label] = {
            "url": url,
            "status": status,
            "bytes": size,
            "median_s": round(statistics.median(samples), 3),
            "max_s": round(max(samples), 3),
            "cpu_s": round(statistics.median(cpu), 3),
        }
        print(
            f"{label:32} {statistics.median(samples):7.3f} s  (max {max(samples):.3f}, cpu {statistics.median(cpu):.3f})"
            f"  {size:>10,} B",
            file=sys.stderr,
        )
    return results


def format_report(results: dict) -> str:
    lines = [
        f"{results['paragraphs']:,} paragraphs (index warmed in {results['warm_s']} s)",
        "| request | median s | max s | CPU s | bytes |",
        "|---|---|---|---|---|",
    ]
    for label, r in results["requests"].items():
        lines.append(
            f"| {label.strip()} | {r['median_s']:.3f} | {r['max_s']:.3f} | {r['cpu_s']:.3f} | {r['bytes']:,} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m indexer.bench.site_cost",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--size", type=int, default=200_000, help="paragraphs to generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--index", type=Path, default=None, help="an index built before (kept); else one is built")
    parser.add_argument("--workdir", type=Path, default=Path("data/bench/site-work"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="JSON results (default data/bench/site-N.json)")
    args = parser.parse_args(argv)
    index_dir = args.index
    if index_dir is None:
        shutil.rmtree(args.workdir, ignore_errors=True)
        reports = generate(learn(Path(__file__).resolve().parents[2] / "data" / "reports"), args.size, seed=args.seed)
        index_dir = args.workdir / "index"
        build_index(reports, index_dir)
    results = run(index_dir, args.repeat)
    out = args.out or Path("data/bench") / f"site-{args.size}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    print(format_report(results))
    if args.index is None:
        shutil.rmtree(args.workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
