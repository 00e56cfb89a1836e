"""The source URL and citation on the site, in the API, the exports and the command line, on an index of
four reports (two with a source URL) built at once and reached by an update."""

import csv
import html
import io
import json
import re
from datetime import date

import pytest

from indexer.engine.query import parse_query
from indexer.engine.search import ReportIndex
from indexer.research.citation import citation
from tests.conftest import CITED_URLS, report_path

FIRST = report_path("000").stem  # its url from manifest.toml
PAGE = "page"  # a saved page with its own address
PLAIN = report_path("004").stem  # no address


@pytest.fixture(scope="module")
def cited(cited_dir):
    return ReportIndex.open(cited_dir[1])


@pytest.fixture()
def client(cited_app):
    return cited_app.test_client()


def expected_urls() -> dict:
    return {FIRST: CITED_URLS["000"], PAGE: CITED_URLS["page"], PLAIN: (None, None)}


def test_each_report_has_its_url_and_source(cited):
    for report_id, (url, source) in expected_urls().items():
        report = cited.report(report_id)
        assert (report["url"], report["sources"].get("url")) == (url, source)


def textarea(page: str, selector: str) -> str:
    found = re.search(selector + r"[^>]*>([^<]*)</textarea>", page)
    assert found, selector
    return html.unescape(found.group(1))


@pytest.mark.parametrize("report_id", [FIRST, PAGE, PLAIN])
def test_the_report_page_shows_the_link_and_a_citation_to_copy(client, cited, report_id):
    page = client.get(f"/reports/{report_id}").get_data(as_text=True)
    url, source = expected_urls()[report_id]
    report = cited.report(report_id)
    assert textarea(page, '<textarea id="citation"') == citation(report)
    assert 'class="copy" hidden' in page and "cite.js" in page and "style=" not in page
    if url:
        assert f'<a class="source-url" href="{url}" rel="noopener noreferrer">' in page
        assert citation(report).endswith(f"[{date.today().isoformat()}]. {url}.")
        assert {"manifest": "据 manifest.toml", "saved-from": "据网页保存地址"}[source] in page
    else:
        assert 'class="source-url"' not in page and "[R]" in citation(report)


def test_each_hit_offers_its_citation_and_source_link(client, cited):
    page = client.get("/search", query_string={"q": "法治", "per_page": 100}).get_data(as_text=True)
    hits = cited.search(parse_query("法治"), limit=100).hits
    assert page.count('<details class="cite">') == len(hits) > 10
    cites = [html.unescape(c) for c in re.findall(r'<textarea class="citation"[^>]*>([^<]*)</textarea>', page)]
    assert cites == [citation(hit.report, hit.paragraph) for hit in hits]
    links = re.findall(r'<a class="source-url" href="([^"]*)" rel="noopener noreferrer">原文链接</a>', page)
    assert links == [hit.report["url"] for hit in hits if hit.report.get("url")]
    assert {FIRST, PAGE, PLAIN} <= {hit.report_id for hit in hits}


def test_api_hits_and_reports_carry_source_url_and_citation(client, cited):
    body = client.get("/api/search", query_string={"q": "法治", "per_page": 100}).get_json()
    assert body["hits"]
    for hit in body["hits"]:
        report = cited.report(hit["report_id"])
        assert hit["source_url"] == report.get("url") == expected_urls().get(hit["report_id"], (None,))[0]
        assert hit["citation"] == citation(report, hit["paragraph"])
        assert hit["url"].startswith(f"/reports/{hit['report_id']}")  # the paragraph here, as before
    for report_id, (url, _) in expected_urls().items():
        one = client.get(f"/api/reports/{report_id}").get_json()
        assert (one["url"], one["citation"]) == (url, citation(cited.report(report_id)))
        assert one["content"][0]["source_url"] == url
    listed = {r["report_id"]: r["url"] for r in client.get("/api/reports").get_json()["reports"]}
    assert listed == {r["report_id"]: r.get("url") for r in cited.reports}


def test_exports_have_the_source_link_and_citation(client, cited):
    text = client.get("/export.csv", query_string={"q": "法治"}).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    hits = client.get("/export.json", query_string={"q": "法治"}).get_json()
    assert len(rows) == len(hits) == cited.search(parse_query("法治"), limit=None).total
    for row, hit in zip(rows, hits):
        report = cited.report(hit["report_id"])
        assert row["原文链接"] == (report.get("url") or "") == (hit["source_url"] or "")
        assert row["引用"] == hit["citation"] == citation(report, hit["paragraph"])
        assert row["链接"] == "http://localhost" + hit["url"]
    assert {row["原文链接"] for row in rows} == {CITED_URLS["000"][0], CITED_URLS["page"][0], ""}


def test_cli_cites_a_report_or_a_paragraph(cli, cited_dir, cited):
    index = cited_dir[1]
    status, out, err = cli("cite", PAGE, "3", "--index", index)
    assert (status, err) == (0, "") and out == citation(cited.report(PAGE), 3) + "\n"
    assert out.rstrip().endswith(f": 第3段. {CITED_URLS['page'][0]}.")
    status, out, _ = cli("cite", PLAIN, "--index", index, "--json")
    assert json.loads(out) == {
        "report_id": PLAIN,
        "paragraph": None,
        "url": None,
        "citation": citation(cited.report(PLAIN)),
    }
    status, out, err = cli("cite", PAGE, "999", "--index", index)
    assert status == 2 and out == "" and err.count("\n") == 1 and "paragraphs 1 to" in err
    status, out, err = cli("cite", "nope", "--index", index)
    assert status == 2 and err == "error: no report 'nope' in the index (see: python -m indexer reports)\n"


def test_cli_search_and_reports_json_carry_the_url(cli, cited_dir):
    index = cited_dir[1]
    status, out, _ = cli("search", "法治", "--json", "--index", index)
    hits = [json.loads(line) for line in out.splitlines()]
    assert status == 0 and hits and all({"source_url", "citation"} <= set(h) for h in hits)
    assert {h["source_url"] for h in hits} == {CITED_URLS["000"][0], CITED_URLS["page"][0], None}
    status, out, _ = cli("reports", "--json", "--index", index)
    urls = {r["report_id"]: r["url"] for r in map(json.loads, out.splitlines())}
    assert {k: urls[k] for k in expected_urls()} == {k: v[0] for k, v in expected_urls().items()}
