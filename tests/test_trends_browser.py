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
    any_page.goto(server + URL)  # by default the share of each year's reports
    expect(any_page.locator("nav.switch .chosen").first).to_have_text("报告占比")
    expect(any_page.locator("#trendtable caption")).to_contain_text("比例")
    any_page.click("nav.switch a:text-is('段落数')")  # the raw counts, one click away
    assert "measure=paragraphs" in any_page.url
    expect(any_page.locator("#trendtable caption")).to_contain_text("段落数")
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


def test_on_a_phone_the_chart_fits_the_screen_with_every_year_and_term(server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    tab = context.new_page()
    tab.goto(server + URL)
    chart = tab.locator("svg.trendchart")
    box = chart.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["width"] > 300
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    for tick in chart.locator("text.xtick").all():  # the last year too
        tick_box = tick.bounding_box()
        assert tick_box["x"] >= 0 and tick_box["x"] + tick_box["width"] <= 390 and tick_box["height"] >= 9
    expect(tab.locator("ul.chartlegend li")).to_have_text(TERMS)  # every term keyed below the chart
    for item in tab.locator("ul.chartlegend li").all():
        item_box = item.bounding_box()
        assert item_box["x"] >= 0 and item_box["x"] + item_box["width"] <= 390
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "trends-phone.png"), full_page=True)
    context.close()
