"""The citation field and its 复制 button in Chromium at 1280 and 390 px: visible, selectable, copied
to the clipboard, on the report page and in a hit's 引用 box; no console error (the CSP allows
no inline script or style)."""

import pytest
from playwright.sync_api import expect

from indexer.engine.search import ReportIndex
from indexer.research.citation import citation
from tests.conftest import ARTIFACTS, CITED_URLS, serve_index

OVERFLOW = "document.scrollingElement.scrollWidth <= window.innerWidth"


@pytest.fixture(scope="module")
def cited_server(cited_dir):
    with serve_index(cited_dir[1]) as url:
        yield url


@pytest.fixture(params=[1280, 390], ids=["desktop", "phone"])
def sized(browser, request, cited_server):
    context = browser.new_context(viewport={"width": request.param, "height": 844})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=cited_server)
    page = context.new_page()
    errors = []
    # a refused inline script or style is a console error; the favicon's 404 is not ours
    page.on(
        "console", lambda m: m.type == "error" and "Failed to load resource" not in m.text and errors.append(m.text)
    )
    yield page, request.param, errors
    context.close()


def selected(page) -> str:
    return page.evaluate(
        "() => { const e = document.activeElement; return e.value.slice(e.selectionStart, e.selectionEnd) }"
    )


def test_the_report_page_citation_is_copied(cited_dir, cited_server, sized):
    page, width, errors = sized
    report = ReportIndex.open(cited_dir[1]).report("page")
    page.goto(cited_server + "/reports/page")
    field = page.locator("#citation")
    expect(field).to_be_visible()
    expect(field).to_have_value(citation(report))
    expect(page.locator("a.source-url")).to_have_attribute("href", CITED_URLS["page"][0])
    assert page.evaluate(OVERFLOW)
    button = page.locator(".cite button.copy")
    expect(button).to_be_visible()  # shown by cite.js
    button.click()
    expect(page.locator(".cite .copied")).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == citation(report)
    assert selected(page) == citation(report)  # selected too, for Ctrl+C
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"citation-{width}.png"))
    assert errors == []


def test_a_hit_citation_opens_and_is_selectable(cited_dir, cited_server, sized):
    page, width, errors = sized
    page.goto(cited_server + "/search?q=法律明白人")
    hit = page.locator("li.hit").first
    box = hit.locator("details.cite")
    field = box.locator("textarea.citation")
    expect(field).to_be_hidden()
    box.locator("summary").click()
    expect(field).to_be_visible()
    assert "第" in field.input_value() and field.input_value().endswith(("段.", ".html."))
    field.click()  # a click into the field selects the whole citation
    assert selected(page) == field.input_value()
    box.locator("button.copy").click()
    assert page.evaluate("navigator.clipboard.readText()") == field.input_value()
    assert page.evaluate(OVERFLOW)
    assert errors == []
