"""What proximity costs: `python -m indexer.bench.proximity_cost --index data/bench/work/index`.

For pairs of terms (common terms of the genre, and pairs of words drawn from one sentence of
the corpus), the first page (10 hits by relevance, exact total) of `A /s B`, `A /5 B`,
`A /20 B` and `A /50 B` is timed against the same terms ANDed (`A B`), in one process on one
warm index, each query in turn. Reported: p50 and p95 per operator and the ratio to AND, and
how many paragraphs each keeps of the AND's. Results go to data/bench/proximity-N.json.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

from indexer.bench.run import COMMON_TERMS, percentiles
from indexer.engine.query import parse_query
from indexer.engine.search import ReportIndex

OPERATORS = ["/s", "/5", "/20", "/50"]


def pairs(index: ReportIndex, rng: random.Random, count: int) -> list[tuple[str, str]]:
    """count pairs: half common terms of the genre, half two words of one sentence of the corpus."""
    out = [tuple(rng.sample(COMMON_TERMS, 2)) for _ in range(count // 2)]
    live = np.flatnonzero(index.live)
    while len(out) < count:
        text = index.texts.many(np.array([rng.choice(live)]))[0]
        words = re.findall(r"[\u4e00-\u9fff]{2,4}", rng.choice(re.split("[。!?;]", text)))
        if len(words) >= 2:
            out.append(tuple(rng.sample(words, 2)))
    return out


def timed(index: ReportIndex, text: str) -> tuple[float, int]:
    index.grams.clear_cache()
    start = time.perf_counter()
    total = index.search(parse_query(text), limit=10).total
    return time.perf_counter() - start, total


def run(index_dir: Path, count: int, seed: int) -> dict:
    index = ReportIndex.open(index_dir)
    index.warmed.wait()
    chosen = pairs(index, random.Random(seed), count)
    samples: dict[str, list[float]] = {"AND": [], **{op: [] for op in OPERATORS}}
    kept: dict[str, list[float]] = {op: [] for op in OPERATORS}
    for a, b in chosen:
        t, everywhere = timed(index, f"{a} {b}")
        samples["AND"].append(t)
        for op in OPERATORS:
            t, near = timed(index, f"{a} {op} {b}")
            samples[op].append(t)
            if everywhere:
                kept[op].append(near / everywhere)
    base = percentiles(samples["AND"])
    results = {
        "paragraphs": int(index.live.sum()),
        "pairs": len(chosen),
        "AND": base,
        "operators": {
            op: {
                **(stats := percentiles(samples[op])),
                "p50_ratio": stats["p50"] / base["p50"],
                "p95_ratio": stats["p95"] / base["p95"],
                "kept_share_mean": float(np.mean(kept[op])) if kept[op] else None,
            }
            for op in OPERATORS
        },
    }
    return results


def format_table(results: dict) -> str:
    lines = [
        f"proximity at {results['paragraphs']:,} paragraphs ({results['pairs']} pairs, first page of 10, ms)",
        "| query | p50 | p95 | p50 / AND | p95 / AND | share of AND's hits kept |",
        "|---|---|---|---|---|---|",
        f"| A B | {results['AND']['p50']:.1f} | {results['AND']['p95']:.1f} | 1 | 1 | 1 |",
    ]
    for op, s in results["operators"].items():
        share = "-" if s["kept_share_mean"] is None else f"{s['kept_share_mean']:.2f}"
        lines.append(
            f"| A {op} B | {s['p50']:.1f} | {s['p95']:.1f} | {s['p50_ratio']:.2f} | {s['p95_ratio']:.2f} | {share} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer.bench.proximity_cost", description=__doc__)
    parser.add_argument("--index", type=Path, default=Path("data/bench/work/index"))
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    results = run(args.index, args.pairs, args.seed)
    out = Path("data/bench") / f"proximity-{results['paragraphs']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(format_table(results))
    print(f"results written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
