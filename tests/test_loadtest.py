"""The load benchmark, for correctness only (never timing): it drives the real waitress server, every URL of
its mix is a real page of the site, and failures are counted as errors."""

import json
import random
import socket

import pytest

from indexer.bench.load import WEIGHTS, check_urls, format_table, free_port, main, make_mix, run_level, start_server
from tests.conftest import REPORTS


@pytest.fixture(scope="module")
def server(index_dir):
    with start_server(REPORTS, index_dir, build=False) as running:
        yield running


@pytest.fixture(scope="module")
def mix(server):
    return make_mix(server.url, random.Random(1))


def test_mix_is_deterministic_and_has_every_kind(server, mix):
    assert make_mix(server.url, random.Random(1)) == mix
    counts = {kind: sum(k == kind for k, _ in mix) for kind in WEIGHTS}
    assert counts["search"] > counts["api-search"] > counts["report"] > counts["compare"] > counts["export"] > 0
    assert counts["api-reports"] > 0
    assert all(path.isascii() for _, path in mix)  # the Chinese is percent-encoded
    assert any("%E6%B3%95%E6%B2%BB" in path for _, path in mix)  # 法治
    assert any("year=" in p for _, p in mix) and any("section=" in p for _, p in mix)
    assert any("page=2" in p for _, p in mix)
    assert any(p.startswith("/reports/") and "?q=" in p for _, p in mix)
    assert any(p.startswith("/reports/") and "?" not in p for _, p in mix)


def test_every_url_of_the_mix_answers_200(server, mix):
    assert check_urls(server.url, mix) == []


def test_a_level_runs_without_errors(server, mix):
    result = run_level(server.url, mix, clients=4, seconds=2, pid=server.pid)
    assert result["requests"] > 0 and result["clients"] == 4
    assert result["errors"] == 0, result["error_samples"]
    assert set(result["by_kind"]) == set(WEIGHTS)
    for kind, row in result["by_kind"].items():
        assert row["requests"] > 0, kind
        assert row["statuses"] == {"200": row["requests"]}, kind
    assert result["rss_before_mb"] > 0 and result["rss_after_mb"] > 0
    assert result["server_cpu_s"] > 0 and result["client_cpu_s"] > 0
    assert result["p50"] <= result["p95"] <= result["p99"] <= result["max"]
    table = format_table({"levels": [result], "reports": 5, "mix_size": len(mix), "seconds": 2, "machine": "test"})
    assert "| 4 |" in table and "errors 0 (ok)" in table


def test_wrong_status_is_an_error(server):
    urls = [("search", "/search?q=%E6%B3%95%E6%B2%BB"), ("report", "/reports/no-such-report")]
    result = run_level(server.url, urls, clients=2, seconds=0.5)
    assert result["by_kind"]["report"]["statuses"].keys() == {"404"}
    assert result["errors"] == result["by_kind"]["report"]["requests"] > 0
    assert result["by_kind"]["search"]["errors"] == 0
    assert any("status 404" in s for s in result["error_samples"])
    assert check_urls(server.url, urls) == ["report /reports/no-such-report: status 404"]


def test_closed_port_and_silent_server_are_errors():
    closed = run_level(f"http://127.0.0.1:{free_port()}", [("search", "/search?q=x")], clients=2, seconds=0.3)
    assert closed["requests"] > 0 and closed["errors"] == closed["requests"]
    assert "ConnectionRefusedError" in closed["error_samples"][0]
    with socket.socket() as silent:  # accepts connections (the kernel does) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        hung = run_level(f"http://127.0.0.1:{port}", [("search", "/search?q=x")], clients=2, seconds=0.1, timeout=0.3)
    assert hung["requests"] == hung["errors"] == 2
    assert "timeout" in hung["error_samples"][0]


def test_main_starts_the_server_and_prints_json(index_dir, capsys):
    code = main(
        [
            "--data",
            str(REPORTS),
            "--index",
            str(index_dir),
            "--no-build",
            "--clients",
            "1,3",
            "--seconds",
            "0.5",
            "--json",
        ]
    )
    results = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [r["clients"] for r in results["levels"]] == [1, 3]
    assert results["reports"] == 5 and all(r["errors"] == 0 for r in results["levels"])
    assert all(r["rss_before_mb"] > 0 for r in results["levels"])


def test_main_drives_a_running_server(server, capsys):
    assert main(["--url", server.url, "--clients", "2", "--seconds", "0.3"]) == 0
    out = capsys.readouterr().out
    assert "| 2 |" in out and "goal: errors 0 (ok)" in out
    assert "| - | - |" in out and "MB (" not in out  # no --pid: no RSS figures
