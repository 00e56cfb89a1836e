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
#: 一主要举措和成效: a top-level number whose 、 was left out (or written as a space or a comma),
#: before the words an outline heading opens with (not 一是…, 八五普法, 三重一大, 一年来 …).
_LEVEL1_BARE = re.compile(
    rf"^(?:十[{_CN_NUM[:-1]}]?|[{_CN_NUM[:-1]}])(?:\s*[，,]\s*|\s+)?(?=主要|存在|下一|下步|下阶段|下年|今后|明年|基本情况|总体|"
    r"工作|推进|党政|履行|其他|其它|法治|依法|本年度|(?:19|20)\d{2}|问题|不足|整改|督察|落实|关于|全面)"
)
#: The last words of a long heading: a line cut by a page break seldom stops on them.
_HEADING_END = re.compile(
    r"(情况|职责|成效|成绩|问题|原因|不足|短板|差距|困难|安排|计划|打算|举措|措施|做法|工作|建设|思路|目标|任务|建议)$"
)

#: Headings longer than this, or with a sentence inside, are paragraphs that open with a heading…
MAX_HEADING_CHARS = 40
#: … except a top-level or second-level heading up to this long that names a part of the outline
#: and ends as headings do (一、2025年度党政主要负责人履行…职责,加强法治政府建设的有关情况).
MAX_LONG_HEADING_CHARS = 80
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
        return LineShape(1, line, True) if is_bare_heading(line) else LineShape(0, "", False)
    inner = line.rstrip("。：:")
    has_sentence = bool(_SENTENCE_END.search(inner))
    if level == 3:
        pure = not has_sentence and len(line) < MIN_ITEM_SENTENCE_CHARS and not line.endswith(("，", ",", "、"))
    else:
        pure = not has_sentence and (len(line) <= MAX_HEADING_CHARS or is_long_heading(line))
    return LineShape(level, line if pure else lead_of(line), pure)


def is_bare_heading(line: str) -> bool:
    """一主要举措和成效, 二存在的问题: a top-level heading written without its 、, named by the outline."""
    m = _LEVEL1_BARE.match(line)
    if not m or len(line) > MAX_HEADING_CHARS or _SENTENCE_END.search(line.rstrip("。：:")):
        return False
    return not line.endswith(("，", ",", "、")) and keyword_category(line[m.end() :]) is not None


def is_long_heading(line: str) -> bool:
    """A numbered heading of 41–80 characters: it names a part of the outline and ends as a heading does."""
    return (
        len(line) <= MAX_LONG_HEADING_CHARS and bool(_HEADING_END.search(line)) and keyword_category(line) is not None
    )


#: A top-level number inside a line (a page saved without line breaks): after a sentence's end,
#: or after a space that follows Chinese text.
_INLINE_LEVEL1 = re.compile(
    rf"(?:(?<=[。！？!?：:])|(?<=[\u4e00-\u9fff。！？：）)”]\s))\s*(?=[{_CN_NUM}]{{1,3}}\s*[、．])"
)
#: Where a heading inside running text ends: a space between Chinese characters, the next level's
#: number (（一）, 1., 一是), a sentence opening on a year (2025年，), or a sentence mark.
_INLINE_END = re.compile(
    rf"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff（(\d])|(?=[（(][{_CN_NUM}]{{1,3}}[）)])|(?=[{_CN_NUM}]是)"
    r"|(?=\d{1,2}[.．、](?!\d))|(?=(?:19|20)\d{2}\s*年[，,])|(?<=[^、．.])(?=[；;])|(?<=[。！？!?])"
)


def inline_headings(line: str) -> list[str]:
    """A line cut where a top-level heading of the outline stands inside it (一、主要措施和成效 in a
    page stored without line breaks); the line itself when none does.

    The heading ends at a space, the next level's number or a year opening a sentence, and must
    name a part of the outline (主要措施, 存在的问题 …): an enumeration in a sentence
    (分三个阶段：一、宣传发动；二、…) stays whole.
    """
    if len(line) < 8 or "、" not in line and "．" not in line:
        return [line]
    starts = [m.end() for m in _INLINE_LEVEL1.finditer(line)]
    if numbering_level(line) == 1:
        starts.insert(0, 0)
    pieces, done = [], 0
    for start in starts:
        if start < done:
            continue
        end = _inline_heading_end(line, start)
        if end is None:
            continue
        pieces += [line[done:start].strip(), line[start:end].strip()]
        done = end
    if not pieces:
        return [line]
    return [p for p in pieces + [line[done:].strip()] if p]


def _inline_heading_end(line: str, start: int) -> int | None:
    """Where the heading at start ends, if a heading of the outline stands there and text follows it."""
    m = _INLINE_END.search(line, start + 2, start + MAX_LONG_HEADING_CHARS + 1)
    if m is None or line[m.start() : m.start() + 1] in "；;":
        return None  # no end in sight, or an item of an enumeration
    end = m.start() if m.start() > start else m.end()
    heading = line[start:end].strip()
    if heading[-1:] in "。！？!?" and (start == 0 or not _HEADING_END.search(heading[:-1])):
        return None  # a paragraph that opens with its lead: tag_paragraphs names it by that lead
    shape = shape_of(heading.rstrip("。！？!?"))
    if shape.level != 1 or not shape.pure or keyword_category(heading) is None or not line[end:].strip():
        return None
    return end


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
