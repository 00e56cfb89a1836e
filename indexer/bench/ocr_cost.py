"""What reading scans costs, and how well they are read: `python -m indexer.bench.ocr_cost`.

The five bundled reports are printed, sealed and "scanned" into image-only A4 PDFs by
tests/fixtures/make_scans.py (once, into data/bench/scans; needs Chromium and pdftoppm:
`make browser`). Then, each a `python -m indexer build` process as a user runs it:

- a cold build with an empty OCR cache: OCR pages per second on this machine (every page read
  by the engine, one onnxruntime thread in each of the two reading processes), and the peak
  memory (RSS) of one reading process and of the whole build;
- a rebuild with the cache warm: its time, and the pages OCR read (none).

Then the scans' index is checked against the true text: PHRASES phrases of 8 Chinese characters
sampled from the paragraphs of each report's .txt, and every such phrase, must be found in the
scanned copy; the township and year read from the scan must be those read from the .txt.
`--recall-only` checks an index already built.

Results go to data/bench/ocr-PAGES.json.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from indexer.bench.load import process_tree
from indexer.bench.run import write_results

ROOT = Path(__file__).resolve().parents[2]
PHRASES = 40


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:")) / 1024
    except (OSError, StopIteration, ValueError):
        return 0.0


def timed_build(data: Path, index: Path, cache: Path, *extra: str) -> dict:
    """Run `python -m indexer build`; its wall time, last line, and peak RSS of the whole tree and
    of the largest process other than the first (a reading process)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "indexer", "build", "--data", data, "--index", index, "--ocr-cache", cache, *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    tree_peak = worker_peak = 0.0
    done = threading.Event()

    def sample():
        nonlocal tree_peak, worker_peak
        while not done.is_set():
            sizes = {pid: rss_mb(pid) for pid in process_tree(proc.pid)}
            tree_peak = max(tree_peak, sum(sizes.values()))
            worker_peak = max([worker_peak] + [mb for pid, mb in sizes.items() if pid != proc.pid])
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    line = (out.strip().splitlines() or [""])[-1]
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"indexer build exited with {proc.returncode}")
    pages = re.search(r"OCR (\d+) pages, (\d+) from the cache", line)
    return {
        "s": seconds,
        "line": line,
        "ocr_pages": int(pages[1]) if pages else 0,
        "cached_pages": int(pages[2]) if pages else 0,
        "problems": [line for line in err.splitlines() if line.startswith(("skipped:", "warning:", "error:"))],
        "tree_peak_mb": tree_peak,
        "reader_peak_mb": worker_peak,
    }


def make_scans(folder: Path) -> None:
    if folder.is_dir() and any(folder.glob("*.pdf")):
        return
    subprocess.run([sys.executable, "-m", "tests.fixtures.make_scans", "--all", str(folder)], cwd=ROOT, check=True)


def recall(index_dir: Path, seed: int) -> dict:
    """Per report: phrases of its true text found in its scanned copy, and whether its township and
    year agree with the true text's."""
    from indexer.documents.report import parse_report
    from indexer.engine.query import parse_query
    from indexer.engine.search import ReportIndex
    from indexer.text.normalize import normalize

    index = ReportIndex.open(index_dir)
    rng = random.Random(seed)
    out = {}
    for meta in index.reports_by_path:
        true = parse_report(ROOT / "data" / "reports" / (meta["source"].split("-scan")[0] + ".txt"))
        spans = [
            text[i : i + 8]
            for p in true.paragraphs
            for text in [normalize(p.text)]
            for i in range(len(text) - 7)
            if re.fullmatch(r"[\u4e00-\u9fff]{8}", text[i : i + 8])
        ]

        def found(phrase: str, report_id: str = meta["report_id"]) -> bool:
            return report_id in {h.report_id for h in index.search(parse_query(phrase), limit=None).hits}

        sample = rng.sample(spans, min(PHRASES, len(spans)))
        out[meta["source"]] = {
            "phrases": len(sample),
            "found": sum(map(found, sample)),
            "all_phrases": len(spans),
            "all_found": sum(map(found, spans)),
            "township_right": meta["township"] == true.township,
            "year_right": meta["year"] == true.year,
            "confidence": meta["ocr"]["confidence"],
            "pages": meta["ocr"]["pages"],
        }
    return out


def run(workdir: Path, seed: int) -> dict:
    scans = workdir.parent / "scans"
    make_scans(scans)
    index, cache = workdir / "index", workdir / "cache"
    shutil.rmtree(workdir, ignore_errors=True)
    cold = timed_build(scans, index, cache)
    print(f"cold: {cold['s']:.1f} s, {cold['ocr_pages'] / cold['s']:.2f} pages/s: {cold['line']}", file=sys.stderr)
    warm = timed_build(scans, index, cache)
    print(f"warm rebuild: {warm['s']:.2f} s: {warm['line']}", file=sys.stderr)
    read = recall(index, seed)
    phrases = sum(r["phrases"] for r in read.values())
    found = sum(r["found"] for r in read.values())
    every = sum(r["all_phrases"] for r in read.values())
    every_found = sum(r["all_found"] for r in read.values())
    print(
        f"phrases found: {found} of {phrases} sampled ({found / phrases:.1%}); every 8-character phrase of "
        f"every paragraph: {every_found} of {every} ({every_found / every:.1%})",
        file=sys.stderr,
    )
    return {
        "size": cold["ocr_pages"],
        "ocr_pages_per_s": cold["ocr_pages"] / cold["s"],
        "cold": cold,
        "warm_rebuild": warm,
        "phrase_recall": found / phrases,
        "phrase_recall_all": every_found / every,
        "reports": read,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer.bench.ocr_cost", description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("data/bench/ocr"))
    parser.add_argument("--recall-only", action="store_true", help="check the index of the last run only")
    args = parser.parse_args(argv)
    if args.recall_only:
        print(json.dumps(recall(args.workdir / "index", args.seed), ensure_ascii=False, indent=1))
        return 0
    write_results("ocr", run(args.workdir, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
