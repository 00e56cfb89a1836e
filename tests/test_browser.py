"""End to end in Debian's headless Chromium, driven by Playwright, against the real waitress server."""

import csv
import io
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "tests" / "artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(index_dir):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "search_app", "--no-build", "--index", str(index_dir),
                             "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
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
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run `make browser`"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def test_search_narrow_follow_and_export(server, page, tmp_path):
    page.goto(server + "/search")
    page.fill("input[type=search][name=q]", "法律明白人")
    page.press("input[type=search][name=q]", "Enter")
    expect(page.locator("li.hit")).to_have_count(3)
    assert sorted(page.locator("li.hit .township").all_inner_texts()) == ["国宝乡", "熊背乡", "青山乡"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "results.png"), full_page=True)

    page.click("a.facet:text-is('2023')")
    expect(page.locator("li.hit")).to_have_count(2)
    assert "year_from=2023" in page.url
    assert {t for t in page.locator("li.hit .year").all_inner_texts()} == {"2023"}

    hit = page.locator("li.hit").filter(has_text="熊背乡")
    hit.locator("a.goto").click()
    page.wait_for_load_state()
    assert page.url.endswith("#p11")
    target = page.locator(":target")
    expect(target).to_have_attribute("id", "p11")
    expect(target).to_contain_text("法律明白人")
    expect(target).to_be_in_viewport()
    marked = target.evaluate("el => getComputedStyle(el).backgroundColor")
    assert marked not in ("rgba(0, 0, 0, 0)", "transparent")
    expect(target.locator("mark")).to_have_text("法律明白人")

    page.go_back()
    with page.expect_download() as info:
        page.click("#export-csv")
    path = tmp_path / "export.csv"
    info.value.save_as(path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 2 and all("法律明白人" in r["text"] for r in rows)


def test_script_in_the_query_is_shown_as_text(server, page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for q in ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']:
        page.goto(server + "/search")
        page.fill("input[type=search][name=q]", q)
        page.press("input[type=search][name=q]", "Enter")
        expect(page.locator("input[type=search][name=q]")).to_have_value(q)
    assert dialogs == []


def test_pages_work_without_javascript(server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "/search")
    page.fill("input[type=search][name=q]", "血桃")
    page.click("form.searchform button")
    expect(page.locator("li.hit")).to_have_count(1)
    page.goto(server + "/compare?q=法律明白人")
    expect(page.locator("table.kwic td.match")).to_have_count(4)
    context.close()


def test_unknown_report_is_a_404_page(server, page):
    response = page.goto(server + "/reports/no-such-report")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("找不到页面")


def test_the_security_policy_blocks_nothing_the_site_uses(server, page):
    """The Content-Security-Policy allows only the site's own files: its pages must need nothing else."""
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    for path in ("/search?q=法律明白人", "/compare?q=法律明白人", "/reports", "/reports/003_d3398cc9e2436e99?q=普法"):
        response = page.goto(server + path)
        assert response.headers["content-security-policy"].endswith("frame-ancestors 'none'")
        # the stylesheet applied: the header bar is laid out by style.css, not the browser default
        assert page.eval_on_selector("header.top", "e => getComputedStyle(e).display") == "flex"
    assert violations == []
