"""Heading paths and section categories of chosen paragraphs in the real reports."""

import pytest

from indexer.documents.report import parse_report
from indexer.documents.sections import category_of_heading, inline_headings, shape_of
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


# -- headings as they are written ---------------------------------------------------------------

LONG_HEADING = "一、2025年度党政主要负责人履行推进法治建设第一责任人职责,加强法治政府建设的有关情况"


@pytest.mark.parametrize(
    "line, level, pure",
    [
        ("一主要举措和成效", 1, True),  # the 、 left out
        ("二存在的问题", 1, True),
        ("三下一步工作打算", 1, True),
        ("四党政主要负责人履行推进法治建设第一责任人职责情况", 1, True),
        ("五其他需要报告的情况", 1, True),
        ("一2025年法治政府建设主要工作", 1, True),
        ("一 主要举措和成效", 1, True),  # a space for the 、
        ("二，存在的问题和不足", 1, True),  # a comma for the 、
        (LONG_HEADING, 1, True),  # 44 characters
        ("（二）2025年度党政主要负责人履行推进法治建设第一责任人职责,加强法治政府建设的有关情况", 2, True),
        ("一、主要措施和成效", 1, True),
        # not headings: running text, compounds that open with a number, a sentence
        ("一是加强组织领导", 0, False),
        ("一是主要负责人带头学法", 0, False),
        ("八五普法工作开展情况", 0, False),
        ("三重一大制度落实情况", 0, False),
        ("一年来主要工作成效", 0, False),
        ("十四五规划落实情况", 0, False),
        ("一村一法律顾问工作情况", 0, False),
        ("一主要举措和成效。全年办理行政执法案件12件。", 0, False),
        ("一强化组织保障", 0, False),  # no 、 and no outline word: not known to be a heading
        ("一 是加强组织领导", 0, False),
        ("三，下一步我镇将继续加强法治宣传教育。全年开展活动12场。", 0, False),
        # numbered, but a paragraph: long and cut, or not ending as a heading does
        ("（一）加强组织领导，成立了以乡长为组长的法治政府建设领导小组，统筹推进各项法治工作的", 2, False),
        ("一、坚持党的领导，全面落实各项工作部署，确保法治政府建设各项任务落到实处并取得明显实效", 1, False),
        ("一、" + "主要措施和成效" * 12, 1, False),  # over 80 characters
    ],
)
def test_heading_shapes_as_written(line, level, pure):
    shape = shape_of(line)
    assert (shape.level, shape.pure) == (level, pure)


def report_of(tmp_path, lines):
    path = tmp_path / "r.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return parse_report(path)


WRITTEN = [
    "栋川镇2025年法治政府建设年度报告",
    "2025年，我镇坚持以习近平法治思想为指导，全面推进法治政府建设。现将有关情况报告如下：",
    "一主要举措和成效",
    "（一）加强组织领导。镇党委定期研究法治政府建设工作，把法治建设纳入全镇发展总体规划。",
    LONG_HEADING,
    "镇党委书记、镇长带头学法述法，全年主持召开专题会议4次，研究解决法治建设重大问题。",
    "二存在的问题",
    "一是普法宣传形式较为单一，群众参与度不高。二是执法队伍专业化水平有待提升。",
    "三下一步工作打算",
    "下一步，我镇将继续加强法治宣传教育，不断提升依法行政水平。",
]


@pytest.mark.parametrize(
    "phrase, kind, section",
    [
        ("一主要举措和成效", "heading", "measures"),
        ("（一）加强组织领导", "body", "measures"),
        (LONG_HEADING, "heading", "responsibility"),
        ("镇党委书记、镇长带头学法述法", "body", "responsibility"),
        ("二存在的问题", "heading", "problems"),
        ("一是普法宣传形式较为单一", "body", "problems"),
        ("三下一步工作打算", "heading", "plans"),
        ("下一步，我镇将继续", "body", "plans"),
    ],
)
def test_headings_as_written_file_their_section(tmp_path, phrase, kind, section):
    report = report_of(tmp_path, WRITTEN)
    paragraph = next(p for p in report.paragraphs if p.text.startswith(phrase))
    assert (paragraph.kind, paragraph.section) == (kind, section)
    assert report.repairs == 0 and len(report.paragraphs) == len(WRITTEN)


def test_a_page_without_line_breaks_splits_at_its_headings(tmp_path):
    marked = [
        line.replace("一主要", "一、主要").replace("二存在", "二、存在").replace("三下一步", "三、下一步")
        for line in WRITTEN
    ]
    report = report_of(tmp_path, [" ".join(marked)])
    assert [p.text for p in report.paragraphs if p.kind == "heading"] == [marked[2], LONG_HEADING, *marked[6:9:2]]
    assert [p.section for p in report.paragraphs] == [p.section for p in report_of(tmp_path, marked).paragraphs]
    assert (report.title, report.year) == (WRITTEN[0], 2025)


@pytest.mark.parametrize(
    "line, pieces",
    [
        (
            "现将有关情况报告如下：一、主要措施和成效（一）加强组织领导。镇党委定期研究。",
            ["现将有关情况报告如下：", "一、主要措施和成效", "（一）加强组织领导。镇党委定期研究。"],
        ),
        ("全面落实。 二、存在的问题 一是宣传单一。", ["全面落实。", "二、存在的问题", "一是宣传单一。"]),
        ("一、主要措施和成效 2025年，我镇坚持依法行政。", ["一、主要措施和成效", "2025年，我镇坚持依法行政。"]),
        ("一、主要措施和成效2025年，我镇坚持依法行政。", ["一、主要措施和成效", "2025年，我镇坚持依法行政。"]),
        # not cut: an enumeration inside a sentence, a paragraph that opens with its lead, running text
        ("工作分为三个阶段：一、宣传发动阶段；二、集中整治阶段。", None),
        ("主要表现在：一、存在的问题较多；二、整改不及时。", None),
        ("一、加强组织领导。我镇坚持依法行政。", None),
        ("通过三、四月份的集中整治，存在的问题得到解决。", None),
        ("一、基本情况：", None),
        ("全镇共有二、三产业从业人员1200人，主要工作成效明显。", None),
    ],
)
def test_a_heading_inside_a_line_is_cut_out(line, pieces):
    assert inline_headings(line) == (pieces or [line])
