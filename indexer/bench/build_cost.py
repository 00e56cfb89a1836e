"""What building and updating cost, everything included: `python -m indexer.bench.build_cost --size N`.

The benchmark's generated corpus (corpus.py) is written as one .txt file per report, then
`python -m indexer build` runs as a user runs it, in its own process: reading the files,
analysing, writing Whoosh and the engine's files, copying the sources. Reported: wall
time, paragraphs per second, peak memory of the build's whole process tree (the sum of
the proportional set sizes, PSS, of the build and its workers, sampled every 0.2 s), and
the index size. Then, once the build's files are on disk, three updates of the built index,
each a `python -m indexer update` process (interpreter start included): one report added,
one changed, one removed.

Results go to data/bench/build-N.json.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from indexer.bench.corpus import generate, learn
from indexer.bench.load import process_tree
from indexer.bench.run import write_results

ROOT = Path(__file__).resolve().parents[2]


def pss_mb(pid: int) -> float:
    """Proportional set size of a process and its descendants, in MB (shared pages counted once)."""
    total = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("Pss:"))
        except (OSError, StopIteration, ValueError):
            pass
    return total / 1024


def timed_run(args: list[str]) -> tuple[float, float, str]:
    """Run `python -m indexer ARGS`; (wall seconds, peak PSS MB of its process tree, last output line)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "indexer", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    peak = 0.0
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, pss_mb(proc.pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"indexer {args[0]} exited with {proc.returncode}")
    return seconds, peak, (out.strip().splitlines() or [""])[-1]


def write_corpus(size: int, seed: int, folder: Path) -> int:
    """The generated corpus as .txt files (title and paragraphs, one per line); returns the paragraphs."""
    folder.mkdir(parents=True)
    paragraphs = 0
    for report in generate(learn(ROOT / "data" / "reports"), size, seed=seed):
        (folder / report.source).write_text("\n".join(p.text for p in report.paragraphs) + "\n", encoding="utf-8")
        paragraphs += len(report.paragraphs)
    return paragraphs


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def run(size: int, seed: int, workdir: Path, data: Path | None = None) -> dict:
    shutil.rmtree(workdir / "index", ignore_errors=True)
    if data is None:
        data = workdir / "reports"
        shutil.rmtree(data, ignore_errors=True)
        write_corpus(size, seed, data)
    index = workdir / "index"
    seconds, peak, line = timed_run(["build", "--data", str(data), "--index", str(index)])
    paragraphs = int(line.split(" reports, ")[1].split(" paragraphs")[0])
    generation = index / (index / "CURRENT").read_text(encoding="utf-8").strip()
    results = {
        "size": paragraphs,
        "build_s": seconds,
        "paragraphs_per_s": paragraphs / seconds,
        "peak_mb": peak,
        "index_mb": dir_mb(generation),
        "updates": {},
    }
    print(f"build: {seconds:.1f} s, {paragraphs / seconds:,.0f} paragraphs/s, peak {peak:,.0f} MB", file=sys.stderr)
    # Updates are timed once the build's files are on disk: right after a build, the kernel is still
    # writing its gigabytes out, and an update then took 3-6 s instead of under 2 at 1M.
    os.sync()
    rng = random.Random(seed)
    files = sorted(data.glob("*.txt"))
    new = data / "zz_added_report.txt"
    changes = {
        "add": lambda: new.write_text(files[rng.randrange(len(files))].read_text(encoding="utf-8"), encoding="utf-8"),
        "change": lambda: files[0].write_text(
            files[0].read_text(encoding="utf-8") + "补充说明：法律明白人培养工程。\n", encoding="utf-8"
        ),
        "remove": lambda: new.unlink(),
    }
    for name, change in changes.items():
        change()
        seconds, peak, line = timed_run(["update", "--data", str(data), "--index", str(index)])
        results["updates"][name] = {"s": seconds, "peak_mb": peak, "line": line}
        print(f"update ({name}): {seconds:.2f} s: {line}", file=sys.stderr)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer.bench.build_cost", description=__doc__)
    parser.add_argument("--size", type=int, default=100_000, help="paragraphs to generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("data/bench/build"))
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="an existing folder of report files to use instead of generating one (it is modified)",
    )
    args = parser.parse_args(argv)
    write_results("build", run(args.size, args.seed, args.workdir, args.data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
