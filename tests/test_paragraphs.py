"""Paragraph splitting: page-break repairs rejoin cut sentences, headings stay apart."""

import random

import pytest

from indexer.documents.paragraphs import closing_block_start, glue, glue_all, is_cut, split_lines, split_paragraphs
from indexer.documents.report import parse_report
from tests.conftest import report_path


def paragraphs_of(prefix):
    return [p.text for p in parse_report(report_path(prefix)).paragraphs]


@pytest.mark.parametrize(
    "prefix, phrase",
    [
        ("000", "组织本单位及各站所送法下乡入户"),
        ("001", "二是建立健全行政机关规范性文件"),
        ("001", "司法调解相衔接的大调解联动机制"),
        ("001", "工作目标和要求为导向"),
        ("004", "以提升人民群众对乡政府工作的满意度"),
        ("004", "同督促、同考核"),
        ("004", "激发市场主体活力"),
        ("004", "行政审批事项清单"),
        ("004", "南斗片区综治+治理中心"),
        ("004", "“雪亮工程”实时监控"),
        ("004", "“一村一法律顾问”制度"),
        ("004", "民主性科学性"),
        ("004", "党员干部的相关法治水平"),
    ],
)
def test_page_break_is_repaired(prefix, phrase):
    assert sum(phrase in p for p in paragraphs_of(prefix)) == 1


@pytest.mark.parametrize("prefix, repairs", [("000", 1), ("001", 3), ("002", 0), ("003", 0), ("004", 9)])
def test_repair_counts(prefix, repairs):
    assert parse_report(report_path(prefix)).repairs == repairs


@pytest.mark.parametrize(
    "prefix, heading",
    [
        ("000", "（三）加大普法力度，浓厚法治氛围"),
        ("000", "一、基本情况："),
        ("001", "五、2025年推进法治政府建设的主要安排和具体计划"),
        ("002", "四、存在问题及下一步工作打算"),
        ("003", "（四）强化依法治理，推进社会法治"),
        ("004", "一、主要工作完成情况"),
    ],
)
def test_headings_stay_their_own_paragraph(prefix, heading):
    assert heading in paragraphs_of(prefix)


@pytest.mark.parametrize(
    "prefix, first, last",
    [
        ("000", "中共东和乡委员会", "2023年12月5日"),
        ("002", "中共青山乡委员会", "青山乡人民政府"),
        ("004", "国宝乡人民政府", "2023年12月25日"),
    ],
)
def test_signature_lines_are_not_glued(prefix, first, last):
    texts = paragraphs_of(prefix)
    assert texts[-1] == last
    assert first in texts[-3:]


def test_every_line_of_the_source_is_in_some_paragraph():
    for prefix in ("000", "001", "002", "003", "004"):
        source = report_path(prefix).read_text(encoding="utf-8")
        joined = "".join(paragraphs_of(prefix)).replace(" ", "")
        for line in source.splitlines():
            assert line.strip().lstrip("#").strip().replace(" ", "") in joined


def test_hard_wrapped_lines_are_joined_into_one_paragraph():
    text = "一、主要工作\n\n我乡坚持以习近平新时代中国特色社会主义思想为指导，全面贯\n彻党的二十大精神，扎实推进法治政府建设各项工作任务。\n"
    paragraphs, repairs, _ = split_paragraphs(text)
    assert paragraphs == [
        "一、主要工作",
        "我乡坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻党的二十大精神，扎实推进法治政府建设各项工作任务。",
    ]
    assert repairs == 1


@pytest.mark.parametrize(
    "pieces",
    [["法治", "政府"], ["Word", "2016", "版"], ["第一段", "", "ABC", "def"], ["a"], ["。", "b", "c1", "2"]],
)
def test_glue_all_joins_as_glue_does_pair_by_pair(pieces):
    joined = pieces[0]
    for piece in pieces[1:]:
        joined = glue(joined, piece)
    assert glue_all(pieces) == joined


def rejoined_by_gluing(text: str) -> list[str]:
    """The page-break repair as first written: glue each cut line to the whole paragraph, judge it all again."""
    lines = split_lines(text)
    closing = closing_block_start(lines)
    out, i = [], 0
    while i < len(lines):
        current = lines[i]
        while i + 1 < closing and is_cut(current, lines[i + 1]):
            current = glue(current, lines[i + 1])
            i += 1
        out.append(current)
        i += 1
    return out


def random_report(seed: int) -> str:
    """Lines of every shape the repair tells apart: cut, closed, quoted, headings, items, Latin words, long runs."""
    rng = random.Random(seed)
    pieces = [
        "法治政府建设",
        "依法行政",
        "Word 2016",
        "。",
        "；",
        "”",
        "）",
        "」",
        "，",
        "abc",
        "1.",
        "（二）",
        "一、",
        "# ",
    ]
    lines = []
    for _ in range(rng.randint(5, 60)):
        line = "".join(rng.choice(pieces) for _ in range(rng.choice([1, 3, 8, 30, 80])))
        lines.append(line.strip() or "空")
    return "\n".join(lines + ["某某乡人民政府", "2024年1月5日"])


@pytest.mark.parametrize("seed", range(40))
def test_rejoining_in_one_pass_repairs_as_gluing_does(seed):
    text = random_report(seed)
    assert split_paragraphs(text)[0] == rejoined_by_gluing(text)


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_rejoining_the_reports_in_one_pass_repairs_as_gluing_does(prefix):
    text = report_path(prefix).read_text(encoding="utf-8")
    assert split_paragraphs(text)[0] == rejoined_by_gluing(text)


def test_a_long_numbered_heading_is_not_joined_to_the_next_paragraph():
    heading = "一、2025年度党政主要负责人履行推进法治建设第一责任人职责,加强法治政府建设的有关情况"
    text = f"现将有关情况报告如下：\n{heading}\n2025年，乡党委、政府主要负责人认真履行推进法治建设第一责任人职责。\n"
    paragraphs, repairs, _ = split_paragraphs(text)
    assert (paragraphs[1], repairs) == (heading, 0)


def test_a_cut_numbered_line_of_the_same_length_is_still_joined():
    cut = "（一）加强组织领导，成立了以乡长为组长的法治政府建设领导小组，统筹推进各项法治工作的"
    paragraphs, repairs, _ = split_paragraphs(f"{cut}\n落实，全年召开专题会议4次。\n")
    assert (paragraphs, repairs) == ([cut + "落实，全年召开专题会议4次。"], 1)


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_the_seed_reports_lines_are_as_written(prefix):
    """The heading shapes added for pages as saved (a heading without its 、, a long one, one
    inside a line) leave every line of the five reports as it was."""
    lines = [line.strip() for line in report_path(prefix).read_text(encoding="utf-8").split("\n") if line.strip()]
    assert split_lines("\n".join(lines)) == lines
