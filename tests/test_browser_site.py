"""The report list and the report page in Chromium at 1280 and 390 px: nothing sticks out sideways,
tables scroll in their own box with the first column fixed, a hit opens with the title and the
way back in view, and the moves between hits work by key, by link, and without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS

OVERFLOW = "document.scrollingElement.scrollWidth <= window.innerWidth"


@pytest.fixture(params=[1280, 390], ids=["desktop", "phone"])
def sized(browser, request):
    context = browser.new_context(viewport={"width": request.param, "height": 844})
    yield context.new_page(), request.param
    context.close()


def in_view(page, selector: str) -> bool:
    return page.eval_on_selector(
        selector,
        "e => { const r = e.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight && r.height > 0 }",
    )


def test_the_report_list_fits_the_screen_and_sorts(server, sized):
    page, width = sized
    page.goto(server + "/reports")
    expect(page.locator("#reports tbody tr")).to_have_count(5)
    assert page.evaluate(OVERFLOW)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"reports-{width}.png"), full_page=True)
    box = page.locator(".tablebox")
    assert box.evaluate("e => getComputedStyle(e).overflowX") == "auto"
    if width < 800:  # the table is wider than a phone: it scrolls in its box, the township stays put
        assert box.evaluate("e => e.scrollWidth > e.clientWidth")
        first = page.locator("#reports tbody tr").first.locator("th")
        x = first.bounding_box()["x"]
        box.evaluate("e => { e.scrollLeft = 300 }")
        page.wait_for_function("document.querySelector('.tablebox').scrollLeft > 0")
        assert abs(first.bounding_box()["x"] - x) < 1
        assert first.evaluate("e => getComputedStyle(e).position") == "sticky"
        assert page.evaluate(OVERFLOW)
    page.click("#reports thead a[data-sort=year]")
    page.wait_for_url(re.compile(r"sort=-year"))
    years = page.locator("#reports tbody td.col-year").all_inner_texts()
    assert years == sorted(years, reverse=True) and years[0] == "2024"
    page.click("#reports thead a[data-sort=year]")  # again: the other way
    page.wait_for_url(re.compile(r"sort=year"))
    assert page.locator("#reports tbody td.col-year").first.inner_text() == "2022"


def test_the_report_list_filters_with_the_sidebar(server, sized):
    page, width = sized
    page.goto(server + "/reports")
    if width < 800:
        page.click("details.fold > summary")
    page.click(".facet-province a.facet >> text=山西省")
    expect(page.locator("#reports tbody tr")).to_have_count(2)
    expect(page.locator("#total")).to_have_attribute("data-total", "2")
    expect(page.locator(".chips li span")).to_have_text(["省份：山西省"])
    assert page.evaluate(OVERFLOW)


def test_a_hit_opens_with_the_title_and_the_way_back_in_view(server, sized):
    page, width = sized
    page.goto(server + "/search?q=法治&per_page=5&page=2")
    hit = page.locator("li.hit").nth(2)
    assert hit.get_attribute("id") == "hit8"
    hit.locator("a.goto").click()
    page.wait_for_load_state()
    target = page.locator(":target")
    expect(target).to_be_in_viewport()
    assert page.evaluate(OVERFLOW)
    for selector in ("#bartitle", "#back", "#hit-count"):
        assert in_view(page, selector), selector
    expect(page.locator("#bartitle")).to_be_visible()
    bar = page.locator("#reportbar").bounding_box()
    assert target.bounding_box()["y"] >= bar["y"] + bar["height"] - 1  # not hidden under the bar
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"report-hit-{width}.png"))
    # the bar knows which hit this is, and n / p move between them
    count = page.locator("#hit-count")
    expect(count).to_have_text(re.compile(r"第 \d+ / \d+ 处"))
    k, n = map(int, re.findall(r"\d+", count.inner_text()))
    here = page.url
    page.keyboard.press("n")
    expect(count).to_have_text(f"第 {k + 1} / {n} 处")
    assert page.url != here and in_view(page, ":target") and in_view(page, "#bartitle")
    page.keyboard.press("k")
    expect(count).to_have_text(f"第 {k} / {n} 处")
    page.click("#hit-next")
    expect(count).to_have_text(f"第 {k + 1} / {n} 处")
    # 返回检索结果: the results page the hit was on, scrolled to that hit
    page.click("#back")
    page.wait_for_url(re.compile(r"/search\?.*page=2.*#hit8$"))
    expect(page.locator("#hit8")).to_be_in_viewport()


def test_moves_between_hits_work_without_javascript(server, browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(server + "/reports/003_d3398cc9e2436e99?q=普法")
    expect(page.locator("#hit-count")).to_have_text("“普法”共 3 处")
    page.click("#hit-next")  # 第一处
    first = page.locator(":target")
    expect(first.locator(".hitmoves")).to_contain_text("第 1 / 3 处")
    first.locator("a.hit-next").click()
    second = page.locator(":target")
    expect(second.locator(".hitmoves")).to_contain_text("第 2 / 3 处")
    expect(second).to_be_in_viewport()
    assert in_view(page, "#bartitle")
    second.locator("a.hit-prev").click()
    expect(page.locator(":target .hitmoves")).to_contain_text("第 1 / 3 处")
    context.close()


def test_the_nav_takes_the_query_and_filters_to_another_tool(server, page):
    page.goto(server + "/search?q=法律明白人&year=2023")
    page.click("header.top nav a:text-is('报告列表')")
    page.wait_for_url(re.compile(r"/reports\?"))
    expect(page.locator("#total")).to_have_attribute("data-total", "2")
    page.click("header.top nav a:text-is('语境')")
    expect(page.locator("input[name=q][type=search]")).to_have_value("法律明白人")
    assert "year=2023" in page.url
