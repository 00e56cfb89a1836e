"""Shared fixtures: the five real reports, an index built from them, and a CLI runner."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from indexer.documents.report import parse_report
from indexer.engine.build import build
from indexer.engine.search import ReportIndex
from indexer.text.normalize import normalize

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "data" / "reports"
SEED_FILES = sorted(p.name for p in REPORTS.glob("*.txt") if p.name != "userdict.txt")
USERDICT = REPORTS / "userdict.txt"


def report_path(prefix: str) -> Path:
    """The seed report whose file name starts with prefix ('000' … '004')."""
    return next(REPORTS / name for name in SEED_FILES if name.startswith(prefix))


def brute_force(texts: list[str] | dict[int, str], query_text: str) -> list[int]:
    """The reference: indexes of texts (keys of {paragraph id: text}) that contain the whole query
    text, both normalised."""
    needle = normalize(query_text)
    return [i for i, t in (texts.items() if isinstance(texts, dict) else enumerate(texts)) if needle in normalize(t)]


def live_texts(index: ReportIndex) -> dict[int, str]:
    """Every paragraph an index serves, {id: text as written}: an updated index keeps the paragraphs
    of removed and replaced reports in place, unserved, so ids are not 0 … n-1."""
    ids = np.flatnonzero(index.live).tolist()
    return {pid: hit.text for pid, hit in zip(ids, index.hits(ids))}


@pytest.fixture(scope="session", params=["built", "updated"])
def index_dir(request, tmp_path_factory) -> Path:
    """An index of the five real reports, made once per test session in each of the two shapes users
    have: a fresh build (one segment), and a build plus updates that added, changed and removed
    reports to reach the same five (several segments, paragraphs marked deleted). Every test that
    uses it runs on both."""
    target = tmp_path_factory.mktemp("index")
    if request.param == "built":
        assert not build(REPORTS, target).skipped
    else:
        data = tmp_path_factory.mktemp("updated") / "reports"
        data.mkdir()
        assert not any(step.skipped for step in arrive_by_updates(data, target))
    return target


@pytest.fixture(scope="session")
def built_index(tmp_path_factory) -> ReportIndex:
    """A fresh build of the five reports: what the index fixture must equal in either shape."""
    target = tmp_path_factory.mktemp("built")
    assert not build(REPORTS, target).skipped
    return ReportIndex.open(target)


def arrive_by_updates(data: Path, index_dir: Path) -> list:
    """The seed folder reached as a year of updates does: a build of three reports (one of them in
    an earlier version) and a report later withdrawn, then updates that add the other two, bring the
    changed one to its final text and remove the withdrawn one. No step merges the segments."""
    from indexer.engine.update import update

    first, second, third, fourth, fifth = (REPORTS / name for name in SEED_FILES)
    for path in (first, second, third, USERDICT):
        shutil.copy(path, data / path.name)
    (data / second.name).write_text(second.read_text(encoding="utf-8") + "\n草稿中的一段：此段后来删去。\n", "utf-8")
    (data / "withdrawn.txt").write_text(fourth.read_text(encoding="utf-8").replace("法治", "法制"), "utf-8")
    steps = [build(data, index_dir)]
    for path in (fourth, fifth):
        shutil.copy(path, data / path.name)
    steps.append(update(data, index_dir))
    shutil.copy(second, data / second.name)
    steps.append(update(data, index_dir))
    (data / "withdrawn.txt").unlink()
    steps.append(update(data, index_dir))
    assert not any(getattr(step, "full", False) for step in steps[1:])
    return steps


@pytest.fixture(scope="session")
def index(index_dir) -> ReportIndex:
    return ReportIndex.open(index_dir)


@pytest.fixture()
def data_dir(tmp_path) -> Path:
    """A fresh copy of the seed reports and user dictionary that a test may add bad files to."""
    target = tmp_path / "reports"
    target.mkdir()
    for name in SEED_FILES + [USERDICT.name]:
        shutil.copy(REPORTS / name, target / name)
    return target


@pytest.fixture(scope="session")
def app(index_dir):
    from search_app import create_app

    return create_app({"INDEX_DIR": index_dir, "TESTING": True})


@pytest.fixture()
def client(app):
    return app.test_client()


def copied_report(own: Path, *sources: Path) -> str:
    """own's report with long paragraphs of the sources written into it, a word changed in each: a
    township copying others' wording (similar paragraphs across segments when it arrives by update)."""
    lines = own.read_text(encoding="utf-8").splitlines()
    borrowed = [
        line.replace("工作", "工做", 1)
        for source in sources
        for line in [x for x in source.read_text(encoding="utf-8").splitlines() if len(x) > 60][2:6]
    ]
    return "\n".join(lines[:12] + borrowed + lines[12:]) + "\n"


def apply_updates(data: Path, index_dir: Path) -> list:
    """Bring the seed reports into data as a user's year does: a build of three, then updates that add
    three (one copying paragraphs of two built ones), change one and remove one while adding another
    (each a segment of its own, never merged)."""
    from indexer.engine.update import update

    first, second, third, fourth, fifth = (REPORTS / name for name in SEED_FILES)
    for path in (first, second, third, USERDICT):
        shutil.copy(path, data / path.name)
    steps = [build(data, index_dir)]
    shutil.copy(fourth, data / fourth.name)
    shutil.copy(fifth, data / fifth.name)
    (data / "copied.txt").write_text(copied_report(fifth, first, second), encoding="utf-8")
    steps.append(update(data, index_dir))
    with (data / second.name).open("a", encoding="utf-8") as fh:
        fh.write("\n今年新增的段落：村居法律顾问实现全覆盖，群众满意度明显提升。\n")
    steps.append(update(data, index_dir))
    (data / third.name).unlink()
    (data / "third-again.txt").write_text(
        third.read_text(encoding="utf-8").replace("法治", "法制", 3), encoding="utf-8"
    )
    steps.append(update(data, index_dir))
    return steps


@pytest.fixture(scope="session")
def living_dir(tmp_path_factory) -> tuple[Path, Path]:
    """(report folder, index) after a build and three updates: a multi-segment index, as users have."""
    data = tmp_path_factory.mktemp("living") / "reports"
    data.mkdir()
    target = tmp_path_factory.mktemp("living-index")
    steps = apply_updates(data, target)
    assert not any(step.skipped for step in steps)
    assert not any(getattr(step, "full", False) for step in steps[1:])
    return data, target


@pytest.fixture(scope="session")
def fresh_of_living(living_dir, tmp_path_factory) -> Path:
    """A fresh full build of the living index's folder, to compare with."""
    target = tmp_path_factory.mktemp("fresh-index")
    assert not build(living_dir[0], target).skipped
    return target


@pytest.fixture(scope="session")
def living(living_dir) -> ReportIndex:
    """The living index, opened."""
    return ReportIndex.open(living_dir[1])


@pytest.fixture(scope="session")
def fresh(fresh_of_living) -> ReportIndex:
    """The fresh build of the living index's folder, opened."""
    return ReportIndex.open(fresh_of_living)


@pytest.fixture(scope="session")
def living_client(living_dir):
    """The site on the living index."""
    from search_app import create_app

    return create_app({"INDEX_DIR": living_dir[1], "TESTING": True}).test_client()


@pytest.fixture(scope="session")
def many_dir(tmp_path_factory) -> Path:
    """A generated corpus of 40 reports (1,600 paragraphs) learnt from the real ones, where common
    terms match hundreds of paragraphs (indexer/bench/corpus.py, a fixed seed)."""
    from indexer.bench.build_cost import write_corpus

    target = tmp_path_factory.mktemp("many") / "reports"
    write_corpus(1600, 11, target)
    return target


@pytest.fixture(scope="session")
def many_index_dir(many_dir, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("many-index")
    summary = build(many_dir, target)
    assert not summary.skipped
    return target


@pytest.fixture(scope="session")
def many_index(many_index_dir) -> ReportIndex:
    return ReportIndex.open(many_index_dir)


@pytest.fixture(scope="session")
def many_client(many_index_dir):
    from search_app import create_app

    return create_app({"INDEX_DIR": many_index_dir, "TESTING": True}).test_client()


PUBLISHED = ROOT / "tests" / "fixtures" / "published"


@pytest.fixture(scope="session")
def pdf_index_dir(tmp_path_factory) -> Path:
    """An index of the PDF versions of the five reports (tests/fixtures/published/pdf), built once."""
    target = tmp_path_factory.mktemp("pdf-index")
    summary = build(PUBLISHED / "pdf", target)
    assert not summary.skipped
    return target


OPENINGS = ROOT / "tests" / "fixtures" / "openings"


@pytest.fixture(scope="session")
def openings_index_dir(tmp_path_factory) -> Path:
    """An index of the 32 invented report openings from 22 provinces (tests/fixtures/openings)."""
    target = tmp_path_factory.mktemp("openings-index")
    data = tmp_path_factory.mktemp("openings-data")
    for path in OPENINGS.glob("*.txt"):
        shutil.copy(path, data / path.name)
    build(data, target)
    return target


@pytest.fixture(scope="session")
def openings_index(openings_index_dir) -> ReportIndex:
    return ReportIndex.open(openings_index_dir)


@pytest.fixture()
def open_dir():
    """A folder that an unprivileged user may enter, for tests that take rights away."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="rights-", dir="/tmp"))
    folder.chmod(0o777)
    yield folder
    open_to_all(folder)
    shutil.rmtree(folder)


def open_to_all(folder: Path) -> None:
    """Let anyone read and write folder and everything in it (links left alone)."""
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o777 if path.is_dir() else 0o666)


@contextmanager
def without_rights():
    """Run the block as a user whom chmod binds: root passes every permission check, so it
    becomes `nobody` for the block (tests run as root on CI)."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)


# -- the real server and Chromium, for the browser tests --------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "tests" / "artifacts"


@contextmanager
def serve_index(index_dir: Path):
    """The real site (python -m search_app) on index_dir at a free port; yields its base URL."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "search_app", "--no-build", "--index", str(index_dir), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/search", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            proc.kill()
            pytest.fail("server did not start: " + proc.stdout.read().decode(errors="replace"))
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server(index_dir):
    """The real server on the index of the five reports."""
    with serve_index(index_dir) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Chromium for one test module: Playwright's sync API holds an event loop open while it runs,
    which later asyncio code (the load test) cannot share."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run `make browser`"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def any_page(request, browser):
    """A desktop tab with JavaScript on, then off, that fails the test on any console error (a refusal
    by the content security policy) or failed request (the favicon aside)."""
    context = browser.new_context(java_script_enabled=request.param, viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors = []
    tab.on("console", lambda m: m.type == "error" and "Failed to load resource" not in m.text and errors.append(m.text))
    tab.on(
        "response",
        lambda r: r.status >= 400 and not r.url.endswith("/favicon.ico") and errors.append(f"{r.status} {r.url}"),
    )
    tab.javascript = request.param
    yield tab
    context.close()
    assert errors == [], errors


# -- similar paragraphs: a report assembled from others ------------------------------------

ASSEMBLED = "900_assembled.txt"
WIDTH_AND_PUNCTUATION = str.maketrans(
    {
        "，": ",",
        "；": ";",
        "：": ":",
        "。": ".",
        "、": ",",
        "（": "(",
        "）": ")",
        "“": '"',
        "”": '"',
        **{str(d): chr(0xFF10 + d) for d in range(10)},
    }
)

UNRELATED = [
    "今年春季雨水偏少，村里组织群众修缮了三座小型水库的引水渠，又给果园装上滴灌设备，苹果和核桃的产量比去年多出两成左右。",
    "秋收以后，合作社请来农技员讲授玉米秸秆还田和冬小麦播种的要领，还带着种植大户到邻省参观了高标准农田和烘干仓库。",
]


def disguise(text: str) -> str:
    """The same words with half-width punctuation, full-width digits and a space every 30 characters."""
    changed = text.translate(WIDTH_AND_PUNCTUATION)
    return " ".join(changed[i : i + 30] for i in range(0, len(changed), 30))


def long_body(prefix: str, count: int = 3) -> list:
    """The first `count` body paragraphs of at least 100 characters of a seed report."""
    return [p for p in parse_report(report_path(prefix)).paragraphs if p.kind == "body" and len(p.text) >= 100][:count]


def assembled_report() -> tuple[str, list[tuple[str, int]], list[int]]:
    """A report made of three paragraphs of 东和乡 (000) and three of 熊背乡 (003), disguised, one of
    them twice, and two unrelated paragraphs. Returns its text, the (source prefix, source paragraph)
    behind each of its copied paragraphs in order, and the positions of the unrelated ones."""
    lines = ["示范县示范乡人民政府关于2024年度法治政府建设情况的报告", "一、主要举措和成效"]
    sources = []
    for prefix in ("000", "003"):
        for p in long_body(prefix):
            lines.append(disguise(p.text))
            sources.append((prefix, p.number))
    first = long_body("000")[0]
    lines.append(disguise(first.text.replace("东和乡", "示范乡")))  # copied again, renamed
    sources.append(("000", first.number))
    lines.append("二、其他工作")
    lines.extend(UNRELATED)
    return "\n\n".join(lines) + "\n", sources, [len(lines) - 1, len(lines)]


@pytest.fixture(scope="session")
def reuse_dir(tmp_path_factory):
    """The five reports and an assembled one copying six of their paragraphs, built once."""
    data = tmp_path_factory.mktemp("reuse-reports")
    for name in SEED_FILES + [USERDICT.name]:
        shutil.copy(REPORTS / name, data / name)
    text, _, _ = assembled_report()
    (data / ASSEMBLED).write_text(text, encoding="utf-8")
    target = tmp_path_factory.mktemp("reuse-index")
    summary = build(data, target)
    assert not summary.skipped
    return target


def run_cli(*args, cwd=ROOT):
    """Run `python -m indexer` with args; (exit status, stdout, stderr)."""
    proc = subprocess.run(
        [sys.executable, "-m", "indexer", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture()
def cli():
    """The command line as a user runs it, in a child process: cli(*args) → (status, stdout, stderr)."""
    return run_cli


SCANS = ROOT / "tests" / "fixtures" / "scans"


@pytest.fixture(scope="session")
def ocr_cache_dir(tmp_path_factory) -> Path:
    """One OCR cache for the session: each scan fixture is read by OCR once (seconds a page),
    however many tests and builds read it."""
    return tmp_path_factory.mktemp("ocr-cache")


@pytest.fixture(scope="session")
def scans_index_dir(tmp_path_factory, ocr_cache_dir) -> tuple[Path, object]:
    """An index of the scan fixtures (tests/fixtures/scans: image-only PDF, mixed PDF, TIFF, JPEG,
    PNG), with the build's summary."""
    data = tmp_path_factory.mktemp("scans") / "reports"
    shutil.copytree(SCANS, data)
    target = data.parent / "index"
    with env(OCR_CACHE=str(ocr_cache_dir)):
        summary = build(data, target)
    assert not summary.skipped
    return target, summary


@contextmanager
def env(**values: str):
    """Environment variables set for the block, then put back."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def saved_page(report: Path, top: str = "", head: str = "") -> str:
    """A seed report as a web page saved from a site: `top` before <html> (a browser's
    `<!-- saved from url=… -->`), `head` inside <head> (a canonical link, og:url …)."""
    import html

    body = "".join(f"<p>{html.escape(line)}</p>" for line in report.read_text(encoding="utf-8").splitlines() if line)
    return (
        f'<!DOCTYPE html>\n{top}\n<html><head><meta charset="utf-8"><title>报告</title>{head}</head>'
        f'<body><div class="article">{body}</div></body></html>'
    )


#: The source URLs of the cited index (cited_dir): a manifest's for a .txt, a saved page's own.
CITED_URLS = {
    "000": ("https://www.shangdang.gov.cn/zwgk/fzzf/2024/01/t20240115_1.html", "manifest"),
    "page": ("http://www.lushan.gov.cn/zwgk/fzzfjs/2024/0115/123.html", "saved-from"),
}


def write_cited(data: Path, later: bool) -> None:
    """The files of the cited index: the seed .txt reports 000 (its url in manifest.toml) and 002 first;
    then (later) 003 as a saved page that names its address, and 004 with no address."""
    if not later:
        shutil.copy(report_path("000"), data)
        shutil.copy(report_path("002"), data)
        shutil.copy(USERDICT, data)
        url = CITED_URLS["000"][0]
        (data / "manifest.toml").write_text(f'[files."{report_path("000").name}"]\nurl = "{url}"\n', "utf-8")
    else:
        url = CITED_URLS["page"][0]
        top = f"<!-- saved from url=({len(url):04d}){url} -->"
        (data / "page.html").write_text(saved_page(report_path("003"), top=top), encoding="utf-8")
        shutil.copy(report_path("004"), data)


@pytest.fixture(scope="session", params=["built", "updated"])
def cited_dir(request, tmp_path_factory) -> tuple[Path, Path]:
    """(report folder, index) of four reports, two with a source URL (CITED_URLS), in both shapes:
    built at once, or a build of the first two and an update that adds the saved page and 004."""
    data = tmp_path_factory.mktemp("cited") / "reports"
    data.mkdir()
    target = tmp_path_factory.mktemp("cited-index")
    write_cited(data, later=False)
    if request.param == "built":
        write_cited(data, later=True)
        assert not build(data, target).skipped
    else:
        from indexer.engine.update import update

        assert not build(data, target).skipped
        write_cited(data, later=True)
        step = update(data, target)
        assert not step.skipped and not step.full
    return data, target


@pytest.fixture(scope="session")
def cited_app(cited_dir):
    from search_app import create_app

    return create_app({"INDEX_DIR": cited_dir[1], "TESTING": True})


# -- duplicate reports: one report saved twice ---------------------------------------------------

#: 东和乡's 2023 report (seed 000) as saved from the county's site: a web page with its furniture.
DUPLICATE_PAGE = PUBLISHED / "html" / "000_90e80c64c1df8a22.html"
DUPLICATE_COPY = "上党区网站/东和乡2023.html"


def near_copies() -> dict[str, str]:
    """Reports that share nearly all of 东和乡's 2023 text but are not the same report: its next
    year's, which keeps the text with a new year in the title, and 荫城镇's, which copies it with its
    own name in the letterhead and the signature."""
    text = report_path("000").read_text(encoding="utf-8")
    title_at, signed_at = text.index("关于 2023 年度"), text.rindex("。") + 1
    return {
        "东和乡2024.txt": text[:title_at] + text[title_at:].replace("2023", "2024", 1),
        "荫城镇2023.txt": text[:title_at].replace("东和乡", "荫城镇")
        + text[title_at:signed_at]
        + text[signed_at:].replace("东和乡", "荫城镇"),
    }


def write_duplicates(data: Path, seeds: bool = True, copies: bool = True) -> None:
    """With seeds, the five seed reports and the user dictionary; with copies, 东和乡's 2023 report
    again as the county site's web page (DUPLICATE_COPY, in a folder of its own) and its near_copies."""
    if seeds:
        for name in SEED_FILES + [USERDICT.name]:
            shutil.copy(REPORTS / name, data / name)
    if copies:
        (data / DUPLICATE_COPY).parent.mkdir(exist_ok=True)
        shutil.copy(DUPLICATE_PAGE, data / DUPLICATE_COPY)
        for name, text in near_copies().items():
            (data / name).write_text(text, encoding="utf-8")


@pytest.fixture(scope="session", params=["built", "updated"])
def duplicates_dir(request, tmp_path_factory) -> tuple[Path, Path, object]:
    """(report folder, index, summary of its last step) of write_duplicates' folder, in both shapes: a
    fresh build, and a build of the five seed reports then an update that adds the copies."""
    from indexer.engine.update import update

    data = tmp_path_factory.mktemp("duplicates") / "reports"
    data.mkdir()
    target = tmp_path_factory.mktemp("duplicates-index")
    write_duplicates(data, copies=request.param == "built")
    summary = build(data, target)
    if request.param == "updated":
        write_duplicates(data, seeds=False)
        summary = update(data, target)
        assert not summary.full
    assert not summary.skipped
    return data, target, summary


@pytest.fixture(scope="session")
def duplicates_index(duplicates_dir) -> ReportIndex:
    return ReportIndex.open(duplicates_dir[1])


@pytest.fixture(scope="session")
def duplicates_client(duplicates_dir):
    from search_app import create_app

    return create_app({"INDEX_DIR": duplicates_dir[1], "TESTING": True}).test_client()
