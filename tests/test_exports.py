"""/export.csv and /export.json: what a reader opens in Excel (Chinese headers, a citation per row, a file
name that says what it holds) and what a program reads (English keys); a large export asks first."""

import csv
import io
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from indexer.engine.query import parse_query
from indexer.research.citation import citation
from search_app import results
from search_app.spreadsheet import attachment, file_name

HEADERS = ["省", "市", "县", "乡镇", "年份", "部分", "段落", "原文", "链接", "原文链接", "引用"]


def csv_rows(response) -> list[dict]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def download_name(response) -> str:
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and disposition.split('"')[1].isascii()
    return unquote(disposition.split("filename*=UTF-8''")[1])


def test_the_csv_has_the_chinese_columns_only_in_order(client):
    response = client.get("/export.csv", query_string={"q": "法律明白人"})
    text = response.get_data(as_text=True)
    assert next(csv.reader(io.StringIO(text[1:]))) == HEADERS


def test_each_csv_row_is_its_hit_with_a_citation(client, index):
    rows = csv_rows(client.get("/export.csv", query_string={"q": "法治"}))
    hits = client.get("/export.json", query_string={"q": "法治"}).get_json()
    assert len(rows) == len(hits) == index.search(parse_query("法治"), limit=None).total > 5
    for row, hit in zip(rows, hits):
        assert (row["乡镇"], row["县"], row["段落"], row["原文"]) == (
            hit["township"],
            hit["county"],
            str(hit["paragraph"]),
            hit["text"],
        )
        assert row["部分"] == hit["section_name"] and row["年份"] == str(hit["year"])
        assert row["链接"] == "http://localhost" + hit["url"]
        report = index.report(hit["report_id"])
        assert row["引用"] == hit["citation"] == citation(report, hit["paragraph"])
        assert row["引用"].endswith(f"第{hit['paragraph']}段.") and report["title"] in row["引用"]


def test_the_json_keeps_its_english_keys_and_adds_the_citation(client):
    rows = client.get("/export.json", query_string={"q": "法律明白人"}).get_json()
    assert rows and {"report_id", "paragraph", "township", "year", "text", "url", "source_url", "citation"} <= set(
        rows[0]
    )
    assert not any("\u4e00" <= k[0] <= "\u9fff" for k in rows[0])


@pytest.mark.parametrize(
    "params, kind, name",
    [
        ({"q": "法律明白人", "year": "2023"}, "csv", "法律明白人-2023-检索结果.csv"),
        ({"q": "法治", "township": "熊背乡"}, "json", "法治-熊背乡-检索结果.json"),
        ({"q": "法治", "year_from": "2022", "year_to": "2024"}, "csv", "法治-2022-2024-检索结果.csv"),
        ({"section": "problems"}, "csv", "浏览结果.csv"),
    ],
)
def test_a_download_is_named_after_what_it_holds(client, params, kind, name):
    response = client.get(f"/export.{kind}", query_string=params)
    assert response.status_code == 200 and download_name(response) == name
    assert response.headers["Content-Disposition"].startswith('attachment; filename="search-results.')


def test_file_names_drop_what_no_file_system_takes():
    assert file_name('a/b:c*"d', None, "", "检索结果") == "a_b_c_d-检索结果"
    assert attachment("法治-检索结果", "csv", "search-results") == (
        "attachment; filename=\"search-results.csv\"; filename*=UTF-8''"
        "%E6%B3%95%E6%B2%BB-%E6%A3%80%E7%B4%A2%E7%BB%93%E6%9E%9C.csv"
    )


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_a_large_export_asks_first_and_says_how_many(client, index, monkeypatch, kind):
    total = index.search(parse_query("法治"), limit=None).total
    monkeypatch.setattr(results, "EXPORT_CONFIRM", total - 1)
    response = client.get(f"/export.{kind}", query_string={"q": "法治", "township": []})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert f'data-count="{total}"' in html and "确认导出" in html and "Content-Disposition" not in response.headers
    proceed = html.split('id="export-proceed" href="')[1].split('"')[0].replace("&amp;", "&")
    assert urlsplit(proceed).path == f"/export.{kind}" and parse_qs(urlsplit(proceed).query)["confirm"] == ["1"]
    download = client.get(proceed)
    assert "attachment" in download.headers["Content-Disposition"]
    count = len(csv_rows(download)) if kind == "csv" else len(download.get_json())
    assert count == total
    monkeypatch.setattr(results, "EXPORT_CONFIRM", total)  # up to the limit: no question
    assert "attachment" in client.get(f"/export.{kind}", query_string={"q": "法治"}).headers["Content-Disposition"]
