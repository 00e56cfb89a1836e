"""What the report table (/reports) weighs and costs at a real corpus's scale:
`python -m indexer.bench.report_list --reports 4000`.

The benchmark's generated paragraphs (corpus.py) are given real townships of the division table
(the first `--provinces` provinces, up to `--townships` townships spread over their counties, a
report a year from 2022), written as 省/市/县/<township>-<year>.txt files and built with
`indexer build`, so the places and their division codes come from the ordinary metadata. Then
pages of /reports are fetched through Flask's test client, once to warm and then `--repeat`
times: bytes and the median time of each. Results go to data/bench/report-list-N.json (N reports).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import time
from pathlib import Path

from indexer.bench.corpus import generate, learn
from indexer.bench.run import write_results
from indexer.documents.places import PROVINCE, TOWNSHIP, gazetteer
from indexer.engine.build import build

ROOT = Path(__file__).resolve().parents[2]
YEARS = (2022, 2023, 2024)
PAGES = (
    "/reports",
    "/reports?sort=-county",
    "/reports?sort=-year",
    "/reports?sort=title&page=40",
    "/reports?sort=-paragraphs&page=80",
    "/reports?province={province}",
    "/reports?year=2023&sort=township",
    "/reports?q=法治",
    "/reports?q=矛盾纠纷&year_from=2023",
    "/reports?section=problems&sort=-date",
)


def places(provinces: int, townships: int, seed: int) -> list[dict]:
    """Up to `townships` townships of the first `provinces` provinces, as {level field: name} with the code."""
    gaz = gazetteer()
    chosen = sorted((p for p in gaz.by_code.values() if p.level == PROVINCE), key=lambda p: p.code)[:provinces]
    codes = {p.code for p in chosen}
    found = []
    for place in gaz.by_code.values():
        if place.level != TOWNSHIP:
            continue
        line = gaz.lineage(place)
        if "province" in line and line["province"].code in codes and {"prefecture", "county"} <= set(line):
            found.append({k: v.name for k, v in line.items()} | {"code": place.code})
    rng = random.Random(seed)
    rng.shuffle(found)
    return sorted(found[:townships], key=lambda p: p["code"])


def write_corpus(folder: Path, reports: int, provinces: int, townships: int, seed: int) -> int:
    """reports files in 省/市/县 folders, each a generated report retitled for a real township."""
    where = places(provinces, townships, seed)
    generated = generate(learn(ROOT / "data" / "reports"), reports * 40, seed=seed)
    for n, report in enumerate(generated):
        place, year = where[n % len(where)], YEARS[(n // len(where)) % len(YEARS)]
        title = f"{place['county']}{place['township']}人民政府关于{year}年度法治政府建设情况的报告"
        body = [p.text.replace(report.township, place["township"]) for p in report.paragraphs[1:]]
        target = folder / place["province"] / place["prefecture"] / place["county"]
        target.mkdir(parents=True, exist_ok=True)
        (target / f"{place['township']}-{place['code']}-{year}.txt").write_text(
            "\n".join([title, *body]) + "\n", encoding="utf-8"
        )
    return len(generated)


def measure(index_dir: Path, repeat: int, province: str) -> list[dict]:
    """Bytes and median milliseconds of each page of PAGES."""
    from search_app import create_app

    client = create_app({"INDEX_DIR": index_dir, "TESTING": True}).test_client()
    rows = []
    for path in PAGES:
        url = path.format(province=province)
        first = client.get(url)
        assert first.status_code == 200, (url, first.status_code)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        rows.append({"url": url, "bytes": len(first.data), "ms": round(statistics.median(times), 1)})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer.bench.report_list", description=__doc__)
    parser.add_argument("--reports", type=int, default=4000)
    parser.add_argument("--provinces", type=int, default=8)
    parser.add_argument("--townships", type=int, default=2500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path("data/bench/report-list"))
    args = parser.parse_args(argv)
    data, index_dir = args.workdir / "reports", args.workdir / "index"
    if not index_dir.exists():
        shutil.rmtree(data, ignore_errors=True)
        count = write_corpus(data, args.reports, args.provinces, args.townships, args.seed)
        print(f"wrote {count} reports to {data}; building …", flush=True)
        start = time.perf_counter()
        summary = build(data, index_dir)
        print(f"built in {time.perf_counter() - start:.0f} s ({len(summary.skipped)} skipped)", flush=True)
    province = sorted(p.name for p in data.iterdir() if p.is_dir())[0]
    rows = measure(index_dir, args.repeat, province)
    print(f"{'page':<46} {'KB':>7} {'ms':>8}")
    for row in rows:
        print(f"{row['url']:<46} {row['bytes'] / 1024:>7.1f} {row['ms']:>8.1f}")
    write_results("report-list", {"size": args.reports, "pages": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
