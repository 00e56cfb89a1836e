"""The trends page in Debian's headless Chromium, with and without JavaScript: the chart shows, with
one line per term, and its points and switches lead where they say."""

from urllib.parse import urlencode

from playwright.sync_api import expect

from tests.conftest import ARTIFACTS

TERMS = ["法律明白人", "八五普法", "行政执法", "习近平法治思想"]
URL = "/trends?" + urlencode([("q", t) for t in TERMS])


def test_chart_renders_with_one_line_per_term(server, any_page):
    any_page.goto(server + URL)
    chart = any_page.locator("svg.trendchart")
    expect(chart).to_be_visible()
    expect(chart.locator("path.line")).to_have_count(len(TERMS))
    expect(chart.locator("g.legend-item text")).to_have_text(TERMS)
    box = chart.bounding_box()
    assert box["width"] > 700 and box["height"] > 300  # scaled to the column, not a thumbnail
    for line in chart.locator("path.line").all():  # every line is drawn, not an empty path
        line_box = line.bounding_box()
        assert line_box and line_box["width"] > 100
    expect(any_page.locator("#trendtable tbody tr")).to_have_count(len(TERMS))
    ARTIFACTS.mkdir(exist_ok=True)
    name = "trends.png" if any_page.javascript else "trends-nojs.png"
    any_page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_switch_measure_and_follow_a_point(server, any_page):
    any_page.goto(server + URL)
    any_page.click("nav.switch a:text-is('报告占比')")
    assert "measure=report_share" in any_page.url
    expect(any_page.locator("svg.trendchart text.ylabel")).to_contain_text("%")
    expect(any_page.locator("#trendtable caption")).to_contain_text("比例")
    point = any_page.locator("svg.trendchart g.series[data-label='行政执法'] a.point").nth(1)  # 2023
    point.click()
    any_page.wait_for_load_state()
    assert "/search?" in any_page.url and "year_from=2023" in any_page.url
    expect(any_page.locator("li.hit")).to_have_count(15)
    expect(any_page.locator("li.hit .year").first).to_have_text("2023")


def test_form_adds_a_term_and_keeps_filters(server, any_page):
    any_page.goto(server + "/trends?q=法律明白人&section=measures")
    fields = any_page.locator(".trendform input[name=q]")
    fields.nth(1).fill("八五普法")
    any_page.click(".trendform button")
    any_page.wait_for_load_state()
    assert "section=measures" in any_page.url
    expect(any_page.locator("svg.trendchart path.line")).to_have_count(2)
    expect(any_page.locator(".chips")).to_contain_text("主要举措和成效")
