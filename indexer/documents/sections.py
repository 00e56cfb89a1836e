"""Headings, heading paths and section categories of a report's lines."""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.text.normalize import simplify

#: The fixed section categories, with the Chinese names the site shows.
SECTIONS: dict[str, str] = {
    "overview": "基本情况",
    "measures": "主要举措和成效",
    "rectification": "督察整改",
    "responsibility": "第一责任人职责",
    "problems": "存在问题",
    "plans": "下一步安排",
    "other": "其他",
}

_CN_NUM = "一二三四五六七八九十"
_LEVEL1 = re.compile(rf"^[{_CN_NUM}]{{1,3}}\s*[、.．]")
_LEVEL2 = re.compile(rf"^[（(]\s*[{_CN_NUM}]{{1,3}}\s*[）)]")
_ITEM = re.compile(r"^(\d{1,2}\s*[.．、](?!\d)|[（(]\d{1,2}[）)])")
_MARKDOWN = re.compile(r"^(#{1,6})\s*(.*)$")
_SENTENCE_END = re.compile(r"[。！？!?；;]")

#: Headings longer than this, or with a sentence inside, are paragraphs that open with a heading.
MAX_HEADING_CHARS = 40
#: A numbered item shorter than this with no closing mark is a heading, not a cut sentence.
MIN_ITEM_SENTENCE_CHARS = 20


@dataclass(frozen=True)
class LineShape:
    """What a line is: its heading level (0 = none), the heading text, and whether it is a pure heading."""

    level: int
    label: str
    pure: bool
    markdown: bool = False


def numbering_level(text: str) -> int:
    """Level of a numbered line: 一、=1, （一）=2, 1./（1）=3, 0 when not numbered."""
    if _LEVEL1.match(text):
        return 1
    if _LEVEL2.match(text):
        return 2
    if _ITEM.match(text):
        return 3
    return 0


def shape_of(line: str) -> LineShape:
    """Classify one stripped line of a report."""
    md = _MARKDOWN.match(line)
    if md:
        text = md.group(2).strip()
        level = numbering_level(text) or len(md.group(1))
        return LineShape(level, text, True, markdown=True)
    level = numbering_level(line)
    if not level:
        return LineShape(0, "", False)
    inner = line.rstrip("。：:")
    has_sentence = bool(_SENTENCE_END.search(inner))
    if level == 3:
        pure = not has_sentence and len(line) < MIN_ITEM_SENTENCE_CHARS and not line.endswith(("，", ",", "、"))
    else:
        pure = not has_sentence and len(line) <= MAX_HEADING_CHARS
    return LineShape(level, line if pure else lead_of(line), pure)


def lead_of(text: str) -> str:
    """The heading-like opening of a paragraph: up to its first sentence mark."""
    m = _SENTENCE_END.search(text)
    lead = text[: m.start()] if m else text
    if len(lead) > MAX_HEADING_CHARS:
        lead = lead[:MAX_HEADING_CHARS] + "…"
    return lead


# Keywords of the official outline of these reports (主要举措和成效 / 存在的不足和原因 /
# 党政主要负责人履行推进法治建设第一责任人职责情况 / 下一年度推进法治政府建设的主要安排 /
# 其他需要报告的情况) and its usual rewordings, matched on simplified text.
_RESPONSIBILITY = re.compile(
    r"第一责任人|主要负责人|主要责任人|一把手|主要领导.{0,6}(职责|责任)|述法|"
    r"领导干部.{0,4}(履职|职责)"
)
_RECTIFICATION = re.compile(r"督察|督查整改|整改落实|整改情况|问题整改|反馈问题")
_PROBLEMS = re.compile(r"存在|不足|短板|差距|薄弱|困难|问题(和|与|及)(原因|困难|挑战)|主要问题")
_PLANS = re.compile(
    r"下一步|下步|下一年|下年度|下阶段|明年|今后|安排|计划|打算|思路|建议|展望|\d{4}\s*年.{0,4}(工作)?(重点|目标|任务)"
)
_MEASURES = re.compile(
    r"举措|措施|成效|成绩|完成情况|主要工作|工作情况|做法|开展情况|落实情况|推进情况|建设情况|"
    r"工作开展|取得|亮点|经验"
)
_OVERVIEW = re.compile(r"基本情况|指导思想|总体要求|总体情况|概况|工作目标")
_OTHER = re.compile(r"其他|其它|附件")
_YEAR_OR_WORK = re.compile(r"\d{4}\s*年|法治|工作|推进")

#: Category marker for a heading that covers both problems and plans.
PROBLEMS_AND_PLANS = "problems+plans"


def keyword_category(heading: str) -> str | None:
    """Category a heading's wording names, PROBLEMS_AND_PLANS for a combined one, None for a thematic one."""
    heading = simplify(heading)
    if _OTHER.search(heading[:8]):
        return "other"
    if _RESPONSIBILITY.search(heading):
        return "responsibility"
    if _RECTIFICATION.search(heading):
        return "rectification"
    problems = bool(_PROBLEMS.search(heading))
    plans = bool(_PLANS.search(heading))
    if problems and plans:
        return PROBLEMS_AND_PLANS
    if problems:
        return "problems"
    if plans:
        return "plans"
    if _MEASURES.search(heading):
        return "measures"
    if _OVERVIEW.search(heading):
        # 2024年法治政府建设基本情况 / 年度工作总体情况 describe the year's work; 基本情况 alone does not.
        return "measures" if _YEAR_OR_WORK.search(heading) else "overview"
    return None


def category_of_heading(heading: str, after_problems: bool = False) -> str:
    """Section category of a top-level heading, from its wording and its place in the report.

    A heading named by its theme (一、强化组织保障，夯实法治建设根基) describes the year's
    work when it stands before the problems; after them it is `other`.
    """
    category = keyword_category(heading)
    if category is None:
        return "other" if after_problems else "measures"
    return category


_FUTURE_TURN = re.compile(
    r"^(下一步|下步|下阶段|今后|接下来|明年|针对.{0,40}?(问题|不足|短板|差距)|"
    r"\d{4}\s*年(度)?[，,]?.{0,12}将)"
)


def turns_to_future(text: str) -> bool:
    """True for the paragraph where a problems-and-plans section turns to plans."""
    return bool(_FUTURE_TURN.match(text)) and ("将" in text[:80] or "要" in text[:80])
