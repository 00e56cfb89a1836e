"""Saved-page furniture (breadcrumbs, 字体 lines, share lines, 来源/发布时间 lines, the 政务公开
metadata list) is page metadata in every format: out of the body, used for the date, the
document number, the issuer (a place clue) and never the title or the year."""

from __future__ import annotations

import json

import pytest

from indexer.documents.formats.furniture import strip_furniture
from indexer.documents.ingest import read_document
from indexer.documents.paragraphs import split_lines
from indexer.documents.report import parse_report
from tests.conftest import REPORTS, ROOT, SEED_FILES, run_cli

TITLE = "栋川镇2025年法治政府建设年度报告"
OPENING = (
    "2025年，我镇坚持以习近平新时代中国特色社会主义思想为指导，深入学习贯彻习近平法治思想，"
    "全面推进法治政府建设各项工作。现将有关情况报告如下："
)
BODY = [
    TITLE,
    OPENING,
    "一、主要举措和成效",
    "（一）加强组织领导。镇党委定期研究法治政府建设工作，把法治建设纳入全镇发展总体规划。",
    "我镇来源于群众的矛盾纠纷全部在村一级化解，政府信息公开目录的索引号、发文字号等要素规范完整。",
    "二、存在的问题",
    "一是普法宣传形式较为单一，群众参与度不高。二是执法队伍专业化水平有待提升。",
    "三、下一步工作打算",
    "下一步，我镇将继续加强法治宣传教育，不断提升依法行政水平。",
    "栋川镇人民政府",
]
#: The body paragraphs as the bare report reads them.
PLAIN = "\n".join(BODY)

BRACKETED = [
    "[ 索引号 ] 11532325MB1D3456XY/2026-00012 [ 主题分类 ] 司法",
    "[ 发布机构 ] 栋川镇人民政府 [ 成文日期 ] 2026-01-22",
    "[ 发文字号 ] 栋政发〔2026〕5号 [ 发布日期 ] 2026-01-23",
    "[ 体裁分类 ] 报告 [ 有效性 ] 有效",
]
KEY_COLON = [
    "索引号：11532325MB1D3456XY/2026-00012",
    "主题分类：司法",
    "发布机构：栋川镇人民政府",
    "成文日期：2026-01-22",
    "发文字号：栋政发〔2026〕5号",
    "发布日期：2026-01-23",
    "有效性：有效",
]
TAB_TABLE = [
    "索引号\t11532325MB1D3456XY/2026-00012\t主题分类\t司法",
    "发布机构\t栋川镇人民政府\t成文日期\t2026-01-22",
    "发文字号\t栋政发〔2026〕5号\t发布日期\t2026-01-23",
]
CELL_A_LINE = [
    "索引号",
    "11532325MB1D3456XY/2026-00012",
    "发布机构",
    "栋川镇人民政府",
    "成文日期",
    "2026-01-22",
    "发文字号",
    "栋政发〔2026〕5号",
    "有效性",
    "有效",
]
MD_TABLE = [
    "| 索引号 | 11532325MB1D3456XY/2026-00012 | 主题分类 | 司法 |",
    "|---|---|---|---|",
    "| **发布机构** | 栋川镇人民政府 | **成文日期** | 2026-01-22 |",
    "| 发文字号 | 栋政发〔2026〕5号 | 有效性 | 有效 |",
]
SITE_LINES = {
    "breadcrumb": ["首页 > 政务公开 > 法定主动公开内容 > 法治政府建设"],
    "where": ["当前位置：首页 > 政务公开 > 法治政府建设"],
    "where-you-are": ["您现在的位置：首页>信息公开>乡镇动态"],
    "breadcrumb-chain": ["政务公开 » 法治政府建设 » 正文"],
    "nav-menu": ["首页 政务公开 政务服务 互动交流 走进姚安"],
    "font": ["字体大小：大 中 小"],
    "font-bracketed": ["【字体：大 中 小】"],
    "font-cells": ["字号：[大] [中] [小]"],
    "share": ["分享到：微信 微博 QQ空间"],
    "print-close": ["【打印本页】 【关闭窗口】"],
    "scan": ["扫一扫在手机打开当前页"],
    "source-line": ["来源：栋川镇人民政府 发布时间：2026-01-23 10:21 浏览次数：356 字体：[大 中 小] 打印本页"],
    "source-alone": ["来源：栋川镇人民政府"],
    "bracketed": BRACKETED,
    "key-colon": KEY_COLON,
    "tab-table": TAB_TABLE,
    "cell-a-line": CELL_A_LINE,
    "md-table": MD_TABLE,
}
#: Lines a site prints below an article.
FOOTER = [
    "分享到：微信 朋友圈 微博",
    "【打印本页】【关闭窗口】",
    "上一篇：关于印发《栋川镇2026年普法工作要点》的通知",
    "下一篇：栋川镇召开法治政府建设推进会",
    "相关链接",
    "主办单位：姚安县人民政府办公室 承办单位：姚安县融媒体中心",
    "网站标识码：5323250001 滇ICP备05000123号-1 滇公网安备 53232502000123号",
    "责任编辑：李某",
]


def texts(report):
    return [p.text for p in report.paragraphs]


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    return parse_report(write(tmp_path_factory.mktemp("plain"), "plain.txt", PLAIN))


@pytest.mark.parametrize("form", SITE_LINES, ids=list(SITE_LINES))
@pytest.mark.parametrize("suffix", [".txt", ".md"])
def test_site_lines_above_the_title_are_taken_out(tmp_path, plain, form, suffix):
    report = parse_report(write(tmp_path, "page" + suffix, "\n".join(SITE_LINES[form] + BODY)))
    assert texts(report) == texts(plain)
    assert (report.title, report.year, report.township, report.county) == (TITLE, 2025, "栋川镇", "姚安县")


@pytest.mark.parametrize("suffix", [".txt", ".md"])
def test_footer_lines_below_the_report_are_taken_out(tmp_path, plain, suffix):
    report = parse_report(write(tmp_path, "page" + suffix, "\n".join(BODY + FOOTER)))
    assert texts(report) == texts(plain)


@pytest.mark.parametrize(
    "form, expected",
    [
        ("bracketed", {"发布机构": "栋川镇人民政府", "成文日期": "2026-01-22", "发文字号": "栋政发〔2026〕5号"}),
        ("key-colon", {"发布机构": "栋川镇人民政府", "成文日期": "2026-01-22", "发文字号": "栋政发〔2026〕5号"}),
        ("tab-table", {"发布机构": "栋川镇人民政府", "成文日期": "2026-01-22", "发文字号": "栋政发〔2026〕5号"}),
        ("cell-a-line", {"发布机构": "栋川镇人民政府", "成文日期": "2026-01-22", "发文字号": "栋政发〔2026〕5号"}),
        ("md-table", {"发布机构": "栋川镇人民政府", "成文日期": "2026-01-22", "有效性": "有效"}),
        ("source-line", {"来源": "栋川镇人民政府", "发布时间": "2026-01-23 10:21", "浏览次数": "356"}),
    ],
)
def test_metadata_list_is_read_in_each_form(form, expected):
    page = strip_furniture(SITE_LINES[form] + BODY)
    assert {k: page.meta.get(k) for k in expected} == expected
    assert page.lines == BODY


@pytest.mark.parametrize("label", ["有效性", "发文字号", "成文日期", "主题分类"])
def test_an_empty_cell_does_not_take_the_title_as_its_value(label):
    title = "关于栋川镇2025年法治政府建设工作情况"
    page = strip_furniture(["索引号", "11532325MB1D3456XY/2026-00012", label, title] + BODY[1:])
    assert page.lines == [title] + BODY[1:] and label not in page.meta


def test_a_label_with_an_empty_value_takes_nothing_from_the_next_entry():
    page = strip_furniture(["[ 发文字号 ] [ 发布日期 ] 2026-01-23", "[ 有效性 ] 有效"] + BODY)
    assert "发文字号" not in page.meta and page.meta["发布日期"] == "2026-01-23"
    assert page.lines == BODY


@pytest.mark.parametrize(
    "line",
    [
        "来源于群众的矛盾纠纷，我镇坚持在村一级化解，全年化解各类纠纷126件。",
        "规范政府信息公开，公开目录的索引号、发文字号等要素齐全，全年主动公开信息312条。",
        "来源：县统计局。全镇全年共办理行政许可事项58件，同比增长12%。",
        "打印机、电脑等办公设备全部纳入资产管理，全年未发生资产流失。",
        "首页是政务公开的窗口，我镇全年更新门户网站首页栏目信息215条。",
        "分享到各村的普法资料共3000余份。",
        "主办单位：县司法局、县妇联",  # an event's organisers, inside the body
        "全年开展“法律进乡村”活动12场，主办单位：县司法局。",
        "来源：县统计局",  # a lone entry between two sentences of the body: text
    ],
)
def test_body_text_that_looks_like_furniture_is_kept(tmp_path, line):
    lines = BODY[:5] + [line] + BODY[5:]
    assert strip_furniture(lines).lines == lines
    report = parse_report(write(tmp_path, "report.txt", "\n".join(lines)))
    assert line in texts(report)


@pytest.mark.parametrize(
    "line",
    [
        "名称\t数量\t备注",  # a table's header row after the report's last sentence
        "申请→受理→审查→决定",  # a process flow, not a breadcrumb
        "附件：栋川镇2025年法治政府建设工作台账",
    ],
)
def test_lines_below_the_report_that_are_not_the_sites_are_kept(line):
    lines = BODY + [line]
    assert strip_furniture(lines).lines == lines


def test_everything_below_related_links_is_the_sites():
    page = strip_furniture(BODY + ["相关链接", "栋川镇2024年法治政府建设年度报告", "栋川镇2023年法治政府建设年度报告"])
    assert page.lines == BODY


def test_a_first_line_that_opens_with_an_entry_in_a_sentence_is_kept():
    line = "来源：县统计局。全镇全年共办理行政许可事项58件 同比增长12%，群众满意度98%，全年未发生行政复议纠错案件。"
    assert strip_furniture([line] + BODY[1:]).lines == [line] + BODY[1:]


def test_the_seed_reports_hold_no_furniture():
    for name in SEED_FILES:
        lines = (REPORTS / name).read_text(encoding="utf-8").split("\n")
        page = strip_furniture(lines)
        assert (page.dropped, page.meta, page.lines) == ([], {}, lines), name


def test_opening_fixtures_hold_no_furniture():
    for path in sorted((ROOT / "tests" / "fixtures" / "openings").glob("*.txt")):
        assert strip_furniture(path.read_text(encoding="utf-8").split("\n")).dropped == [], path.name


# -- what the page metadata is used for -------------------------------------------------------


def test_page_metadata_gives_date_number_and_issuer(tmp_path):
    report = parse_report(write(tmp_path, "page.txt", "\n".join(SITE_LINES["where"] + BRACKETED + BODY)))
    assert (report.date, report.sources["date"]) == ("2026-01-22", "page metadata")
    assert report.document_number == "栋政发〔2026〕5号"
    assert report.issuer == "栋川镇人民政府"
    assert report.page_meta["索引号"] == "11532325MB1D3456XY/2026-00012"
    assert (report.year, report.sources["year"]) == (2025, "title")
    assert not report.warnings


def test_the_year_is_the_reports_not_the_publication_dates(tmp_path):
    # Written in October 2026 (a date that alone would mean 2026), about 2025 as the body says.
    lines = [line.replace("2026-01-22", "2026-10-22") for line in BRACKETED] + BODY[1:]
    report = parse_report(write(tmp_path, "page.txt", "\n".join(lines)))
    assert (report.year, report.sources["year"], report.date) == (2025, "opening", "2026-10-22")


def test_without_a_stated_year_the_written_date_is_a_clue_with_a_warning(tmp_path):
    body = [line.replace("2025年，", "今年以来，").replace(TITLE, "栋川镇法治政府建设年度报告") for line in BODY]
    report = parse_report(write(tmp_path, "page.txt", "\n".join(BRACKETED + body)))
    assert (report.year, report.sources["year"]) == (2025, "document number")
    assert any(w.startswith("year: year 2025 is inferred") for w in report.warnings)


def test_furniture_never_becomes_the_title(tmp_path):
    lines = SITE_LINES["breadcrumb"] + ["[ 主题分类 ] 法治政府建设 [ 体裁分类 ] 工作总结报告"] + BODY
    report = parse_report(write(tmp_path, "page.txt", "\n".join(lines)))
    assert report.title == TITLE and texts(report)[0] == TITLE


def test_the_page_title_stands_in_when_the_text_has_none(tmp_path):
    report = parse_report(write(tmp_path, "page.txt", "\n".join(["标题：" + TITLE, *KEY_COLON] + BODY[1:])))
    assert (report.title, report.sources["title"]) == (TITLE, "page metadata")


@pytest.mark.parametrize(
    "issuer, county, warned",
    [
        ("姚安县光禄镇人民政府", "姚安县", False),  # 光禄镇 is also in 邯山区: the issuer names the county
        ("光禄镇人民政府", None, True),  # the issuer names the township only: still shared
    ],
)
def test_the_issuer_is_a_place_clue(tmp_path, issuer, county, warned):
    body = [line.replace("栋川镇", "光禄镇").replace("我镇", "全镇") for line in BODY]
    report = parse_report(
        write(tmp_path, "page.txt", "\n".join([f"发布机构：{issuer}", "成文日期：2026-01-22"] + body))
    )
    assert (report.township, report.county) == ("光禄镇", county)
    assert any(w.startswith("county:") for w in report.warnings) is warned


def test_the_title_outweighs_the_issuer(tmp_path):
    report = parse_report(write(tmp_path, "page.txt", "\n".join(["[ 发布机构 ] 前场镇人民政府"] + BODY)))
    assert (report.township, report.sources["township"]) == ("栋川镇", "title")


def test_the_issuer_names_the_township_when_the_text_does_not(tmp_path):
    body = [line.replace("栋川镇", "").replace("我镇", "全镇") for line in BODY if line != "栋川镇人民政府"]
    report = parse_report(write(tmp_path, "page.txt", "\n".join(["[ 发布机构 ] 前场镇人民政府"] + body)))
    assert (report.township, report.county, report.sources["township"]) == ("前场镇", "姚安县", "issuer")


# -- web pages ----------------------------------------------------------------------------------


def page_html(meta_block: str, article_top: str = "") -> str:
    paragraphs = "".join(f"<p>{line}</p>" for line in BODY[1:])
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{TITLE}_姚安县人民政府</title></head>
<body><div class="top">姚安县人民政府</div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a></div>
{meta_block}
<div class="article"><h1>{TITLE}</h1>{article_top}
<div class="content">{paragraphs}</div>
<div class="share">分享到：<a>微信</a> <a>微博</a></div></div>
<div class="footer">主办单位：姚安县人民政府办公室</div></body></html>"""


CELLS = "".join(
    f"<tr><td>{a}</td><td>{b}</td><td>{c}</td><td>{d}</td></tr>"
    for a, b, c, d in [
        ("索引号", "11532325MB1D3456XY/2026-00012", "主题分类", "司法"),
        ("发布机构", "栋川镇人民政府", "成文日期", "2026-01-22"),
        ("发文字号", "栋政发〔2026〕5号", "有效性", "有效"),
    ]
)
HTML_FORMS = {
    "table-cells-without-colons": page_html(f"<table class='info'>{CELLS}</table>"),
    "table-bracketed-cells": page_html(
        "<table>"
        + "".join(
            f"<tr><td>[ {a} ]</td><td>{b}</td></tr>"
            for a, b in [("发布机构", "栋川镇人民政府"), ("成文日期", "2026-01-22"), ("发文字号", "栋政发〔2026〕5号")]
        )
        + "</table>"
    ),
    "bracketed-in-the-article": page_html(
        "", "".join(f"<p>{line}</p>" for line in BRACKETED) + "<p>来源：栋川镇 发布时间：2026-01-23 浏览次数：12</p>"
    ),
    "key-colon-list": page_html("<ul>" + "".join(f"<li>{line}</li>" for line in KEY_COLON) + "</ul>"),
    "font-and-source-in-the-article": page_html(
        "<div>[ 发布机构 ] 栋川镇人民政府 [ 成文日期 ] 2026-01-22 [ 发文字号 ] 栋政发〔2026〕5号</div>",
        "<p>字体大小：大 中 小</p><p>来源：栋川镇人民政府</p>",
    ),
}


@pytest.mark.parametrize("form", HTML_FORMS, ids=list(HTML_FORMS))
def test_web_page_furniture_is_page_metadata(tmp_path, plain, form):
    path = write(tmp_path, "page.html", HTML_FORMS[form])
    report = parse_report(path)
    assert texts(report) == texts(plain)
    assert (report.title, report.year, report.date) == (TITLE, 2025, "2026-01-22")
    assert (report.issuer, report.document_number) == ("栋川镇人民政府", "栋政发〔2026〕5号")


# -- end to end: python -m indexer build --------------------------------------------------------

FOLDER = {
    "bracketed.txt": "\n".join(SITE_LINES["breadcrumb"] + SITE_LINES["font"] + BRACKETED + BODY + FOOTER),
    "table.md": "\n".join(SITE_LINES["breadcrumb"] + MD_TABLE + ["", "# " + TITLE] + BODY[1:]),
    "cells.txt": "\n".join(SITE_LINES["where"] + CELL_A_LINE + BODY + FOOTER),
    "page.html": HTML_FORMS["table-cells-without-colons"],
    "one-line.txt": " ".join(SITE_LINES["where"] + SITE_LINES["font"] + BRACKETED + BODY[:-1]),
}
#: What no paragraph of the index may hold: every furniture line's telling words.
FURNITURE_WORDS = [
    "首页",
    "当前位置",
    "字体",
    "索引号：",
    "11532325MB1D3456XY",
    "发布机构",
    "成文日期",
    "浏览次数",
    "分享到",
    "打印本页",
    "ICP备",
    "上一篇",
]


@pytest.fixture(scope="module")
def furnished_index(tmp_path_factory):
    data = tmp_path_factory.mktemp("furnished") / "reports"
    data.mkdir()
    for name, text in FOLDER.items():
        (data / name).write_text(text, encoding="utf-8")
    index = tmp_path_factory.mktemp("furnished-index")
    code, out, err = run_cli("build", "--data", data, "--index", index)
    assert code == 0, err
    assert f"indexed {len(FOLDER)} reports" in out
    return index


def test_build_reads_title_year_and_date_of_saved_pages(furnished_index):
    code, out, _ = run_cli("reports", "--index", furnished_index, "--json")
    reports = {r["source"]: r for r in map(json.loads, out.splitlines())}
    assert code == 0 and set(reports) == set(FOLDER)
    for name, report in reports.items():
        assert (report["title"], report["year"], report["date"]) == (TITLE, 2025, "2026-01-22"), name
        assert (report["township"], report["county"]) == ("栋川镇", "姚安县"), name
        assert report["sources"]["year"] == "title", name


@pytest.mark.parametrize(
    "heading, section",
    [("主要举措和成效", "measures"), ("存在的问题", "problems"), ("下一步工作打算", "plans")],
)
def test_build_files_each_heading_in_its_section(furnished_index, heading, section):
    hits = search(furnished_index, heading)
    headings = [h for h in hits if h["text"].endswith(heading) and len(h["text"]) <= len(heading) + 2]
    assert sorted(h["source"] for h in headings) == sorted(FOLDER)
    assert {h["section"] for h in headings} == {section}


@pytest.mark.parametrize("word", FURNITURE_WORDS)
def test_no_furniture_line_is_a_searchable_paragraph(furnished_index, word):
    assert search(furnished_index, word) == []


@pytest.mark.parametrize("word", ["来源于群众", "索引号、发文字号"])
def test_body_sentences_like_furniture_are_searchable(furnished_index, word):
    assert sorted(h["source"] for h in search(furnished_index, word)) == sorted(FOLDER)


def search(index, query):
    code, out, err = run_cli("search", query, "--index", index, "--json", "--all")
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_read_document_keeps_furniture_out_of_the_text(tmp_path):
    document = read_document(write(tmp_path, "page.txt", "\n".join(SITE_LINES["bracketed"] + BODY)))
    assert split_lines(document.text) == BODY
    assert document.page_meta["成文日期"] == "2026-01-22"


def test_an_empty_cell_of_a_web_page_does_not_take_the_headline(tmp_path):
    table = "<table><tr><td>索引号</td><td>11532325MB1D3456XY/2026-00012</td></tr><tr><td>成文日期</td><td>2026-01-22</td></tr><tr><td>发文字号</td><td></td></tr></table>"
    report = parse_report(write(tmp_path, "page.html", page_html(table)))
    assert "发文字号" not in report.page_meta and report.document_number is None
    assert report.date == "2026-01-22"


def test_a_page_pasted_into_word_loses_its_furniture_too(tmp_path, plain):
    import docx

    document = docx.Document()
    for line in SITE_LINES["where"] + BRACKETED + SITE_LINES["source-line"] + BODY + FOOTER:
        document.add_paragraph(line)
    document.save(tmp_path / "page.docx")
    report = parse_report(tmp_path / "page.docx")
    assert texts(report) == texts(plain)
    assert (report.date, report.issuer, report.document_number) == ("2026-01-22", "栋川镇人民政府", "栋政发〔2026〕5号")
