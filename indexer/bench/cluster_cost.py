"""OCR throughput on a Dask cluster: `python -m indexer.bench.cluster_cost [--workers 1,2]`.

For each number of workers, a scheduler and that many single-thread worker processes are
started on 127.0.0.1 (`dask scheduler`, `dask worker --nthreads 1`), and the bench scans
(data/bench/scans, made by ocr_cost) are built with `build --scheduler` and an empty OCR cache:
every page is read by OCR on the workers. Reported: wall time and OCR pages per second.
On one machine this measures the cost of the cluster's plumbing against the local process
pool (ocr_cost's cold build); across machines the pages per second add up per worker.

Results go to data/bench/cluster-PAGES.json.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from indexer.bench.ocr_cost import make_scans, timed_build
from indexer.bench.run import write_results

ROOT = Path(__file__).resolve().parents[2]
DASK = Path(sys.executable).parent / "dask"


def _start(*args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    return subprocess.Popen([str(DASK), *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def on_cluster(workers: int, scans: Path, workdir: Path) -> dict:
    from distributed import Client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    procs = [_start("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")]
    try:
        procs += [_start("worker", address, "--nthreads", "1", "--no-dashboard") for _ in range(workers)]
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(workers, timeout=120)
        shutil.rmtree(workdir, ignore_errors=True)
        result = timed_build(scans, workdir / "index", workdir / "cache", "--scheduler", address)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    result["pages_per_s"] = result["ocr_pages"] / result["s"]
    print(f"{workers} worker(s): {result['s']:.1f} s, {result['pages_per_s']:.2f} pages/s", file=sys.stderr)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer.bench.cluster_cost", description=__doc__)
    parser.add_argument("--workers", default="1,2", help="numbers of workers to measure, comma-separated")
    parser.add_argument("--workdir", type=Path, default=Path("data/bench/cluster"))
    parser.add_argument("--scans", type=Path, help="a folder of scans (default: data/bench/scans, made by ocr_cost)")
    args = parser.parse_args(argv)
    scans = args.scans or args.workdir.parent / "scans"
    if args.scans is None:
        make_scans(scans)
    runs = {n: on_cluster(int(n), scans, args.workdir) for n in args.workers.split(",")}
    write_results(
        "cluster", {"size": next(iter(runs.values()))["ocr_pages"], "workers": runs, "at": time.strftime("%F %T")}
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
