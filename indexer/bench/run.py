"""The benchmark run for `python -m indexer.bench`: build our index on a generated corpus and race it against
a brute-force scan and SQLite FTS5 trigram, checking that all three agree exactly."""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from ..build import build_index
from ..normalize import normalize
from ..query import parse_query
from ..search import Filters, ReportIndex
from .corpus import learn, generate
from .engines import BruteForce, OurEngine, SqliteTrigram

COMMON_TERMS = ["法治", "法治政府建设", "法律明白人", "普法", "依法行政", "执法", "宣传", "第一责任人",
                "矛盾纠纷", "法律顾问", "八五普法", "行政执法", "乡村振兴", "习近平法治思想", "调解",
                "规范性文件", "政务公开", "营商环境", "综合行政执法", "重大行政决策"]


def make_queries(texts: list[str], rng: random.Random, random_count: int = 60) -> list[tuple[str, Filters]]:
    """Random substrings (1-8 characters, any offset), common terms, multi-term and filtered queries."""
    queries: list[tuple[str, Filters]] = []
    while len(queries) < random_count:
        text = texts[rng.randrange(len(texts))]
        size = rng.randint(1, 8)
        start = rng.randrange(max(1, len(text) - size))
        needle = text[start:start + size]
        if normalize(needle) and not any(c.isspace() or c == '"' for c in needle) and not needle.startswith("-") \
                and needle != "OR":
            queries.append((needle, Filters()))
    queries += [(t, Filters()) for t in COMMON_TERMS]
    for _ in range(4):
        a, b = rng.sample(COMMON_TERMS, 2)
        queries += [(f"{a} {b}", Filters()), (f"{a} OR {b}", Filters())]
    queries += [("法治 -执法", Filters()), ("普法 宣传 -法律明白人", Filters())]
    for i in range(10):
        term = rng.choice(COMMON_TERMS)
        if i % 2:
            lo = rng.randint(2019, 2023)
            queries.append((term, Filters(year_from=lo, year_to=lo + rng.randint(0, 2))))
        else:
            queries.append((term, Filters(sections=(rng.choice(["problems", "plans", "measures"]),))))
    return queries


def percentiles(samples: list[float]) -> dict:
    ms = np.array(samples) * 1000
    return {"p50": float(np.percentile(ms, 50)), "p95": float(np.percentile(ms, 95)), "max": float(ms.max())}


def time_queries(engine, queries, mode: str) -> tuple[dict, list]:
    answers, samples = [], []
    for text, filters in queries[:5]:  # warm up
        getattr(engine, mode)(parse_query(text), filters)
    for text, filters in queries:
        query = parse_query(text)
        start = time.perf_counter()
        answer = getattr(engine, mode)(query, filters)
        samples.append(time.perf_counter() - start)
        answers.append(answer)
    return percentiles(samples), answers


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _serve_probe(generation: str, queries: list, conn) -> None:
    """In a fresh process: open the index, answer the first query, then all; report time and peak memory."""
    start = time.perf_counter()
    index = ReportIndex(Path(generation))  # as the server opens it: warming in the background
    text, filters = queries[0]
    index.search(parse_query(text), Filters(**filters))
    first = time.perf_counter() - start
    for text, filters in queries:
        index.search(parse_query(text), Filters(**filters))
    with open("/proc/self/status") as fh:
        peak_kb = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM"))
    conn.send({"first_query_s": first, "peak_rss_mb": peak_kb / 1024})
    conn.close()


def probe_server(generation: Path, queries) -> dict:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    plain = [(t, {"townships": f.townships, "year_from": f.year_from, "year_to": f.year_to,
                  "sections": f.sections}) for t, f in queries]
    proc = ctx.Process(target=_serve_probe, args=(str(generation), plain, child))
    proc.start()
    child.close()
    try:
        result = parent.recv()
    except EOFError:
        raise RuntimeError("the server probe process failed; see its error above") from None
    finally:
        proc.join()
    return result


def check_agreement(queries, ours_all, brute_all, sql_all, ours_top, brute_top, sql_top, index) -> list[str]:
    """Every disagreement between the engines, as readable lines (empty when all agree)."""
    problems = []
    for i, (text, filters) in enumerate(queries):
        a, b, c = sorted(ours_all[i]), brute_all[i], sql_all[i]
        if not (a == b == c):
            problems.append(f"{text!r} {filters}: ours {len(a)}, brute force {len(b)}, sqlite {len(c)}")
            continue
        total, _, facets = ours_top[i]
        if not (total == brute_top[i][0] == sql_top[i][0] == len(a)):
            problems.append(f"{text!r}: totals differ")
        brute_facets = brute_top[i][2]
        for name in ("township", "year", "section"):
            counts = brute_facets[name]
            expected = {int(v): int(counts[v]) for v in np.flatnonzero(counts)}
            if name == "township":
                got = {index.township_code[f["value"]]: f["count"] for f in facets[name]}
            elif name == "section":
                got = {index.section_keys.index(f["value"]): f["count"] for f in facets[name]}
            else:
                got = {(f["value"] or 0): f["count"] for f in facets[name]}
            if not filters.townships and not filters.sections and not filters.year_from and got != expected:
                problems.append(f"{text!r}: {name} facet differs")
            if dict(sorted(sql_top[i][2].get(name, {}).items())) != dict(sorted(expected.items())) and \
                    not (filters.townships or filters.sections or filters.year_from):
                problems.append(f"{text!r}: sqlite {name} facet differs")
    return problems


def run(size: int, seed: int, workdir: Path, timing: bool = True) -> dict:
    """One benchmark run; returns the results (also the agreement problems, if any)."""
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    reports_dir = Path(__file__).resolve().parents[2] / "data" / "reports"
    model = learn(reports_dir)
    t0 = time.perf_counter()
    reports = generate(model, size, seed=seed)
    generate_s = time.perf_counter() - t0
    texts = [p.text for r in reports for p in r.paragraphs]
    text_bytes = sum(len(t.encode("utf-8")) for t in texts)
    print(f"corpus: {len(texts)} paragraphs, {text_bytes / 1e6:.1f} MB of UTF-8 text "
          f"(generated in {generate_s:.1f} s)", file=sys.stderr)

    t0 = time.perf_counter()
    generation = build_index(reports, workdir / "index")
    build_s = time.perf_counter() - t0
    print(f"ours: built in {build_s:.1f} s", file=sys.stderr)
    ours = OurEngine(generation)
    index = ours.index
    norm = [normalize(t) for t in texts]
    brute = BruteForce(norm, index.columns, index.townships)

    t0 = time.perf_counter()
    sql = SqliteTrigram(workdir / "fts.sqlite", norm, index.columns)
    sql.townships = index.townships
    sql_build_s = time.perf_counter() - t0
    print(f"sqlite: built in {sql_build_s:.1f} s", file=sys.stderr)

    queries = make_queries(texts, random.Random(seed * 7919 + size))
    results: dict = {"size": len(texts), "seed": seed, "queries": len(queries), "text_mb": text_bytes / 1e6,
                     "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"}
    latency: dict = {}
    answers: dict = {}
    for engine in (ours, brute, sql):
        for mode in ("top", "all"):
            stats, got = time_queries(engine, queries, mode)
            latency[(engine.name, mode)] = stats
            answers[(engine.name, mode)] = got
            print(f"{engine.name} {mode}: p50 {stats['p50']:.1f} ms, p95 {stats['p95']:.1f} ms", file=sys.stderr)
    problems = check_agreement(queries, answers[("ours", "all")], answers[("brute force", "all")],
                               answers[("sqlite fts5", "all")], answers[("ours", "top")],
                               answers[("brute force", "top")], answers[("sqlite fts5", "top")], index)
    results["agreement_problems"] = problems
    results["engines"] = {
        "ours": {"build_s": build_s, "paragraphs_per_s": len(texts) / build_s,
                 "index_mb": dir_size(generation) / 1e6,
                 "top10": latency[("ours", "top")], "all": latency[("ours", "all")]},
        "brute force": {"build_s": 0.0, "index_mb": 0.0,
                        "top10": latency[("brute force", "top")], "all": latency[("brute force", "all")]},
        "sqlite fts5": {"build_s": sql_build_s, "paragraphs_per_s": len(texts) / sql_build_s,
                        "index_mb": (workdir / "fts.sqlite").stat().st_size / 1e6,
                        "top10": latency[("sqlite fts5", "top")], "all": latency[("sqlite fts5", "all")]},
    }
    if timing:
        results["engines"]["ours"].update(probe_server(generation, queries))
    return results


def format_table(results: dict) -> str:
    e = results["engines"]
    ours = e["ours"]
    lines = [f"{results['size']:,} paragraphs, {results['text_mb']:.0f} MB text, {results['queries']} queries, "
             f"{results['machine']}",
             "| engine | build s | paragraphs/s | index MB | top-10+total+facets p50 / p95 / max ms "
             "| all hits p50 / p95 / max ms |",
             "|---|---|---|---|---|---|"]
    for name, row in e.items():
        pps = f"{row['paragraphs_per_s']:,.0f}" if row.get("paragraphs_per_s") else "-"
        lines.append(f"| {name} | {row['build_s']:.1f} | {pps} | {row['index_mb']:.0f} | "
                     f"{row['top10']['p50']:.1f} / {row['top10']['p95']:.1f} / {row['top10']['max']:.1f} | "
                     f"{row['all']['p50']:.1f} / {row['all']['p95']:.1f} / {row['all']['max']:.1f} |")
    lines.append("")
    for other in ("brute force", "sqlite fts5"):
        row = e[other]
        ratios = [f"{k} {ours[k][p] / max(row[k][p], 1e-9):.2f}x" for k in ("top10", "all") for p in ("p50", "p95")]
        lines.append(f"ours / {other} latency: " + ", ".join(ratios))
    if "peak_rss_mb" in ours:
        lines.append(f"ours: index {ours['index_mb'] / results['text_mb']:.2f}x the text; "
                     f"server peak memory {ours['peak_rss_mb']:.0f} MB; "
                     f"open + first query {ours['first_query_s']:.2f} s")
    problems = results["agreement_problems"]
    lines.append("results identical to brute force and SQLite for every query" if not problems
                 else f"{len(problems)} DISAGREEMENTS: " + "; ".join(problems[:5]))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer.bench", description=__doc__)
    parser.add_argument("--size", type=int, default=100_000, help="paragraphs to generate (10000, 100000, 1000000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("data/bench/work"))
    parser.add_argument("--out", type=Path, default=None, help="JSON results file (default data/bench/results-SIZE.json)")
    args = parser.parse_args(argv)
    results = run(args.size, args.seed, args.workdir)
    out = args.out or Path("data/bench") / f"results-{args.size}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(format_table(results))
    print(f"results written to {out}", file=sys.stderr)
    return 1 if results["agreement_problems"] else 0

