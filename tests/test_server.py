"""The real server: worker processes that share one port and stop with their parent, a warm index kept out
of the garbage collector's sight, and as many connections as the open-file limit allows."""

import gc
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from indexer.bench.load import free_port, process_tree
from search_app import create_app, server
from search_app.server import freeze_when_warm
from search_app.store import opened_index
from tests.conftest import ROOT


def test_workers_share_the_port_and_end_with_the_server(index_dir):
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "search_app",
            "--no-build",
            "--index",
            str(index_dir),
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while len(process_tree(proc.pid)) < 3:
            assert time.time() < deadline and proc.poll() is None
            time.sleep(0.05)
        workers = process_tree(proc.pid)[1:]
        statuses = []
        for _ in range(40):
            for _ in range(50):
                try:
                    with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/api/search?q=%E6%B3%95%E6%B2%BB", timeout=5
                    ) as r:
                        statuses.append(r.status)
                    break
                except OSError:
                    time.sleep(0.1)
        assert statuses == [200] * 40
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    time.sleep(0.3)
    assert not any(
        Path(f"/proc/{w}").exists() and "Z" not in Path(f"/proc/{w}/stat").read_text().split(")")[-1][:3]
        for w in workers
    )


def test_the_warm_index_is_frozen_out_of_the_collectors_sight_once_per_index(index_dir):
    """A full collection must not walk the index's objects while requests wait (search_app/server.py)."""
    app = create_app({"INDEX_DIR": index_dir})
    assert freeze_when_warm(app) is None  # nothing opened yet
    assert app.test_client().get("/api/search?q=%E6%B3%95%E6%B2%BB").status_code == 200
    index = opened_index(app)
    assert index.warmed.wait(60)
    try:
        assert "_corpus_reuse" not in vars(index)  # a search does not need the corpus-wide reuse figures
        assert freeze_when_warm(app) is index
        assert "_corpus_reuse" in vars(index)  # worked out before the freeze, not by a report page's visitor
        frozen = gc.get_freeze_count()
        assert frozen > 10_000
        assert freeze_when_warm(app, index) is index and gc.get_freeze_count() == frozen  # not again
    finally:
        gc.unfreeze()


@pytest.mark.parametrize(
    "soft, hard, raised_to, limit",
    [
        (1024, 1024, None, 960),  # a desktop's usual limit: fewer connections than asked, room for files
        (1024, 20000, 20000, 1000),  # raised to the hard limit first
        (100, 100, None, 36),
        (40, 40, None, 16),  # never below a handful
    ],
)
def test_connections_fit_under_the_open_file_limit(monkeypatch, soft, hard, raised_to, limit):
    raised = []
    monkeypatch.setattr(server.resource, "getrlimit", lambda which: (soft, hard))
    monkeypatch.setattr(server.resource, "setrlimit", lambda which, limits: raised.append(limits[0]))
    assert server.fit_connection_limit(1000) == limit
    assert raised == ([raised_to] if raised_to else [])
