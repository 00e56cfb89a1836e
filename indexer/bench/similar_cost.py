"""What finding similar paragraphs costs: `python -m indexer.bench.similar_cost --size N [--baseline]`.

On the benchmark's generated corpus (corpus.py: paragraphs recombine a pool of sentences
learnt from the real reports, so near-duplicates abound — far more than in real reports):

- build time added: the CPU time of the sketches (MinHash signatures and band keys,
  computed chunk by chunk in the analysis processes, beside the Whoosh writer) and the
  time of the pair step in the build process (candidates, estimates, lists); the whole
  build's wall time and peak memory (in a child process), and with --baseline the same
  for a build with the similarity step switched off;
- index size added: the similar.* files;
- pairs at each step: compared paragraphs, LSH candidates, candidates from other reports,
  listed pairs, paragraphs with a match and those flagged `more`;
- lookup latency (similar_paragraphs: the stored list, then the exact similarity of each
  entry from the texts) over 1,000 random compared paragraphs and over 1,000 random
  paragraphs that have matches; the report page's counts for 100 paragraphs; and a
  report's reuse view;
- recall: for 200 random compared paragraphs, every paragraph of another report whose
  full-signature estimate is at least 0.35 gets its exact similarity; of those at 0.5 or
  more (and at 0.8 or more), the share that the build listed; and the exact similarity
  of a sample of listed pairs (precision of the estimate-based listing).

Results go to data/bench/similar-N.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from indexer.bench.corpus import generate, learn
from indexer.bench.run import dir_size, percentiles
from indexer.engine import similar
from indexer.engine.build import CHUNK, build_index
from indexer.engine.layout import current_generation
from indexer.engine.search import ReportIndex
from indexer.research import similar as lookup
from indexer.text.normalize import normalize

LOOKUPS = 1000
RECALL_SAMPLE = 200


def _timed(function, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def _build(reports, target: Path, with_similarity: bool = True) -> dict:
    """Build in a child process (so that the bench's own memory does not count): wall time and
    the build process's peak memory; without similarity, its two steps are switched off."""
    parent, child = multiprocessing.get_context("fork").Pipe()

    def work():
        if not with_similarity:
            similar.sketch = lambda norms: None
            similar.write = lambda *args, **kwargs: None
        start = time.perf_counter()
        build_index(reports, target)
        child.send(
            {"s": time.perf_counter() - start, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
        )

    process = multiprocessing.get_context("fork").Process(target=work)
    process.start()
    result = parent.recv()
    process.join()
    return result


def _latency(function, items) -> dict:
    samples = []
    for item in items:
        start = time.perf_counter()
        function(item)
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


def _recall(index: ReportIndex, values: np.ndarray, compared: np.ndarray, rng: random.Random) -> dict:
    """Listed share of the pairs at 0.5+ and 0.8+ around RECALL_SAMPLE random compared paragraphs."""
    ids = np.flatnonzero(compared)
    report = index.columns["report"]
    found = {0.5: [0, 0], 0.8: [0, 0]}
    for pid in rng.sample(ids.tolist(), min(RECALL_SAMPLE, len(ids))):
        agree = np.count_nonzero(values[ids] == values[pid], axis=1) / similar.HASHES
        near = ids[(agree >= 0.35) & (report[ids] != report[pid])]
        if len(near) == 0:
            continue
        texts = index.grams.texts.many(np.concatenate(([pid], near)))
        listed = set(index.similar.listed(pid).tolist())
        for other, text in zip(near.tolist(), texts[1:]):
            s = similar.jaccard(texts[0], text)
            for level, counts in found.items():
                if s >= level:
                    counts[0] += 1
                    counts[1] += other in listed
    return {f"{level}+": {"pairs": n, "listed": k, "recall": k / n if n else None} for level, (n, k) in found.items()}


def _precision(index: ReportIndex, rng: random.Random, sample: int = 2000) -> dict:
    """The exact similarity of a sample of listed pairs."""
    counts = index.similar.counts_of(np.arange(len(index)))
    offsets = np.concatenate(([0], np.cumsum(counts)))
    total = int(offsets[-1])
    if total == 0:
        return {"sampled": 0}
    positions = np.array(sorted(rng.sample(range(total), min(sample, total))))
    sources = np.searchsorted(offsets, positions, side="right") - 1
    targets = np.array([index.similar.listed(int(s))[p - offsets[s]] for s, p in zip(sources, positions)])
    texts_a = index.grams.texts.many(sources)
    texts_b = index.grams.texts.many(targets)
    exact = np.array([similar.jaccard(a, b) for a, b in zip(texts_a, texts_b)])
    return {
        "sampled": len(exact),
        "below_threshold": float(np.mean(exact < similar.THRESHOLD)),
        "below_0.4": float(np.mean(exact < 0.4)),
        "median": float(np.median(exact)),
        "p5": float(np.percentile(exact, 5)),
    }


def run(size: int, seed: int, workdir: Path, baseline: bool) -> dict:
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    reports = generate(learn(Path(__file__).resolve().parents[2] / "data" / "reports"), size, seed=seed)
    count = sum(len(r.paragraphs) for r in reports)
    print(f"corpus: {count:,} paragraphs", file=sys.stderr)
    results: dict = {"size": count, "seed": seed, "build": _build(reports, workdir / "index")}
    print(f"build: {results['build']}", file=sys.stderr)
    if baseline:
        results["build_without_similarity"] = _build(reports, workdir / "baseline", with_similarity=False)
        shutil.rmtree(workdir / "baseline", ignore_errors=True)
        print(f"build without similarity: {results['build_without_similarity']}", file=sys.stderr)

    # The two steps alone, on the same paragraphs, as the build runs them.
    kinds = [p.kind for r in reports for p in r.paragraphs]
    report = np.repeat(np.arange(len(reports), dtype=np.int32), [len(r.paragraphs) for r in reports])
    norms = [normalize(p.text) for r in reports for p in r.paragraphs]
    del reports
    cpu = time.process_time()
    sketches = [similar.sketch(norms[lo : lo + CHUNK]) for lo in range(0, len(norms), CHUNK)]
    results["sketch_cpu_s"] = time.process_time() - cpu
    del norms
    print(f"sketches: {results['sketch_cpu_s']:.1f} s CPU", file=sys.stderr)
    counts = similar.PairCounts()
    (workdir / "pairs").mkdir()
    _, results["pairs_wall_s"], results["pairs_cpu_s"] = _timed(
        similar.write, workdir / "pairs", sketches, kinds, report, counts
    )
    results["counts"] = vars(counts)
    print(f"pairs: {results['pairs_wall_s']:.1f} s; {counts}", file=sys.stderr)
    values = np.concatenate([s.values for s in sketches])
    del sketches

    generation = current_generation(workdir / "index")
    results["index_mb"] = dir_size(generation) / 1e6
    results["similar_mb"] = sum(p.stat().st_size for p in generation.glob("similar.*")) / 1e6
    index = ReportIndex(generation, warm=False)
    index.grams.warm()
    everyone = np.arange(len(index))
    lists = index.similar.counts_of(everyone)
    compared = index.similar.compared(everyone)
    results["paragraphs_with_matches"] = int((lists > 0).sum())
    results["listed_per_matched_paragraph"] = float(lists[lists > 0].mean()) if (lists > 0).any() else 0.0
    rng = random.Random(seed)
    any_compared = rng.sample(np.flatnonzero(compared).tolist(), min(LOOKUPS, int(compared.sum())))
    with_matches = rng.sample(np.flatnonzero(lists).tolist(), min(LOOKUPS, int((lists > 0).sum())))
    results["lookup_ms"] = _latency(lambda pid: lookup.similar_paragraphs(index, pid), any_compared)
    results["lookup_with_matches_ms"] = _latency(lambda pid: lookup.similar_paragraphs(index, pid), with_matches)
    page = index.hits(list(range(100)))
    pids = np.array([p.pid for p in page])
    results["report_page_counts_100_ms"] = _latency(lambda _: index.similar.counts_of(pids), range(200))
    chosen = rng.sample(index.reports, min(200, len(index.reports)))
    results["reuse_view_ms"] = _latency(lambda r: lookup.report_reuse(index, r), chosen)
    results["recall"] = _recall(index, values, compared, rng)
    results["precision"] = _precision(index, rng)
    return results


def format_report(r: dict) -> str:
    c = r["counts"]
    base = r.get("build_without_similarity")
    lines = [
        f"similar paragraphs, {r['size']:,} paragraphs (seed {r['seed']}):",
        f"  build time added: sketches {r['sketch_cpu_s']:.1f} s CPU (in the analysis processes), "
        f"pairs {r['pairs_wall_s']:.1f} s (build process)",
        f"  whole build: {r['build']['s']:.1f} s, peak memory {r['build']['peak_rss_mb']:,.0f} MB"
        + (
            f"; without similarity {base['s']:.1f} s, {base['peak_rss_mb']:,.0f} MB "
            f"({r['build']['s'] - base['s']:+.1f} s, {r['build']['peak_rss_mb'] - base['peak_rss_mb']:+,.0f} MB)"
            if base
            else ""
        ),
        f"  index size added: {r['similar_mb']:.1f} MB of {r['index_mb']:.0f} MB",
        f"  pairs: {c['compared']:,} paragraphs compared, {c['candidates']:,} candidates, "
        f"{c['other_reports']:,} across reports, {c['listed']:,} listed; "
        f"{r['paragraphs_with_matches']:,} paragraphs have a match ({r['listed_per_matched_paragraph']:.1f} listed each), "
        f"{c['more']:,} flagged more",
    ]
    for key, label in (
        ("lookup_ms", "lookup, random compared paragraph"),
        ("lookup_with_matches_ms", "lookup, paragraph with matches"),
        ("report_page_counts_100_ms", "report page counts, 100 paragraphs"),
        ("reuse_view_ms", "report reuse view"),
    ):
        s = r[key]
        lines.append(f"  {label}: p50 {s['p50']:.2f} ms, p95 {s['p95']:.2f} ms, max {s['max']:.2f} ms")
    recall = ", ".join(
        f"{k}: {v['listed']}/{v['pairs']}" + (f" ({v['recall']:.1%})" if v["recall"] is not None else "")
        for k, v in r["recall"].items()
    )
    lines.append(f"  recall around {RECALL_SAMPLE} random paragraphs: {recall}")
    p = r["precision"]
    if p.get("sampled"):
        lines.append(
            f"  listed pairs ({p['sampled']} sampled): exact similarity median {p['median']:.2f}, "
            f"5th percentile {p['p5']:.2f}; {p['below_threshold']:.1%} under {similar.THRESHOLD}, "
            f"{p['below_0.4']:.1%} under 0.4"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m indexer.bench.similar_cost",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--size", type=int, default=100_000, help="paragraphs to generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("data/bench/similar-work"))
    parser.add_argument("--baseline", action="store_true", help="also build without the similarity step")
    parser.add_argument("--out", type=Path, default=None, help="JSON results (default data/bench/similar-SIZE.json)")
    args = parser.parse_args(argv)
    results = run(args.size, args.seed, args.workdir, args.baseline)
    out = args.out or Path("data/bench") / f"similar-{args.size}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(format_report(results))
    shutil.rmtree(args.workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
