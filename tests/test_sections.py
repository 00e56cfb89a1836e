"""Heading paths and section categories of chosen paragraphs in the real reports."""

import pytest

from indexer.documents.report import parse_report
from indexer.documents.sections import category_of_heading
from tests.conftest import report_path


def paragraph_with(prefix, phrase):
    return next(p for p in parse_report(report_path(prefix)).paragraphs if phrase in p.text)


@pytest.mark.parametrize(
    "prefix, phrase, section",
    [
        ("000", "2023 年以来，东和乡坚持", "overview"),
        ("000", "东和乡总面积 31 平方公里", "overview"),
        ("000", "东和乡执法队核定编制", "measures"),
        ("000", "乡党委、政府主要负责人积极履行", "responsibility"),
        ("000", "主要表现在：一是普法宣传的氛围", "problems"),  # under the second 三、
        ("000", "针对我们工作中存在的问题", "plans"),
        ("000", "二是创新载体", "plans"),
        ("000", "2023年12月5日", "other"),
        ("001", "以习近平新时代中国特色社会主义思想为理论指导", "overview"),
        ("001", "调整充实法治政府建设领导机构", "measures"),
        ("001", "基层法治队伍建设有待加强", "problems"),
        ("001", "我乡领导班子全体成员", "responsibility"),
        ("001", "乡工作领导小组将组织对执行情况", "plans"),
        ("002", "按照区、市、县各级督察反馈意见", "rectification"),
        ("002", "一是学习宣传习近平法治思想", "measures"),
        ("002", "实现户均一个法律明白人", "responsibility"),
        ("002", "尽管我乡法治政府工作虽然取得了一定的成绩", "problems"),
        ("002", "下一步，青山乡将针对上述问题", "plans"),
        ("003", "电子政务建设还要进一步提升", "problems"),
        ("003", "完善落实法治制度建设", "plans"),
        ("004", "法律明白人”共计 535 人", "measures"),
        ("004", "法治队伍建设上有差距", "problems"),
        ("004", "坚持党对法治政府建设工作的领导", "plans"),
    ],
)
def test_section_category(prefix, phrase, section):
    assert paragraph_with(prefix, phrase).section == section


@pytest.mark.parametrize(
    "prefix, phrase, path",
    [
        ("000", "东和乡执法队核定编制", ("二、法治工作完成情况", "（二）深化行政执法改革，打造过硬执法队伍")),
        ("000", "二是创新载体", ("三、存在主要问题和下一步工作计划",)),
        ("004", "法律明白人”共计 535 人", ("一、主要工作完成情况", "（六）推进法治文化建设，筑牢法治宣传阵地。")),
        ("004", "法治队伍建设上有差距", ("二、存在问题及短板", "（一）法治队伍建设上有差距")),
        ("003", "完善落实法治制度建设", ("四、2024年度推进法治政府建设的主要工作安排", "1.完善落实法治制度建设")),
    ],
)
def test_heading_path(prefix, phrase, path):
    assert paragraph_with(prefix, phrase).heading_path == path


def test_markdown_heading_markers_are_not_part_of_the_text():
    texts = [p.text for p in parse_report(report_path("004")).paragraphs]
    assert "二、存在问题及短板" in texts
    assert not any(t.startswith("#") for t in texts)


def test_paragraph_kinds():
    kinds = [p.kind for p in parse_report(report_path("000")).paragraphs]
    assert kinds[:3] == ["header", "header", "title"]
    assert kinds[-3:] == ["closing"] * 3


@pytest.mark.parametrize(
    "heading, after_problems, category",
    [
        ("一、2022年法治政府建设主要措施", False, "measures"),
        ("一、推进法治政府建设情况", False, "measures"),
        ("一、主要工作及成效", False, "measures"),
        ("一、强化组织保障，夯实法治建设根基", False, "measures"),  # thematic, before the problems
        ("一、政治思想引领", False, "measures"),
        ("五、政治思想引领", True, "other"),  # thematic, after the problems
        ("二、存在的不足和原因", False, "problems"),
        ("三、党政主要负责人履行推进法治建设第一责任人职责情况", False, "responsibility"),
        ("三、强化主要责任人责任", False, "responsibility"),
        ("四、下一年度推进法治政府建设的主要安排", True, "plans"),
        ("五、其他需要报告的情况", True, "other"),
        ("一、2022年度督察反馈问题整改情况", False, "rectification"),
        ("一、基本情况", False, "overview"),
        ("一、2025年推进法治政府建设总体情况", False, "measures"),
        ("二、存在的問題和不足", False, "problems"),  # traditional characters
        ("三、黨政主要負責人履行第一責任人職責情況", False, "responsibility"),
    ],
)
def test_heading_categories_follow_the_official_outline_and_its_rewordings(heading, after_problems, category):
    assert category_of_heading(heading, after_problems) == category
