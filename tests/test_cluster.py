"""Reading on a Dask cluster (`build --scheduler`): a real scheduler and two workers on 127.0.0.1,
one of them killed mid-run, and an index equal to a local build's."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from indexer.engine import cluster
from indexer.engine.build import BuildError, build
from indexer.engine.search import ReportIndex
from tests.conftest import REPORTS, ROOT, SCANS, SEED_FILES, env, live_texts

DASK = Path(sys.executable).parent / "dask"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(*args: str) -> subprocess.Popen:
    """A `dask` command run from the project folder (its workers import indexer from it)."""
    environment = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    return subprocess.Popen(
        [str(DASK), *args], cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


@pytest.fixture()
def dask_cluster():
    """A scheduler and two single-thread workers (no nanny: a killed worker stays dead)."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{free_port()}"
    procs = [start("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard")]
    workers = []
    try:
        for name in ("w1", "w2"):
            workers.append(start("worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard", "--name", name))
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        yield address, workers
    finally:
        for proc in workers + procs:
            proc.kill()
            proc.wait()


def scan_folder_with_text(target: Path) -> Path:
    target.mkdir()
    for name in ("001_306774baeec4f768-scan.tif", "003_d3398cc9e2436e99-scan.jpg", "004_820d76132354570c-scan.png"):
        shutil.copy(SCANS / name, target / name)
    for name in SEED_FILES:
        shutil.copy(REPORTS / name, target / name)
    return target


def test_a_build_on_the_cluster_equals_a_local_build_though_a_worker_is_lost(tmp_path, ocr_cache_dir, dask_cluster):
    address, workers = dask_cluster
    data = scan_folder_with_text(tmp_path / "reports")
    with env(OCR_CACHE=str(ocr_cache_dir)):
        local = build(data, tmp_path / "local")
    assert not local.skipped

    cache = tmp_path / "cluster-cache"  # empty: the workers run OCR
    outcome = {}

    def run():
        try:
            outcome["summary"] = build(data, tmp_path / "remote")
        except BaseException as exc:  # noqa: BLE001 - raised in the test below
            outcome["error"] = exc

    with env(OCR_CACHE=str(cache), **{cluster.ENV: address}):
        builder = threading.Thread(target=run)
        builder.start()
        deadline = time.monotonic() + 300
        while builder.is_alive() and not any(cache.rglob("*.json")) and time.monotonic() < deadline:
            time.sleep(0.05)
        workers[0].kill()  # mid-run: the first OCR result is back, the other scans are being read
        builder.join(600)
    assert "error" not in outcome, outcome.get("error")
    summary = outcome["summary"]
    assert not summary.skipped
    assert summary.ocr_pages == 4  # read on the workers, and kept in this machine's cache
    assert len(list(cache.rglob("*.json"))) == 3
    remote, here = ReportIndex.open(tmp_path / "remote"), ReportIndex.open(tmp_path / "local")
    assert remote.reports_by_path == here.reports_by_path
    assert live_texts(remote) == live_texts(here)


def test_an_unreachable_scheduler_is_one_line(tmp_path):
    data = scan_folder_with_text(tmp_path / "reports")
    with env(**{cluster.ENV: f"tcp://127.0.0.1:{free_port()}"}), pytest.raises(BuildError, match="cannot reach"):
        build(data, tmp_path / "index")
