"""The benchmark run for `python -m indexer.bench`: build our index on a generated corpus and race it against
a brute-force scan, SQLite FTS5 trigram and Tantivy, checking that all four agree exactly."""

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

from indexer.bench.corpus import generate, learn, random_needle
from indexer.bench.engines import BruteForce, OurEngine, SqliteTrigram, TantivyEngine, TantivyFacets
from indexer.engine.build import build_index
from indexer.engine.query import parse_query
from indexer.engine.search import Filters, ReportIndex
from indexer.text.normalize import normalize

COMMON_TERMS = [
    "法治",
    "法治政府建设",
    "法律明白人",
    "普法",
    "依法行政",
    "执法",
    "宣传",
    "第一责任人",
    "矛盾纠纷",
    "法律顾问",
    "八五普法",
    "行政执法",
    "乡村振兴",
    "习近平法治思想",
    "调解",
    "规范性文件",
    "政务公开",
    "营商环境",
    "综合行政执法",
    "重大行政决策",
]


def make_queries(texts: list[str], rng: random.Random, random_count: int = 60) -> list[tuple[str, Filters]]:
    """Random substrings (1-8 characters, any offset), common terms, multi-term and filtered queries."""
    queries: list[tuple[str, Filters]] = []
    while len(queries) < random_count:
        queries.append((random_needle(texts, rng, 8), Filters()))
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


def time_engines(engines: list, queries, mode: str) -> dict[str, tuple[dict, list]]:
    """Each engine's latency percentiles and answers for every query, in `mode` ("top" or "all").

    The engines take turns on each query (the first to go rotates), so that a busy moment of
    the machine or a warm CPU cache does not favour one of them.
    """
    for engine in engines:
        for text, filters in queries[:5]:  # warm up
            getattr(engine, mode)(parse_query(text), filters)
    samples: dict[str, list[float]] = {e.name: [] for e in engines}
    answers: dict[str, list] = {e.name: [] for e in engines}
    for i, (text, filters) in enumerate(queries):
        query = parse_query(text)
        turn = i % len(engines)
        for engine in engines[turn:] + engines[:turn]:
            start = time.perf_counter()
            answer = getattr(engine, mode)(query, filters)
            samples[engine.name].append(time.perf_counter() - start)
            answers[engine.name].append(answer)
    return {name: (percentiles(samples[name]), answers[name]) for name in samples}


def time_paging(engines: list, queries, problems: list[str]) -> dict:
    """Page 1 and page 20 (20 per page, by relevance, exact total, no facets) for each engine; a total that
    differs between them is added to problems."""
    paging: dict = {}
    for mode in ("page1", "page20"):
        timed = time_engines(engines, queries, mode)
        for name, (stats, _) in timed.items():
            paging.setdefault(name, {})[mode] = stats
            print(f"{name} {mode}: p50 {stats['p50']:.1f} ms, p95 {stats['p95']:.1f} ms", file=sys.stderr)
        totals = [[total for total, _ in got] for _, got in timed.values()]
        problems += [f"{queries[i][0]!r}: {mode} totals differ" for i, t in enumerate(zip(*totals)) if len(set(t)) > 1]
    return paging


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _serve_probe(generation: str, queries: list, conn, timed: bool) -> None:
    """In a fresh process: open the index as the server does, answer the first query, then all
    (timed, once the background warm-up is done, when `timed`); report times and peak memory."""
    start = time.perf_counter()
    index = ReportIndex(Path(generation))  # as the server opens it: warming in the background
    text, filters = queries[0]
    index.search(parse_query(text), Filters(**filters))
    found = {"first_query_s": time.perf_counter() - start}
    if timed:
        index.warmed.wait()
        found["warm_s"] = time.perf_counter() - start
    samples = []
    for text, filters in queries:
        index.grams.clear_cache()
        t0 = time.perf_counter()
        index.search(parse_query(text), Filters(**filters))
        samples.append(time.perf_counter() - t0)
    if timed:
        found["top10"] = percentiles(samples)
    with open("/proc/self/status") as fh:
        found["peak_rss_mb"] = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM")) / 1024
    conn.send(found)
    conn.close()


def probe_server(generation: Path, queries, timed: bool = False) -> dict:
    """_serve_probe's answer from a fresh (spawned) process."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    plain = [
        (t, {"townships": f.townships, "year_from": f.year_from, "year_to": f.year_to, "sections": f.sections})
        for t, f in queries
    ]
    proc = ctx.Process(target=_serve_probe, args=(str(generation), plain, child, timed))
    proc.start()
    child.close()
    try:
        result = parent.recv()
    except EOFError:
        raise RuntimeError("the server probe process failed; see its error above") from None
    finally:
        proc.join()
    return result


def write_results(name: str, results: dict) -> Path:
    """Results as data/bench/NAME-SIZE.json (printed too); returns the file."""
    out = Path("data/bench") / f"{name}-{results['size']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False))
    return out


def _expected_facets(counts: dict[str, np.ndarray]) -> dict[str, dict[int, int]]:
    return {name: {int(v): int(c[v]) for v in np.flatnonzero(c)} for name, c in counts.items()}


def _our_facets(facets: dict, index) -> dict[str, dict[int, int]]:
    return {
        "township": {index.places.find("township", f["value"])[0]: f["count"] for f in facets["township"]},
        "section": {index.section_keys.index(f["value"]): f["count"] for f in facets["section"]},
        "year": {(f["value"] or 0): f["count"] for f in facets["year"]},
    }


def check_agreement(queries, answers: dict, index) -> list[str]:
    """Every disagreement with brute force, as readable lines (empty when all agree).

    answers[(engine, mode)] holds an engine's answers to the queries: for "all" every matching id,
    for "top" (total, ids, facets). Every engine must find exactly the paragraphs brute force finds
    and report that many as its total. Facet counts must equal brute force's on unfiltered queries
    (a filtered facet ignores its own filter, which brute force does not do), and Tantivy's
    aggregations must equal ours on every query.
    """
    problems = []
    listing = sorted({name for name, mode in answers if mode == "all"})
    counting = sorted({name for name, mode in answers if mode == "top"})
    for i, (text, filters) in enumerate(queries):
        expected = answers[("brute force", "all")][i]
        found = {name: sorted(answers[(name, "all")][i]) for name in listing}
        wrong = [name for name in listing if found[name] != expected]
        if wrong:
            problems.append(
                f"{text!r} {filters}: brute force {len(expected)}, " + ", ".join(f"{n} {len(found[n])}" for n in wrong)
            )
            continue
        totals = {name: answers[(name, "top")][i][0] for name in counting}
        if set(totals.values()) != {len(expected)}:
            problems.append(f"{text!r}: totals differ {totals}")
        ours = _our_facets(answers[("ours", "top")][i][2], index)
        if "tantivy + facets" in counting and _nonzero(answers[("tantivy + facets", "top")][i][2]) != _nonzero(ours):
            problems.append(f"{text!r} {filters}: tantivy facets differ from ours")
        if filters.townships or filters.sections or filters.year_from or filters.year_to:
            continue
        want = _expected_facets(answers[("brute force", "top")][i][2])
        if _nonzero(ours) != _nonzero(want):
            problems.append(f"{text!r}: our facets differ")
        if "sqlite fts5" in counting and _nonzero(answers[("sqlite fts5", "top")][i][2]) != _nonzero(want):
            problems.append(f"{text!r}: sqlite facets differ")
    return problems


def _nonzero(facets: dict) -> dict[str, dict[int, int]]:
    """Facet counts without empty facets or zero counts, keys and counts as ints, for comparing."""
    out = {name: {int(k): int(v) for k, v in counts.items() if v} for name, counts in facets.items()}
    return {name: counts for name, counts in out.items() if counts}


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
    print(
        f"corpus: {len(texts)} paragraphs, {text_bytes / 1e6:.1f} MB of UTF-8 text (generated in {generate_s:.1f} s)",
        file=sys.stderr,
    )

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

    t0 = time.perf_counter()
    tantivy = TantivyEngine(workdir / "tantivy", norm, index.columns, index.townships)
    tantivy_build_s = time.perf_counter() - t0
    print(f"tantivy: built in {tantivy_build_s:.1f} s", file=sys.stderr)

    queries = make_queries(texts, random.Random(seed * 7919 + size))
    results: dict = {
        "size": len(texts),
        "seed": seed,
        "queries": len(queries),
        "text_mb": text_bytes / 1e6,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    engines = [ours, brute, sql, tantivy]
    latency: dict = {}
    answers: dict = {}
    for mode, racing in (("top", engines + [TantivyFacets(tantivy)]), ("all", engines)):
        for name, (stats, got) in time_engines(racing, queries, mode).items():
            latency[(name, mode)] = stats
            answers[(name, mode)] = got
            print(f"{name} {mode}: p50 {stats['p50']:.1f} ms, p95 {stats['p95']:.1f} ms", file=sys.stderr)
    results["agreement_problems"] = check_agreement(queries, answers, index)
    results["paging"] = time_paging([ours, tantivy], queries, results["agreement_problems"])
    built = {
        "ours": (build_s, dir_size(generation)),
        "brute force": (0.0, 0),
        "sqlite fts5": (sql_build_s, (workdir / "fts.sqlite").stat().st_size),
        "tantivy": (tantivy_build_s, dir_size(workdir / "tantivy")),
    }
    results["engines"] = {
        name: {
            "build_s": seconds,
            "index_mb": size_bytes / 1e6,
            **({"paragraphs_per_s": len(texts) / seconds} if seconds else {}),
            "top10": latency[(name, "top")],
            "all": latency[(name, "all")],
        }
        for name, (seconds, size_bytes) in built.items()
    }
    results["engines"]["tantivy + facets"] = {"top10": latency[("tantivy + facets", "top")]}
    if timing:
        try:
            results["engines"]["ours"].update(probe_server(generation, queries))
        except RuntimeError as exc:  # e.g. the code changed under a long run: keep the measurements
            print(f"warning: {exc}", file=sys.stderr)
            results["engines"]["ours"]["probe_error"] = str(exc)
    return results


def _ms(stats: dict | None) -> str:
    return f"{stats['p50']:,.1f} / {stats['p95']:,.1f} / {stats['max']:,.1f}" if stats else "-"


def format_table(results: dict) -> str:
    e = results["engines"]
    ours = e["ours"]
    lines = [
        f"{results['size']:,} paragraphs, {results['text_mb']:.0f} MB text, {results['queries']} queries, "
        f"{results['machine']}",
        "| engine | build s | paragraphs/s | index MB | top 10 + total (+ facets) p50 / p95 / max ms "
        "| all hits p50 / p95 / max ms |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in e.items():
        pps = f"{row['paragraphs_per_s']:,.0f}" if row.get("paragraphs_per_s") else "-"
        build = f"{row['build_s']:.1f}" if row.get("build_s") else "-"
        size = f"{row['index_mb']:,.0f}" if row.get("index_mb") else "-"
        lines.append(f"| {name} | {build} | {pps} | {size} | {_ms(row['top10'])} | {_ms(row.get('all'))} |")
    lines.append("")
    lines.append(
        "ours, brute force, sqlite fts5 and tantivy + facets: top 10, exact total and facet counts; "
        "tantivy: top 10 by its BM25 and exact total, no facets"
    )
    for other, row in e.items():
        if other == "ours":
            continue
        ratios = [
            f"{k} {p} {ours[k][p] / max(row[k][p], 1e-9):.2f}x"
            for k in ("top10", "all")
            if row.get(k)
            for p in ("p50", "p95")
        ]
        lines.append(f"ours / {other} latency: " + ", ".join(ratios))
    paging = results.get("paging")
    if paging:
        lines.append(
            "paging by relevance, 20 per page, exact total, no facets, p50 / p95 / max ms: "
            + "; ".join(
                f"{name} page 1 {_ms(row['page1'])}, page 20 {_ms(row['page20'])}" for name, row in paging.items()
            )
        )
        lines.append(
            "ours / tantivy paging latency: "
            + ", ".join(
                f"{mode} {p} {paging['ours'][mode][p] / max(paging['tantivy'][mode][p], 1e-9):.2f}x"
                for mode in ("page1", "page20")
                for p in ("p50", "p95")
            )
        )
    if "peak_rss_mb" in ours:
        lines.append(
            f"ours: index {ours['index_mb'] / results['text_mb']:.2f}x the text; "
            f"server peak memory {ours['peak_rss_mb']:.0f} MB; "
            f"open + first query {ours['first_query_s']:.2f} s"
        )
    if "probe_error" in ours:
        lines.append(f"ours: the fresh-process probe failed ({ours['probe_error']})")
    problems = results["agreement_problems"]
    lines.append(
        "results identical to brute force, SQLite and Tantivy for every query"
        if not problems
        else f"{len(problems)} DISAGREEMENTS: " + "; ".join(problems[:5])
    )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer.bench", description=__doc__)
    parser.add_argument("--size", type=int, default=100_000, help="paragraphs to generate (10000, 100000, 1000000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("data/bench/work"))
    parser.add_argument(
        "--out", type=Path, default=None, help="JSON results file (default data/bench/results-SIZE.json)"
    )
    args = parser.parse_args(argv)
    results = run(args.size, args.seed, args.workdir)
    out = args.out or Path("data/bench") / f"results-{args.size}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(format_table(results))
    print(f"results written to {out}", file=sys.stderr)
    return 1 if results["agreement_problems"] else 0
