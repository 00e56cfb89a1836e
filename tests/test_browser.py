"""End to end in Debian's headless Chromium, driven by Playwright, against the real waitress server."""

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS


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
    assert len(rows) == 2 and all("法律明白人" in r["原文"] for r in rows)
    name = info.value.suggested_filename  # the browser reads RFC 5987's UTF-8 name
    assert name.startswith("法律明白人-") and name.endswith("-检索结果.csv")


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


@pytest.fixture(params=[1280, 390], ids=["desktop", "phone"])
def sized_page(browser, request):
    context = browser.new_context(viewport={"width": request.param, "height": 844})
    yield context.new_page(), request.param
    context.close()


def test_a_facet_value_toggles_and_shows_as_a_removable_chip(server, sized_page):
    page, width = sized_page
    page.goto(server + "/search?q=法治")
    total = int(page.locator("#total").get_attribute("data-total"))
    if width < 800:
        page.click("details.fold > summary")  # phones fold the filters away
    page.click(".facet-township a.facet >> text=国宝乡")
    narrowed = int(page.locator("#total").get_attribute("data-total"))
    assert 0 < narrowed < total
    expect(page.locator(".chips li span")).to_have_text(["乡镇：国宝乡"])
    expect(page.locator(".facet-township a.facet.chosen")).to_have_count(1)
    page.click(".chips li a[title=移除]")  # the chip's × removes it
    assert int(page.locator("#total").get_attribute("data-total")) == total
    expect(page.locator(".chips")).to_have_count(0)
    if width < 800:
        page.click("details.fold > summary")
    page.click(".facet-township a.facet >> text=国宝乡")
    if width < 800:
        page.click("details.fold > summary")
    page.click(".facet-township a.facet.chosen")  # clicking it again removes it too
    assert int(page.locator("#total").get_attribute("data-total")) == total


def test_snippets_crop_long_paragraphs_and_details_open_the_whole(server, sized_page):
    page, width = sized_page
    page.goto(server + "/search?q=法治")
    first = page.locator("li.hit").first
    details = page.locator("li.hit details.full").first
    snippet = details.locator("xpath=preceding-sibling::p[1]")
    assert "…" in snippet.inner_text()
    full = details.locator("p.text")
    expect(full).not_to_be_visible()
    details.locator("summary").click()
    expect(full).to_be_visible()
    assert len(full.inner_text()) > len(snippet.inner_text().replace("…", ""))
    assert first.locator("p.text mark").count() >= 1


def test_on_a_phone_the_filters_fold_and_the_first_hit_is_on_the_first_screen(server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(server + "/search?q=法治")
    expect(page.locator("nav.filters")).not_to_be_visible()
    box = page.locator("li.hit").first.bounding_box()
    assert box["y"] < 844
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
    # the nav links stay whole: each sits on one line
    heights = page.eval_on_selector_all("header.top nav a", "els => els.map(e => e.getBoundingClientRect().height)")
    assert max(heights) < 2 * min(heights)
    page.goto(server + "/compare?q=法治")
    kwic = page.locator(".kwic-group .scroll").first
    assert kwic.evaluate("e => getComputedStyle(e).overflowX") == "auto"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def test_on_a_desktop_the_filters_are_open_without_a_click(server, page):
    page.goto(server + "/search?q=法治")
    expect(page.locator("nav.filters")).to_be_visible()
    expect(page.locator("details.fold > summary")).not_to_be_visible()


def test_keyboard_skip_link_and_no_autofocus_on_results(server, page):
    page.goto(server + "/search?q=法治", wait_until="load")
    assert page.evaluate("document.activeElement.tagName") == "BODY"  # Space scrolls, not types
    page.keyboard.press("Tab")
    link = page.locator("a.skip")
    expect(link).to_be_focused()
    expect(link).to_have_text("跳到结果")
    assert link.bounding_box()["x"] >= 0  # shown when focused
    outline = link.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    page.wait_for_url("**#results")
    page.goto(server + "/search")
    expect(
        page.locator("input[name=q][type=search]")
    ).to_be_focused()  # the intro page still focuses the box (autofocus comes after load: waited for)


def test_the_highlight_stays_visible_inside_the_marked_paragraph(server, page):
    page.goto(server + "/reports/003_d3398cc9e2436e99?q=法律明白人#p11")
    para = page.locator("#p11")
    mark = para.locator("mark").first
    colours = [e.evaluate("e => getComputedStyle(e).backgroundColor") for e in (para, mark)]
    assert colours[0] != colours[1]

    def luminance(css: str) -> float:
        r, g, b = [int(x) / 255 for x in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    assert abs(luminance(colours[0]) - luminance(colours[1])) > 0.1  # not yellow on yellow
