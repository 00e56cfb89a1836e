"""Whole-word mode and key terms in Debian's headless Chromium, with and without JavaScript."""

from playwright.sync_api import expect

from indexer.engine.query import parse_query
from tests.conftest import ARTIFACTS


def shown_total(page) -> int:
    return int(page.locator("#total").get_attribute("data-total"))


def test_the_whole_word_box_narrows_and_stays_ticked(server, any_page, index):
    any_page.goto(server + "/search?q=法治")
    substring = shown_total(any_page)
    box = any_page.locator("form.searchform input[name=whole]")
    expect(box).not_to_be_checked()
    box.check()
    any_page.locator("form.searchform button[type=submit]").click()
    any_page.wait_for_load_state()
    assert "whole=1" in any_page.url
    expect(any_page.locator("form.searchform input[name=whole]")).to_be_checked()
    expect(any_page.locator(".summary .mode")).to_have_text("（整词匹配）")
    assert shown_total(any_page) == len(index.select(parse_query("法治", whole_words=True))) < substring
    for mark in any_page.locator("ol.hits mark, .hits mark").all()[:20]:
        assert mark.text_content() == "法治"
    any_page.locator("a.facet").first.click()  # a facet keeps the mode
    any_page.wait_for_load_state()
    assert "whole=1" in any_page.url
    ARTIFACTS.mkdir(exist_ok=True)
    any_page.screenshot(path=str(ARTIFACTS / ("whole-words.png" if any_page.javascript else "whole-words-nojs.png")))


def test_from_a_report_to_its_key_terms_and_on_to_a_search(server, any_page, index):
    report = index.reports[1]
    any_page.goto(server + f"/reports/{report['report_id']}")
    any_page.click("a#keyterms")
    any_page.wait_for_load_state()
    rows = any_page.locator("table.keyterms-table tbody tr")
    expect(rows).to_have_count(20)
    first = rows.first.locator("th a").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    any_page.screenshot(
        path=str(ARTIFACTS / ("keyterms.png" if any_page.javascript else "keyterms-nojs.png")), full_page=True
    )
    rows.first.locator("th a").click()
    any_page.wait_for_load_state()
    assert "whole=1" in any_page.url
    assert shown_total(any_page) == len(index.select(parse_query(first, whole_words=True))) > 0
