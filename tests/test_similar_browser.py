"""Similar paragraphs in Debian's headless Chromium: from a report to the side-by-side page and the
report's reuse view, with the shared text marked and every link leading where it says."""

import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.conftest import ROOT
from tests.test_browser import ARTIFACTS, browser  # noqa: F401
from tests.test_similar import reuse_dir  # noqa: F401


@pytest.fixture(scope="module")
def reuse_server(reuse_dir):  # noqa: F811
    """The real server on the index with the assembled report (tests/test_similar.py)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "search_app", "--no-build", "--index", str(reuse_dir),
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


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def tab(request, browser):  # noqa: F811
    context = browser.new_context(java_script_enabled=request.param, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []  # a refusal by the content security policy, or a failed request (the favicon aside)
    page.on("console", lambda m: m.type == "error" and "Failed to load resource" not in m.text and errors.append(m.text))
    page.on("response", lambda r: r.status >= 400 and not r.url.endswith("/favicon.ico")
            and errors.append(f"{r.status} {r.url}"))
    yield page
    context.close()
    assert errors == [], errors


def assembled_id(server: str) -> str:
    import json
    reports = json.load(urllib.request.urlopen(server + "/api/reports"))["reports"]
    return next(r["report_id"] for r in reports if r["source"].startswith("900"))


def test_from_a_report_to_the_side_by_side_page_and_back(reuse_server, tab):
    rid = assembled_id(reuse_server)
    tab.goto(f"{reuse_server}/reports/{rid}")
    links = tab.locator("p.para a.similar-link")
    expect(links).to_have_count(7)
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "similar-report.png"))
    links.first.click()
    expect(tab).to_have_url(f"{reuse_server}/similar/{rid}/3")
    pair = tab.locator("li.pair").first
    expect(pair.locator(".similarity")).to_contain_text("相似度 100")
    expect(pair.locator("p.left mark").first).to_be_visible()
    expect(pair.locator("p.right mark").first).to_be_visible()
    left, right = pair.locator("p.left").bounding_box(), pair.locator("p.right").bounding_box()
    assert left["x"] + left["width"] <= right["x"] and abs(left["y"] - right["y"]) < 2  # side by side
    mark = pair.locator("mark").first.evaluate("m => getComputedStyle(m).backgroundColor")
    assert mark != "rgba(0, 0, 0, 0)"  # the stylesheet's colour reaches the marks
    tab.screenshot(path=str(ARTIFACTS / "similar.png"), full_page=True)

    pair.locator("a.goto").click()  # the source paragraph, in its report
    expect(tab).to_have_url(f"{reuse_server}/reports/000_90e80c64c1df8a22#p5")
    expect(tab.locator("#p5")).to_be_in_viewport()


def test_the_reuse_view_names_the_source_townships(reuse_server, tab):
    rid = assembled_id(reuse_server)
    tab.goto(f"{reuse_server}/reports/{rid}")
    tab.locator("#reuse").click()
    expect(tab).to_have_url(f"{reuse_server}/reports/{rid}/reuse")
    rows = tab.locator("table.partners tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("th")).to_contain_text("东和乡")
    expect(rows.nth(0).locator("td.n")).to_have_text("4")
    expect(rows.nth(1).locator("th")).to_contain_text("熊背乡")
    expect(tab.locator("ol.reused li")).to_have_count(7)
    bar = tab.locator(".sharebar rect").nth(1)
    assert 0.8 * 400 < float(bar.get_attribute("width")) < 400
    tab.screenshot(path=str(ARTIFACTS / "reuse.png"), full_page=True)

    rows.nth(1).locator("th a").click()  # the township's paragraphs on the search page
    expect(tab).to_have_url(f"{reuse_server}/search?township=%E7%86%8A%E8%83%8C%E4%B9%A1&county=%E9%B2%81%E5%B1%B1%E5%8E%BF")
    expect(tab.locator("li.hit").first).to_be_visible()


def test_on_a_phone_the_two_paragraphs_stack(reuse_server, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{reuse_server}/similar/{assembled_id(reuse_server)}/6")
    pair = page.locator("li.pair").first
    left, right = pair.locator("p.left").bounding_box(), pair.locator("p.right").bounding_box()
    assert right["y"] >= left["y"] + left["height"] - 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "similar-phone.png"), full_page=False)
    context.close()
