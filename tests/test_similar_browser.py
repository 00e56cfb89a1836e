"""Similar paragraphs in Debian's headless Chromium: from a report to the side-by-side page and the
report's reuse view, with the shared text marked and every link leading where it says."""

import urllib.request

import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS, serve_index


@pytest.fixture(scope="module")
def reuse_server(reuse_dir):
    """The real server on the index with the assembled report (tests/test_similar.py)."""
    with serve_index(reuse_dir) as url:
        yield url


def assembled_id(server: str) -> str:
    import json

    reports = json.load(urllib.request.urlopen(server + "/api/reports"))["reports"]
    return next(r["report_id"] for r in reports if r["source"].startswith("900"))


def test_from_a_report_to_the_side_by_side_page_and_back(reuse_server, any_page):
    rid = assembled_id(reuse_server)
    any_page.goto(f"{reuse_server}/reports/{rid}")
    links = any_page.locator("p.para a.similar-link")
    expect(links).to_have_count(7)
    ARTIFACTS.mkdir(exist_ok=True)
    any_page.screenshot(path=str(ARTIFACTS / "similar-report.png"))
    links.first.click()
    expect(any_page).to_have_url(f"{reuse_server}/similar/{rid}/3")
    pair = any_page.locator("li.pair").first
    expect(pair.locator(".similarity")).to_contain_text("相似度 100")
    expect(pair.locator("p.left mark").first).to_be_visible()
    expect(pair.locator("p.right mark").first).to_be_visible()
    left, right = pair.locator("p.left").bounding_box(), pair.locator("p.right").bounding_box()
    assert left["x"] + left["width"] <= right["x"] and abs(left["y"] - right["y"]) < 2  # side by side
    mark = pair.locator("mark").first.evaluate("m => getComputedStyle(m).backgroundColor")
    assert mark != "rgba(0, 0, 0, 0)"  # the stylesheet's colour reaches the marks
    any_page.screenshot(path=str(ARTIFACTS / "similar.png"), full_page=True)

    pair.locator("a.goto").click()  # the source paragraph, in its report
    expect(any_page).to_have_url(f"{reuse_server}/reports/000_90e80c64c1df8a22#p5")
    expect(any_page.locator("#p5")).to_be_in_viewport()


def test_the_reuse_view_names_the_source_townships(reuse_server, any_page):
    rid = assembled_id(reuse_server)
    any_page.goto(f"{reuse_server}/reports/{rid}")
    any_page.locator("#reuse").click()
    expect(any_page).to_have_url(f"{reuse_server}/reports/{rid}/reuse")
    rows = any_page.locator("table.partners tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("th")).to_contain_text("东和乡")
    expect(rows.nth(0).locator("td.n")).to_have_text("4")
    expect(rows.nth(1).locator("th")).to_contain_text("熊背乡")
    expect(any_page.locator("ol.reused li")).to_have_count(7)
    bar = any_page.locator(".sharebar rect").nth(1)
    assert 0.8 * 400 < float(bar.get_attribute("width")) < 400
    any_page.screenshot(path=str(ARTIFACTS / "reuse.png"), full_page=True)

    rows.nth(1).locator("th a").click()  # the township's paragraphs on the search page
    expect(any_page).to_have_url(
        f"{reuse_server}/search?township=%E7%86%8A%E8%83%8C%E4%B9%A1&county=%E9%B2%81%E5%B1%B1%E5%8E%BF"
    )
    expect(any_page.locator("li.hit").first).to_be_visible()


def test_on_a_phone_the_two_paragraphs_stack(reuse_server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{reuse_server}/similar/{assembled_id(reuse_server)}/6")
    pair = page.locator("li.pair").first
    left, right = pair.locator("p.left").bounding_box(), pair.locator("p.right").bounding_box()
    assert right["y"] >= left["y"] + left["height"] - 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "similar-phone.png"), full_page=False)
    context.close()
