"""The concordance page in Debian's headless Chromium, with and without JavaScript: lines aligned on the
match, sort links that reorder them, the form keeping filters, collocates that lead to a search, a phone box."""

import pytest
from playwright.sync_api import expect

from indexer.text.normalize import normalize
from tests.conftest import ARTIFACTS


def column(tab, name: str) -> list[str]:
    # textContent, not innerText: the contexts keep their spaces
    return tab.eval_on_selector_all(f"#lines td.{name}", "cells => cells.map(c => c.textContent)")


def test_sorting_reorders_the_lines_and_the_match_stays_aligned(server, any_page):
    any_page.goto(server + "/concordance")
    any_page.fill("input[type=search][name=q]", "普法")
    any_page.click("form.concform button")
    expect(any_page.locator("#lines tbody tr")).to_have_count(32)  # every occurrence in the five reports
    in_report_order = column(any_page, "left")

    any_page.click("nav.sortbar a:text-is('左 1 字')")
    assert "sort=left" in any_page.url
    expect(any_page.locator("nav.sortbar .chosen")).to_have_text("左 1 字")
    by_left = column(any_page, "left")
    assert by_left != in_report_order and sorted(by_left) == sorted(in_report_order)
    backwards = [normalize(s)[::-1] for s in by_left]  # sorting reads the normalised text
    assert [b[:1] for b in backwards] == sorted(b[:1] for b in backwards)

    # the match column lines up: every <mark> is centred on the same x
    centres = any_page.eval_on_selector_all(
        "#lines td.match mark",
        "ms => ms.map(m => { const r = m.getBoundingClientRect(); return r.left + r.width / 2; })",
    )
    assert max(centres) - min(centres) < 1
    lefts = any_page.eval_on_selector_all("#lines td.left", "cs => cs.map(c => c.getBoundingClientRect().right)")
    assert max(lefts) - min(lefts) < 1
    expect(any_page.locator("#collocates table tbody tr").first).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    any_page.screenshot(
        path=str(ARTIFACTS / ("concordance.png" if any_page.javascript else "concordance-nojs.png")), full_page=True
    )

    any_page.click("nav.sortbar a:text-is('右 1 字')")
    by_right = [normalize(s)[:1] for s in column(any_page, "right")]
    assert by_right == sorted(by_right) and column(any_page, "right") != column(any_page, "left")


def test_width_and_filters_survive_the_form_and_paging(server, any_page):
    any_page.goto(server + "/concordance?q=法治&township=熊背乡&per_page=10&sort=right")
    total = int(any_page.locator("#total").get_attribute("data-total"))
    assert total > 10
    any_page.fill("input[name=width]", "8")
    any_page.click("form.concform button")
    assert "width=8" in any_page.url and "township=" in any_page.url and "sort=right" in any_page.url
    assert int(any_page.locator("#total").get_attribute("data-total")) == total
    assert all(len(s) <= 8 for s in column(any_page, "left") + column(any_page, "right"))
    any_page.click("nav.pager a[rel=next]")
    expect(any_page.locator("#lines tbody tr")).to_have_count(min(10, total - 10))
    assert "width=8" in any_page.url and "page=2" in any_page.url
    expect(any_page.locator(".chips li span")).to_have_text(["乡镇：熊背乡"])
    expect(any_page.locator("#lines td.src").first).to_contain_text("熊背乡")


def test_a_line_and_a_collocate_lead_to_the_paragraph_and_the_pair(server, page):
    page.goto(server + "/concordance?q=普法&sort=left")
    first = page.locator("#lines tbody tr").first
    left, match = first.locator("td.left").text_content(), first.locator("td.match").text_content()
    first.locator("td.src a").click()
    target = page.locator(".para:target")
    expect(target).to_be_visible()
    assert left + match in target.text_content().replace("\n", " ")
    page.go_back()
    collocate = page.locator("#collocates tbody th a").first
    word = collocate.text_content()
    collocate.click()
    expect(page.locator("input[type=search][name=q]")).to_have_value(f"普法 {word}")
    assert page.locator("li.hit").count() > 0


def test_the_compare_page_links_to_the_full_concordance(server, page):
    page.goto(server + "/compare?q=法律明白人")
    page.click("#concordance-link")
    assert "/concordance?q=" in page.url
    expect(page.locator("#lines td.match")).to_have_count(4)


@pytest.mark.parametrize("sort", ["right", "left", "report"])
def test_on_a_phone_every_line_shows_the_keyword_and_both_contexts(server, browser, sort):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    tab = context.new_page()
    tab.goto(server + f"/concordance?q=普法&width=30&sort={sort}")
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390  # nothing to scroll sideways
    rows = tab.eval_on_selector_all(
        "#lines tbody tr",
        """rows => rows.map(r => {
            const box = e => e.getBoundingClientRect();
            const left = r.querySelector('td.left'), right = r.querySelector('td.right');
            const mark = box(r.querySelector('td.match mark'));
            return {mark: [mark.left, mark.right], left: [box(left).left, box(left).right],
                    leftText: [box(left.firstElementChild).left, box(left.firstElementChild).right],
                    right: [box(right).left, box(right).right],
                    rightText: [box(right.firstElementChild).left, box(right.firstElementChild).right],
                    hasLeft: left.textContent.length > 0, hasRight: right.textContent.length > 0};
        })""",
    )
    assert len(rows) == 32
    for row in rows:
        assert 0 <= row["mark"][0] < row["mark"][1] <= 390  # the keyword in view ...
        if row["hasLeft"]:  # ... the left context ending at it, in view for at least 60 px ...
            assert row["left"][1] - max(row["left"][0], 0) > 60
            assert abs(row["leftText"][1] - row["left"][1]) < 8
        if row["hasRight"]:  # ... and the right one starting after it
            assert min(row["right"][1], 390) - row["right"][0] > 60
            assert abs(row["rightText"][0] - row["right"][0]) < 8
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"concordance-phone-{sort}.png"))
    context.close()


def test_collocate_statistic_and_columns_reorder_the_table(server, page):
    page.goto(server + "/concordance?q=法治")
    page.select_option("select[name=stat]", "t")
    page.click("form.collform button")
    assert "stat=t" in page.url
    expect(page.locator("#collocate-table th[aria-sort] .chosen")).to_have_text("t")
    page.click("#collocate-table a[data-csort=count]")
    counts = [
        int(c)
        for c in page.eval_on_selector_all("#collocate-table tbody td:nth-child(2)", "cs => cs.map(c => c.textContent)")
    ]
    assert counts == sorted(counts, reverse=True) and "csort=count" in page.url and "stat=t" in page.url
    cluster = page.locator("#cluster-table tbody th a").first
    text = cluster.text_content()
    cluster.click()
    expect(page.locator("input[type=search][name=q]")).to_have_value(text)
    expect(page.locator("#lines td.match mark").first).to_be_visible()
