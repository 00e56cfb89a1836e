"""The load benchmark for `python -m indexer.bench.load` (`make loadtest`): drive the real waitress server over
loopback with 1, 8, 32 and 64 concurrent clients, each level for a bounded time, using a realistic mix of
search pages, the API, report pages, compare and CSV export; report req/s, p50/p95/p99, errors and the
server's RSS before and after every level.

The clients are coroutines on one asyncio event loop (cheap, so they do not take the CPU from the server),
each sending one request at a time over a fresh connection (HTTP/1.1, Connection: close) and reading the
response to EOF. A request is an error unless it answers 200 with its whole body within the timeout."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import numpy as np

from indexer.bench.corpus import random_needle
from indexer.documents.sections import SECTIONS

ROOT = Path(__file__).resolve().parents[2]

COMMON_TERMS = [
    "法治",
    "法律明白人",
    "普法",
    "依法行政",
    "调解",
    "法治政府建设",
    "矛盾纠纷",
    "宣传",
    "行政执法",
    "第一责任人",
]

#: Each kind of URL in the mix and its share of the requests.
WEIGHTS = {"search": 45, "api-search": 20, "report": 15, "compare": 10, "export": 5, "api-reports": 5}

GOAL_P99_MS = 250.0


# --- the server ---------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_tree(pid: int) -> list[int]:
    """pid and its descendants (the server's worker processes)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children") as fh:
                todo += [int(c) for c in fh.read().split()]
        except (OSError, ValueError):
            pass
    return out


def _sum(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def rss_mb(pid: int) -> float | None:
    """The resident memory (VmRSS) of a process and its worker processes in MB, or None when unreadable."""

    def one(p: int) -> float | None:
        try:
            with open(f"/proc/{p}/status") as fh:
                return next(int(line.split()[1]) / 1024 for line in fh if line.startswith("VmRSS:"))
        except (OSError, StopIteration, ValueError):
            return None

    return _sum([one(p) for p in process_tree(pid)])


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds used so far by a process and its worker processes (from /proc/<pid>/stat)."""

    def one(p: int) -> float | None:
        try:
            with open(f"/proc/{p}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None

    return _sum([one(p) for p in process_tree(pid)])


def http_get(url: str, timeout: float = 10.0) -> tuple[int, bytes]:
    """A plain blocking GET (for setting up, not for measuring): status and body; 4xx/5xx do not raise."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@dataclass
class Server:
    """A `python -m search_app` subprocess serving on loopback; its output goes to log_path (a temporary file,
    removed by stop(), unless start_server was given one)."""

    proc: subprocess.Popen
    url: str
    log_path: Path
    _log: object = field(repr=False, default=None)
    _temp_log: bool = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()

    def stop(self) -> int:
        """Terminate the server and wait for it; returns its exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
            if self._temp_log:
                self.log_path.unlink(missing_ok=True)
        return self.proc.returncode

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_server(
    data: Path,
    index: Path,
    *,
    port: int | None = None,
    build: bool = True,
    threads: int | None = None,
    workers: int | None = None,
    request_timeout: float | None = None,
    connection_limit: int | None = None,
    log_path: Path | None = None,
    startup_s: float = 300.0,
) -> Server:
    """Start the real site (building the index first when stale unless build=False) and wait until it answers."""
    port = port or free_port()
    temp_log = log_path is None
    if temp_log:
        fd, name = tempfile.mkstemp(prefix="loadtest-server-", suffix=".log")
        os.close(fd)
        log_path = Path(name)
    cmd = [
        sys.executable,
        "-m",
        "search_app",
        "--data",
        str(Path(data).resolve()),
        "--index",
        str(Path(index).resolve()),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    if not build:
        cmd.append("--no-build")
    if threads:
        cmd += ["--threads", str(threads)]
    if workers:
        cmd += ["--workers", str(workers)]
    if request_timeout:
        cmd += ["--request-timeout", str(request_timeout)]
    if connection_limit:
        cmd += ["--connection-limit", str(connection_limit)]
    log = open(log_path, "w", encoding="utf-8")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    server = Server(proc, f"http://127.0.0.1:{port}", log_path, log, temp_log)
    deadline = time.monotonic() + startup_s
    while True:
        if proc.poll() is not None:
            tail = "\n".join(server.log_lines()[-20:])
            server.stop()
            raise RuntimeError(f"the server exited with {proc.returncode}:\n{tail}")
        try:
            if http_get(server.url + "/api/reports", timeout=2)[0] == 200:
                return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            tail = "\n".join(server.log_lines()[-20:])
            server.stop()
            raise RuntimeError(f"the server did not answer within {startup_s:.0f} s:\n{tail}")
        time.sleep(0.2)


# --- the mix of URLs ----------------------------------------------------------------------------------------


def _q(path: str, **params) -> str:
    pairs = [(k, v) for k, v in params.items() if v is not None]
    return path + ("?" + urlencode(pairs, quote_via=quote) if pairs else "")


def make_mix(base_url: str, rng: random.Random, size: int = 200) -> list[tuple[str, str]]:
    """(kind, path) pairs in the proportions of WEIGHTS, built from the live site's reports so every one is a
    real URL that answers 200: common terms and random substrings of report text, some with year or section
    filters or page 2, report pages with and without ?q=, compare, CSV export and the report list."""
    status, body = http_get(base_url + "/api/reports")
    if status != 200:
        raise RuntimeError(f"GET /api/reports answered {status}")
    reports = json.loads(body)["reports"]
    if not reports:
        raise RuntimeError("the index has no reports to load-test with")
    texts: list[str] = []
    for r in reports:
        status, body = http_get(base_url + "/api/reports/" + quote(r["report_id"], safe=""))
        if status != 200:
            raise RuntimeError(f"GET /api/reports/{r['report_id']} answered {status}")
        texts += [p["text"] for p in json.loads(body)["content"] if p.get("text")]
    ids = [r["report_id"] for r in reports]
    years = sorted({r["year"] for r in reports if r.get("year")})

    def query() -> str:
        return rng.choice(COMMON_TERMS) if rng.random() < 0.5 else random_needle(texts, rng, 4)

    def search(path: str) -> str:
        roll = rng.random()
        if roll < 0.15 and years:
            return _q(path, q=query(), year=rng.choice(years))
        if roll < 0.30:
            return _q(path, q=query(), section=rng.choice(list(SECTIONS)))
        if roll < 0.40:
            return _q(path, q=rng.choice(COMMON_TERMS), page=2)
        return _q(path, q=query())

    makers = {
        "search": lambda: search("/search"),
        "api-search": lambda: search("/api/search"),
        "report": lambda: _q("/reports/" + quote(rng.choice(ids), safe=""), q=query() if rng.random() < 0.5 else None),
        "compare": lambda: _q("/compare", q=query()),
        "export": lambda: _q("/export.csv", q=query()),
        "api-reports": lambda: "/api/reports",
    }
    total = sum(WEIGHTS.values())
    mix = [(kind, makers[kind]()) for kind, w in WEIGHTS.items() for _ in range(max(1, round(size * w / total)))]
    rng.shuffle(mix)
    return mix


# --- the clients --------------------------------------------------------------------------------------------


async def fetch(host: str, port: int, path: str) -> tuple[int, int]:
    """One GET over a fresh connection, read to EOF: (status, body bytes). Raises ValueError for a malformed
    or truncated response and OSError for connection errors."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: loadtest\r\nConnection: close\r\n\r\n".encode(
                "ascii"
            )
        )
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.close()
    head, sep, body = raw.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    if not sep or len(status_line) < 2 or not status_line[0].startswith(b"HTTP/") or not status_line[1].isdigit():
        raise ValueError(f"malformed response ({len(raw)} bytes)")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and int(value) != len(body):
            raise ValueError(f"truncated body: {len(body)} of {int(value)} bytes")
    return int(status_line[1]), len(body)


def _pct(samples: list[float]) -> dict:
    if not samples:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ms = np.array(samples) * 1000
    return {
        "p50": float(np.percentile(ms, 50)),
        "p95": float(np.percentile(ms, 95)),
        "p99": float(np.percentile(ms, 99)),
        "max": float(ms.max()),
    }


async def _run_clients(
    host: str, port: int, urls: list[tuple[str, str]], clients: int, seconds: float, timeout: float
) -> tuple[list[tuple], float]:
    records: list[tuple] = []  # (kind, path, status or None, latency s, error text or None)
    deadline = time.perf_counter() + seconds

    async def client(i: int) -> None:
        n = i * len(urls) // clients  # each client walks the mix from its own offset
        while time.perf_counter() < deadline:
            kind, path = urls[n % len(urls)]
            n += 1
            start = time.perf_counter()
            try:
                status, _ = await asyncio.wait_for(fetch(host, port, path), timeout)
            except asyncio.TimeoutError:
                records.append((kind, path, None, time.perf_counter() - start, f"timeout after {timeout:g} s"))
            except (OSError, ValueError) as exc:
                records.append((kind, path, None, time.perf_counter() - start, f"{type(exc).__name__}: {exc}"))
                await asyncio.sleep(0.01)  # a refused connection fails at once; do not spin
            else:
                records.append(
                    (kind, path, status, time.perf_counter() - start, None if status == 200 else f"status {status}")
                )

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return records, time.perf_counter() - t0


def run_level(
    base_url: str,
    urls: list[tuple[str, str]],
    clients: int,
    seconds: float,
    timeout: float = 10.0,
    pid: int | None = None,
) -> dict:
    """Run `clients` concurrent clients over the mix for `seconds` (requests under way then are finished and
    counted). Latency is from opening the connection to the last byte of the body. Returns requests, req/s,
    p50/p95/p99/max ms, errors (any answer but 200, connection errors, timeouts, truncated bodies) with a few
    samples, a per-kind breakdown, the CPU seconds the clients used, and, when pid is given, the server's RSS
    before and after and the CPU seconds it used."""
    parts = urlsplit(base_url)
    rss_before = rss_mb(pid) if pid else None
    server_cpu = cpu_seconds(pid) if pid else None
    client_cpu = time.process_time()
    records, elapsed = asyncio.run(_run_clients(parts.hostname, parts.port or 80, urls, clients, seconds, timeout))
    client_cpu = time.process_time() - client_cpu
    server_end = cpu_seconds(pid) if pid else None
    server_cpu = server_end - server_cpu if server_cpu is not None and server_end is not None else None
    rss_after = rss_mb(pid) if pid else None
    errors = [r for r in records if r[4] is not None]
    by_kind: dict = {}
    for kind in dict.fromkeys([k for k, _ in urls]):
        mine = [r for r in records if r[0] == kind]
        statuses: dict = {}
        for r in mine:
            key = str(r[2]) if r[2] is not None else "none"
            statuses[key] = statuses.get(key, 0) + 1
        by_kind[kind] = {
            "requests": len(mine),
            "errors": sum(r[4] is not None for r in mine),
            "statuses": statuses,
            **_pct([r[3] for r in mine]),
        }
    samples = list(dict.fromkeys(f"{r[4]}: {r[0]} {r[1]}" for r in errors))[:5]
    return {
        "clients": clients,
        "seconds": elapsed,
        "requests": len(records),
        "rps": len(records) / elapsed if elapsed else 0.0,
        **_pct([r[3] for r in records]),
        "errors": len(errors),
        "error_samples": samples,
        "by_kind": by_kind,
        "rss_before_mb": rss_before,
        "rss_after_mb": rss_after,
        "client_cpu_s": client_cpu,
        "server_cpu_s": server_cpu,
    }


def check_urls(base_url: str, urls: list[tuple[str, str]], timeout: float = 10.0) -> list[str]:
    """Request every URL of the mix once, one at a time (this also warms the server up); the ones that did
    not answer 200, as readable lines."""
    parts = urlsplit(base_url)

    async def all_of_them() -> list[str]:
        bad = []
        for kind, path in dict.fromkeys(urls):
            try:
                status, _ = await asyncio.wait_for(fetch(parts.hostname, parts.port or 80, path), timeout)
            except (asyncio.TimeoutError, OSError, ValueError) as exc:
                bad.append(f"{kind} {path}: {type(exc).__name__} {exc}")
            else:
                if status != 200:
                    bad.append(f"{kind} {path}: status {status}")
        return bad

    return asyncio.run(all_of_them())


# --- the report ---------------------------------------------------------------------------------------------


def _mb(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "-"


def _ms(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "-"


def _share(cpu_s: float | None, seconds: float) -> str:
    return f"{100 * cpu_s / seconds:.0f}%" if cpu_s is not None and seconds else "-"


def format_table(results: dict) -> str:
    """Markdown tables: one row per level, then p95 ms per kind of URL, then the goal."""
    levels = results["levels"]
    kinds = list(WEIGHTS)
    lines = [
        f"{results['reports']} reports, mix of {results['mix_size']} URLs, {results['seconds']:g} s per level, "
        f"{results['machine']}",
        "| clients | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | RSS before MB "
        "| RSS after MB | server CPU | client CPU |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in levels:
        lines.append(
            f"| {r['clients']} | {r['requests']:,} | {r['rps']:.0f} | {_ms(r['p50'])} | {_ms(r['p95'])} "
            f"| {_ms(r['p99'])} | {_ms(r['max'])} | {r['errors']} | {_mb(r['rss_before_mb'])} "
            f"| {_mb(r['rss_after_mb'])} | {_share(r.get('server_cpu_s'), r['seconds'])} "
            f"| {_share(r.get('client_cpu_s'), r['seconds'])} |"
        )
    lines += ["", "p95 ms by kind of URL:", "| clients | " + " | ".join(kinds) + " |", "|---|" + "---|" * len(kinds)]
    for r in levels:
        lines.append(f"| {r['clients']} | " + " | ".join(_ms(r["by_kind"].get(k, {}).get("p95")) for k in kinds) + " |")
    for r in levels:
        for sample in r["error_samples"]:
            lines.append(f"error at {r['clients']} clients: {sample}")
    lines += ["", goal_line(results)]
    return "\n".join(lines)


def goal_line(results: dict) -> str:
    """The issue's goal: 0 errors at every level, RSS flat, p99 at the most clients under 250 ms."""
    levels = results["levels"]
    errors = sum(r["errors"] for r in levels)
    top = max(levels, key=lambda r: r["clients"])
    parts = [
        f"errors {errors} ({'ok' if errors == 0 else 'FAIL'})",
        f"p99 at {top['clients']} clients {_ms(top['p99'])} ms "
        f"({'ok' if top['p99'] is not None and top['p99'] < GOAL_P99_MS else 'over'} {GOAL_P99_MS:.0f} ms)",
    ]
    rss = [v for r in levels for v in (r["rss_before_mb"], r["rss_after_mb"]) if v is not None]
    if rss:
        parts.append(f"RSS {rss[0]:.1f} → {rss[-1]:.1f} MB ({rss[-1] - rss[0]:+.1f} MB)")
    return "goal: " + "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer.bench.load", description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("data/reports"), help="folder of report files")
    parser.add_argument(
        "--index",
        type=Path,
        default=Path("data/index"),
        help="index folder (built when missing or stale unless --no-build)",
    )
    parser.add_argument("--no-build", action="store_true", help="serve the index as it is")
    parser.add_argument("--clients", default="1,8,32,64", help="comma-separated concurrency levels")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per level")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-request timeout, seconds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None, help="waitress threads (default: the server's)")
    parser.add_argument("--workers", type=int, default=None, help="server processes (default: the server's)")
    parser.add_argument("--url", default=None, help="drive this running server instead of starting one")
    parser.add_argument("--pid", type=int, default=None, help="with --url: the server's pid, to report its RSS")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.clients.split(",") if c.strip()]
    if not levels or any(c < 1 for c in levels):
        parser.error("--clients must be positive numbers, e.g. 1,8,32,64")

    server = None
    if args.url:
        base_url, pid = args.url.rstrip("/"), args.pid
    else:
        print(f"starting the server on {args.data} (index {args.index}) ...", file=sys.stderr)
        try:
            server = start_server(
                args.data, args.index, build=not args.no_build, threads=args.threads, workers=args.workers
            )
        except RuntimeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        base_url, pid = server.url, server.pid
    try:
        log_start = len(server.log_lines()) if server else 0
        urls = make_mix(base_url, random.Random(args.seed))
        bad = check_urls(base_url, urls, args.timeout)
        if bad:
            print(f"error: {len(bad)} URLs of the mix do not answer 200:\n" + "\n".join(bad[:10]), file=sys.stderr)
            return 1
        results: dict = {
            "url": base_url,
            "reports": len(json.loads(http_get(base_url + "/api/reports")[1])["reports"]),
            "mix_size": len(urls),
            "seconds": args.seconds,
            "seed": args.seed,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "rss_start_mb": rss_mb(pid) if pid else None,
            "levels": [],
        }
        for clients in levels:
            level = run_level(base_url, urls, clients, args.seconds, args.timeout, pid)
            results["levels"].append(level)
            print(
                f"{clients} clients: {level['requests']} requests, {level['rps']:.0f} req/s, "
                f"p99 {_ms(level['p99'])} ms, {level['errors']} errors",
                file=sys.stderr,
            )
        if server:
            if server.proc.poll() is not None:
                results["server_exit"] = server.proc.returncode
            results["server_log"] = server.log_lines()[log_start:]
    finally:
        if server:
            server.stop()
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
    else:
        print(format_table(results))
        log = results.get("server_log", [])
        if log:
            heads = list(
                dict.fromkeys(line for line in log if line[:1].strip() and line != "Traceback (most recent call last):")
            )
            print(f"\nthe server logged {len(log)} lines under load, e.g.:\n" + "\n".join(heads[:8]))
    return 1 if any(r["errors"] for r in results["levels"]) else 0


if __name__ == "__main__":
    sys.exit(main())
