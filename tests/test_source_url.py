"""A report's source URL (原文链接): manifest.toml's `url`, else the address a saved page gives for
itself (saved-from comment, canonical link, og:url, in that order); only absolute http(s) addresses,
never a guess."""

import lxml.html
import pytest

from indexer.documents.report import parse_report
from indexer.documents.source_url import absolute_url, page_url
from indexer.engine.build import BuildSummary, read_reports
from tests.conftest import report_path, saved_page

URL = "http://www.lushan.gov.cn/zwgk/2024/0115/123.html"


@pytest.mark.parametrize(
    "text, expected",
    [
        (URL, URL),
        ("  https://example.gov.cn/a?b=1#c \n", "https://example.gov.cn/a?b=1#c"),
        ("HTTPS://Example.gov.cn/a", "HTTPS://Example.gov.cn/a"),
        ("http://www.gov.cn/政策/报告.html", "http://www.gov.cn/政策/报告.html"),
        ("/zwgk/2024/123.html", None),  # relative
        ("www.example.gov.cn/a.html", None),  # no scheme
        ("javascript:alert(1)", None),
        ("ftp://example.gov.cn/a.txt", None),
        ("file:///C:/Users/a.html", None),
        ("about:internet", None),
        ("http://", None),
        ("http://exa mple.gov.cn/", None),
        ('http://example.gov.cn/"><script>', None),
        ("http://example.gov.cn:port/", None),
        ("http://nohost/", None),
        ("", None),
        (None, None),
        (42, None),
        ("http://example.gov.cn/" + "a" * 2000, None),
    ],
)
def test_only_absolute_http_addresses_are_urls(text, expected):
    assert absolute_url(text) == expected


def saved(top: str = "", head: str = "") -> tuple[str, object]:
    text = f"{top}<html><head>{head}</head><body><p>正文</p></body></html>"
    return text, lxml.html.document_fromstring(text)


CANONICAL = '<link rel="canonical" href="https://www.example.gov.cn/art/2024/1/15/art_9.html">'
OG = '<meta property="og:url" content="https://m.example.gov.cn/art/9.html">'
SAVED = f"<!-- saved from url=({len(URL):04d}){URL} -->\n"


@pytest.mark.parametrize(
    "top, head, expected",
    [
        (SAVED, CANONICAL + OG, (URL, "saved-from")),  # where it was read wins
        (f"<!-- saved from url=(0048){URL} -->", "", (URL, "saved-from")),  # the length prefix: 48 characters
        (f"<!-- saved from url=(0047){URL} -->", "", (None, None)),  # cut or edited by hand: not trusted
        (f"<!-- saved from url=(0047){URL} -->", OG, ("https://m.example.gov.cn/art/9.html", "og:url")),
        ("<!-- saved from url=(0014)about:internet -->", CANONICAL, (CANONICAL.split('"')[3], "canonical")),
        ("", CANONICAL + OG, (CANONICAL.split('"')[3], "canonical")),
        ("", OG, ("https://m.example.gov.cn/art/9.html", "og:url")),
        ("", '<link rel="canonical" href="/art/9.html">' + OG, ("https://m.example.gov.cn/art/9.html", "og:url")),
        ("", '<link rel="canonical" href="https://www.example.gov.cn/">', (None, None)),  # a home page: a template's
        ("", '<meta property="og:url" content="javascript:void(0)">', (None, None)),
        ("", '<link rel="alternate" href="https://www.example.gov.cn/a.html">', (None, None)),
        ("", "", (None, None)),
    ],
)
def test_a_saved_page_gives_its_own_address(top, head, expected):
    assert page_url(*saved(top, head)) == expected


def write_page(folder, name: str, **parts) -> None:
    (folder / name).write_text(saved_page(report_path("003"), **parts), encoding="utf-8")


def test_a_saved_page_report_has_its_url_and_where_it_came_from(tmp_path):
    write_page(tmp_path, "a.html", top=SAVED)
    report = parse_report(tmp_path / "a.html")
    assert (report.url, report.sources["url"]) == (URL, "saved-from")
    assert report.township == "熊背乡" and report.warnings == []


def test_a_text_report_has_no_url(tmp_path):
    report = parse_report(report_path("003"))
    assert report.url is None and "url" not in report.sources


def read(folder) -> tuple[dict, BuildSummary]:
    summary = BuildSummary()
    return {r.source: r for r in read_reports(folder, summary)}, summary


def test_the_manifest_url_wins_and_a_bad_one_is_a_one_line_warning(tmp_path):
    write_page(tmp_path, "a.html", top=SAVED)
    write_page(tmp_path, "b.html", head=CANONICAL)
    write_page(tmp_path, "c.html", head=OG)
    (tmp_path / "manifest.toml").write_text(
        '[files."a.html"]\nurl = "https://www.lushan.gov.cn/fzzf/1.html"\n'
        '[files."b.html"]\nurl = "javascript:alert(1)"\n'
        '[files."c.html"]\nurl = 5\n',
        encoding="utf-8",
    )
    reports, summary = read(tmp_path)
    assert (reports["a.html"].url, reports["a.html"].sources["url"]) == (
        "https://www.lushan.gov.cn/fzzf/1.html",
        "manifest",
    )
    # a bad manifest url is not used: the page's own stays, and the warning names the file
    assert (reports["b.html"].url, reports["b.html"].sources["url"]) == (CANONICAL.split('"')[3], "canonical")
    assert (reports["c.html"].url, reports["c.html"].sources["url"]) == (
        "https://m.example.gov.cn/art/9.html",
        "og:url",
    )
    assert summary.warnings == [
        (
            "b.html",
            "url: manifest.toml gives 'javascript:alert(1)', not an absolute http(s) address (https://…); not used",
        ),
        ("c.html", "url: manifest.toml gives '5', not an absolute http(s) address (https://…); not used"),
    ]
    assert not summary.skipped and len(reports) == 3
