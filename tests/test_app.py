"""The site through Flask's test client: every route, parameter and error path."""

import csv
import io
import json
import re

import pytest

from indexer.engine.query import parse_query
from indexer.engine.search import Filters
from search_app import create_app
from tests.conftest import brute_force, live_texts


def test_home_redirects_to_search(client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/search")


def test_search_page_lists_every_hit_with_metadata_and_links(client):
    html = client.get("/search", query_string={"q": "法律明白人"}).get_data(as_text=True)
    assert 'data-total="3"' in html
    for township in ("国宝乡", "熊背乡", "青山乡"):
        assert township in html
    snippets = "".join(re.findall(r'<li class="hit" id="hit\d+">.*?<p class="text">(.*?)</p>', html, re.S))
    assert snippets.count("<mark>法律明白人</mark>") == 4  # 国宝乡 says it twice
    assert "/reports/003_d3398cc9e2436e99?q=%E6%B3%95%E5%BE%8B%E6%98%8E%E7%99%BD%E4%BA%BA&amp;back=q%3D" in html
    assert "#p11" in html


def test_search_page_without_query_shows_the_form(client):
    response = client.get("/search")
    assert response.status_code == 200
    assert 'name="q"' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "params, total",
    [
        ({"q": "法律明白人", "year_from": "2023", "year_to": "2023"}, 2),
        ({"q": "法律明白人", "year": "2022"}, 1),
        ({"q": "法律明白人", "township": ["国宝乡", "青山乡"]}, 2),
        ({"q": "法律明白人", "section": "responsibility"}, 1),
        ({"q": "法律明白人", "section": ["measures", "responsibility"]}, 3),
        ({"q": "法律明白人 -调解员"}, 2),
        ({"q": "血桃 OR 枫桥经验"}, 2),
    ],
)
def test_filters_in_the_url(client, params, total):
    data = client.get("/api/search", query_string=params).get_json()
    assert data["total"] == total


def test_api_matches_the_engine_for_the_same_query_and_filters(client, index):
    data = client.get("/api/search", query_string={"q": "法治", "year": "2023", "per_page": 100}).get_json()
    expected = index.search(parse_query("法治"), Filters(year_from=2023, year_to=2023), limit=100)
    assert data["total"] == expected.total
    assert [(h["report_id"], h["paragraph"]) for h in data["hits"]] == [
        (h.report_id, h.paragraph) for h in expected.hits
    ]
    assert set(data["hits"][0]) >= {
        "query",
        "report_id",
        "source",
        "paragraph",
        "province",
        "prefecture",
        "county",
        "township",
        "code",
        "year",
        "section",
        "heading",
        "text",
        "url",
        "score",
    }
    assert set(data["facets"]) == {"level", "province", "prefecture", "county", "township", "year", "section"}


def test_pagination_covers_every_hit_once(client):
    seen = []
    first = client.get("/api/search", query_string={"q": "法治", "per_page": 7}).get_json()
    for page in range(1, first["total"] // 7 + 2):
        data = client.get("/api/search", query_string={"q": "法治", "per_page": 7, "page": page}).get_json()
        seen += [(h["report_id"], h["paragraph"]) for h in data["hits"]]
    assert len(seen) == len(set(seen)) == first["total"]


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest", "township"])
def test_sorts(client, sort):
    data = client.get("/api/search", query_string={"q": "法治", "sort": sort, "per_page": 100}).get_json()
    years = [h["year"] for h in data["hits"]]
    if sort == "newest":
        assert years == sorted(years, reverse=True)
    if sort == "oldest":
        assert years == sorted(years)
    if sort == "township":
        # places sort by division code, not by name
        assert [h["township_code"] for h in data["hits"]] == sorted(h["township_code"] for h in data["hits"])
    assert len(years) == data["total"]


def test_facet_links_apply_the_value(client):
    html = client.get("/search", query_string={"q": "法律明白人"}).get_data(as_text=True)
    assert "year_from=2023&amp;year_to=2023" in html
    assert "township=350526206" in html  # 国宝乡, by its division code


ERRORS = [  # parameters, the API's stable code, its English message, the page's Chinese message
    ({"q": "法治", "section": "nope"}, "unknown_section", "Unknown section 'nope'", "没有“nope”这个章节"),
    ({"q": "法治", "sort": "random"}, "unknown_sort", "Unknown sort 'random'", "没有“random”这种排序方式"),
    ({"q": "法治", "page": "x"}, "not_a_number", "page must be a whole number", "页码应为整数，如 2，而不是“x”"),
    ({"q": "法治", "page": "0"}, "number_out_of_range", "page must be between", "页码应在 1 到 100000 之间"),
    ({"q": "法治", "per_page": "100000"}, "number_out_of_range", "per_page must be between", "每页条数应在 1 到"),
    (
        {"q": "法治", "year_from": "abc"},
        "not_a_number",
        "year_from must be a whole number",
        "起始年份应为整数，如 2023",
    ),
    (
        {"q": "法治", "year_to": "1800"},
        "number_out_of_range",
        "year_to must be between",
        "截止年份应在 1900 到 2100 之间",
    ),
    ({"q": "法治", "whole": "maybe"}, "not_a_switch", "whole must be 1 (on) or 0 (off)", "整词只能是开或关（1 或 0）"),
    ({"q": "法治", "year": "20x3"}, "bad_year", "Year must look like", "年份应写作 2023 或 2022-2024"),
    ({"q": "法治", "year": "1066"}, "year_out_of_range", "Year 1066 is out of range", "年份 1066 超出范围"),
    ({"q": "法" * 201}, "query_too_long", "limit is 200", "超过了 200 个字符的上限"),
    (
        {"q": " ".join("法治律师调解普法宣传执法条例规章制度")},
        "too_many_terms",
        "more than 16 terms",
        "检索词超过 16 个",
    ),
]


@pytest.mark.parametrize("params, code, english, chinese", ERRORS)
def test_api_errors_have_one_shape_and_a_stable_code(client, params, code, english, chinese):
    response = client.get("/api/search", query_string=params)
    assert response.status_code == 400
    data = response.get_json()
    assert set(data) == {"error", "code", "status"} and data["status"] == 400
    assert data["code"] == code and english in data["error"]


@pytest.mark.parametrize("params, code, english, chinese", ERRORS)
def test_page_errors_are_in_chinese_and_keep_the_query(client, params, code, english, chinese):
    response = client.get("/search", query_string=params)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "请求参数有误" in html and chinese in html
    assert f'value="{params["q"][:200]}"' in html  # the box keeps what was typed (up to its limit)
    assert 'href="/search?q=' in html and "返回检索" in html


def test_api_search_without_query_or_filter_is_400_with_a_code(client):
    data = client.get("/api/search").get_json()
    assert data["status"] == 400 and data["code"] == "missing_query" and "q=" in data["error"]


@pytest.mark.parametrize(
    "path, code",
    [
        ("/api/reports/nope", "unknown_report"),
        ("/api/keyterms?report=nope", "unknown_report"),
        ("/api/similar/nope/1", "unknown_report"),
        ("/api/keyterms?township=无此乡", "unknown_township"),
        ("/api/nothing", "not_found"),
    ],
)
def test_api_not_found_has_the_same_shape_and_one_code_per_condition(client, path, code):
    response = client.get(path)
    assert response.status_code == 404
    assert set(response.get_json()) == {"error", "code", "status"} and response.get_json()["code"] == code


@pytest.mark.parametrize("path", ["/reports/nope", "/keyterms?report=nope", "/similar/nope/1", "/reports/nope/reuse"])
def test_an_unknown_report_is_one_404_page_in_chinese(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "没有编号为“nope”的报告" in response.get_data(as_text=True)


def test_a_year_range_given_backwards_is_read_forwards_either_way(client):
    totals = {
        client.get("/api/search", query_string=params).get_json()["total"]
        for params in (
            {"q": "法治", "year": "2022-2023"},
            {"q": "法治", "year": "2023-2022"},
            {"q": "法治", "year_from": "2023", "year_to": "2022"},
            {"q": "法治", "year_from": "2022", "year_to": "2023"},
        )
    }
    assert len(totals) == 1 and totals.pop() > 0


@pytest.mark.parametrize(
    "q, literal, notice",
    [
        ("*", [], "nothing_to_search"),
        ("-", [], "nothing_to_search"),
        ('"', [], "nothing_to_search"),
        ("“”", [], "nothing_to_search"),
        ("\x00", [], "nothing_to_search"),
        ("%", [], "nothing_to_search"),
        ("\\", [], "nothing_to_search"),
        ("-法治", [], "only_excluded"),
        ("AND", ["AND"], None),
        ("OR", ["OR"], None),
        (":", [":"], None),
        ("{{7*7}}", ["{{7*7}}"], None),
        ("法治' OR 1=1 --", ["法治", "1=1"], None),
    ],
)
def test_strange_queries_are_literal_text_or_say_why_they_find_nothing(client, index, q, literal, notice):
    """Operators outside the small query language are literal text: the hits are what a scan for the
    literal finds (any of `literal`); a query of only ignored punctuation finds nothing and says so."""
    texts = live_texts(index)
    expected = len(set().union(*(brute_force(texts, term) for term in literal))) if literal else 0
    data = client.get("/api/search", query_string={"q": q}).get_json()
    assert (data["total"], data["notice_code"]) == (expected, notice)
    exported = client.get("/export.json", query_string={"q": q})
    assert exported.status_code == 200 and len(exported.get_json()) == expected
    for path in ("/search", "/compare", "/export.csv"):
        response = client.get(path, query_string={"q": q})
        assert response.status_code == 200
        response.get_data()  # read the stream before the next request


@pytest.mark.parametrize("q", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'])
def test_queries_are_escaped(client, q):
    for path in ("/search", "/compare", "/reports/000_90e80c64c1df8a22"):
        html = client.get(path, query_string={"q": q}).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html


def test_highlighting_escapes_the_text_first(app, index):
    from search_app.results import highlight

    markup = highlight("<b>法治</b>", parse_query("法治"))
    assert str(markup) == "&lt;b&gt;<mark>法治</mark>&lt;/b&gt;"


def test_report_page_has_toc_anchors_and_highlights(client, index):
    report = index.reports[0]
    html = client.get(f"/reports/{report['report_id']}", query_string={"q": "法治"}).get_data(as_text=True)
    assert report["title"] in html
    for n in range(1, report["paragraphs"] + 1):
        assert f'id="p{n}"' in html
    assert 'href="#p8"' in html and "二、法治工作完成情况" in html  # table of contents
    assert "<mark>法治</mark>" in html
    assert f"/reports/{report['report_id']}/source" in html


def test_report_download_is_the_original_file(client, index):
    from tests.conftest import REPORTS

    report = index.reports[2]
    response = client.get(f"/reports/{report['report_id']}/source")
    assert response.status_code == 200
    assert response.data == (REPORTS / report["source"]).read_bytes()
    assert "attachment" in response.headers["Content-Disposition"]


@pytest.mark.parametrize(
    "path",
    [
        "/reports/nope",
        "/reports/../../etc/passwd",
        "/reports/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/reports/nope/source",
        "/reports/..%2F..%2Fetc%2Fpasswd/source",
        "/nowhere",
    ],
)
def test_unknown_paths_are_404_and_reach_no_file(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert b"root:" not in response.data


def test_compare_counts_and_keyword_in_context(client, index):
    html = client.get("/compare", query_string={"q": "法律明白人"}).get_data(as_text=True)
    assert 'id="crosstab"' in html
    assert html.count('<td class="match"><mark>法律明白人</mark></td>') == 4
    for township in ("国宝乡", "熊背乡", "青山乡"):
        assert f"<h3>{township} <small>" in html
    assert "township=410423203&amp;year_from=2023&amp;year_to=2023" in html  # 熊背乡, by its code


def test_export_csv_has_bom_and_every_hit(client, index):
    response = client.get("/export.csv", query_string={"q": "法治", "per_page": 5})
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) == index.search(parse_query("法治"), limit=None).total > 5
    assert all("法治" in r["原文"] for r in rows)
    assert rows[0]["链接"].startswith("http://localhost/reports/")  # absolute: clickable in a spreadsheet


def test_export_json_matches_the_cli_fields(client):
    rows = json.loads(client.get("/export.json", query_string={"q": "法律明白人"}).get_data(as_text=True))
    assert len(rows) == 3
    assert {"query", "report_id", "source", "paragraph", "url", "score"} <= set(rows[0])


def test_export_without_query_is_400(client):
    assert client.get("/export.csv").status_code == 400


def test_api_reports(client):
    data = client.get("/api/reports").get_json()
    assert [r["township"] for r in data["reports"]] == ["东和乡", "景毛乡", "青山乡", "熊背乡", "国宝乡"]
    assert [r["province"] for r in data["reports"]] == ["山西省", "山西省", "宁夏回族自治区", "河南省", "福建省"]
    assert data["reports"][0]["sources"]["township"] == "letterhead" and data["reports"][0]["warnings"] == []
    detail = client.get(f"/api/reports/{data['reports'][0]['report_id']}").get_json()
    assert len(detail["content"]) == detail["paragraphs"]


def test_missing_index_page_tells_the_build_command_without_server_paths(tmp_path):
    client = create_app({"INDEX_DIR": tmp_path / "none"}).test_client()
    response = client.get("/search", query_string={"q": "法治"})
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "make index" in html and str(tmp_path) not in html
    api = client.get("/api/search", query_string={"q": "法治"})
    assert api.status_code == 503 and "python -m indexer build" in api.get_json()["error"]
    assert str(tmp_path) not in api.get_data(as_text=True)


def test_unknown_setting_is_an_error():
    with pytest.raises(ValueError, match="Unknown setting 'INDEX_PATH'"):
        create_app({"INDEX_PATH": "x"})


def test_site_picks_up_a_rebuild(tmp_path, data_dir):
    from indexer.engine.build import build

    build(data_dir, tmp_path / "index")
    client = create_app({"INDEX_DIR": tmp_path / "index"}).test_client()
    assert client.get("/api/search", query_string={"q": "法律明白人"}).get_json()["total"] == 3
    (data_dir / "003_d3398cc9e2436e99.txt").unlink()
    build(data_dir, tmp_path / "index")
    assert client.get("/api/search", query_string={"q": "法律明白人"}).get_json()["total"] == 2


@pytest.mark.parametrize(
    "cli_args, params",
    [
        (["法治", "--year", "2023"], {"q": "法治", "year": "2023"}),
        (["法律明白人 OR 调解员", "--section", "measures"], {"q": "法律明白人 OR 调解员", "section": "measures"}),
        (
            ["宣传", "--township", "国宝乡", "青山乡", "--sort", "newest"],
            {"q": "宣传", "township": ["国宝乡", "青山乡"], "sort": "newest"},
        ),
    ],
)
def test_site_returns_what_the_cli_returns(client, index_dir, cli, cli_args, params):
    code, out, _ = cli("search", *cli_args, "--index", index_dir, "--json", "--all")
    assert code == 0
    cli = [(h["report_id"], h["paragraph"]) for h in map(json.loads, out.splitlines())]
    api = client.get("/api/search", query_string={**params, "per_page": 100}).get_json()
    assert [(h["report_id"], h["paragraph"]) for h in api["hits"]] == cli
    assert api["total"] == len(cli) > 0


def test_compare_follows_the_filters_and_links_back_to_search(client):
    html = client.get("/compare", query_string={"q": "法律明白人", "year": "2023"}).get_data(as_text=True)
    assert "共 2 个段落" in html
    assert "<h3>青山乡</h3>" not in html  # 2022, filtered out
    assert "/search?q=%E6%B3%95%E5%BE%8B%E6%98%8E%E7%99%BD%E4%BA%BA&amp;year_from=2023&amp;year_to=2023" in html
