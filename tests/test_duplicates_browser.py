"""Duplicate reports in Chromium, with JavaScript on and off: the marks and the 计入重复报告 switch
show without a refusal by the content security policy, and the switch counts the copy again."""

import pytest
from playwright.sync_api import expect

from tests.conftest import DUPLICATE_COPY, serve_index


@pytest.fixture(scope="module")
def duplicates_server(duplicates_dir):
    with serve_index(duplicates_dir[1]) as url:
        yield url


def test_the_results_mark_the_copy_and_the_switch_counts_it_again(duplicates_server, any_page):
    page = any_page
    page.goto(duplicates_server + "/search?q=法治&per_page=100")
    expect(page.locator("#duplicate-hits")).to_be_visible()
    expect(page.locator(".hit .duplicate").first).to_contain_text("重复报告：同《")
    page.locator(".hit .duplicate a").first.click()
    expect(page.locator("#copies")).to_contain_text(DUPLICATE_COPY)
    page.go_back()
    counted = lambda: sum(map(int, page.locator(".facet-year .count").all_inner_texts()))  # noqa: E731
    before = counted()
    page.locator("#dups").click()
    expect(page.locator("#dups")).to_have_attribute("aria-checked", "true")
    assert counted() > before


def test_the_copys_page_names_its_original(duplicates_server, duplicates_index, any_page):
    copy = next(r for r in duplicates_index.reports if r["source"] == DUPLICATE_COPY)
    any_page.goto(f"{duplicates_server}/reports/{copy['report_id']}")
    expect(any_page.locator("#duplicate-of")).to_contain_text("统计时只计一次")
    any_page.goto(f"{duplicates_server}/reports?per_page=100")
    expect(any_page.locator(".dup-mark")).to_have_count(1)
