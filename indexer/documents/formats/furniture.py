"""Saved-page furniture: what a government site prints around an article, in any format.

A report saved from a 政务公开 page — as a web page, or copied into a .txt, .md or Word
file — keeps the site's lines around it: a breadcrumb (首页 > 政务公开 > …), a font-size
line (字体大小：大 中 小), share and print links, a 来源 / 发布时间 / 浏览次数 line, and the
page's metadata list (索引号, 发文字号, 发布机构, 成文日期 …) in bracketed form
(`[ 索引号 ] …`), key-colon form (`索引号：…`) or as a table (cells split by tabs or `|`
on one line, or one cell a line). strip_furniture takes those lines out of the text and
reads the metadata list into label → value.

A line is furniture only when all of it is: a breadcrumb, a site footer line, or nothing
but labels with short values and site words (字体, 打印, 分享到 …). A line of one
`label：value` (来源：某某镇人民政府) counts only above the article's first sentence or
below its last, and a label alone on its line (a table cell) only above the first: a body
sentence that opens 来源于… or mentions 索引号 is text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Labels of the 政务公开 metadata list, and of the lines above and below an article.
PAGE_LABELS = (
    "索引号",
    "主题分类",
    "发布机构",
    "发文机关",
    "发布单位",
    "成文日期",
    "发文字号",
    "文号",
    "发布日期",
    "生效日期",
    "废止日期",
    "有效性",
    "主题词",
    "关键词",
    "体裁分类",
    "组配分类",
    "服务对象",
    "公开方式",
    "公开范围",
    "信息分类",
    "标题",
    "名称",
    "发布时间",
    "来源",
    "文章来源",
    "信息来源",
    "作者",
    "浏览次数",
    "点击数",
    "阅读次数",
    "访问量",
    "责任编辑",
)
#: Labels whose value names the body that issued the page: a clue to the report's place.
ISSUER_LABELS = ("发布机构", "发文机关", "发布单位")
#: Labels whose value is the document number (某政发〔2026〕3号).
NUMBER_LABELS = ("发文字号", "文号")
#: Labels a line of its own may show below an article (above it, any label may).
TAIL_LABELS = (
    "责任编辑",
    "作者",
    "来源",
    "文章来源",
    "信息来源",
    "发布时间",
    "发布日期",
    "浏览次数",
    "点击数",
    "阅读次数",
    "访问量",
)

_LABEL_TEXT = "|".join(r"\s*".join(label) for label in sorted(PAGE_LABELS, key=len, reverse=True))
_OPEN, _CLOSE = r"[\[［【]", r"[\]］】]"
#: A label as a list shows it: `[ 索引号 ]`, `【索引号】` or `索引号：`.
LABEL_TOKEN = re.compile(rf"{_OPEN}\s*({_LABEL_TEXT})\s*{_CLOSE}\s*[:：]?|({_LABEL_TEXT})\s*[:：]")
#: A label alone, as a table cell shows it.
BARE_LABEL = re.compile(rf"^(?:{_OPEN}\s*)?({_LABEL_TEXT})\s*(?:{_CLOSE})?\s*[:：]?$")
#: Site words that may share a line with labels: font size, print, close, share, scan.
_SITE_WORDS = re.compile(
    rf"{_OPEN}?\s*字\s*[体号](?:\s*大\s*小)?\s*[:：]?\s*(?:[\[［【(（]?\s*[大中小]\s*[\]］】)）]?\s*){{3}}{_CLOSE}?"
    rf"|{_OPEN}?\s*(?:打印本页|打印此页|打印文章|打印|关闭窗口|关闭本页|关闭|返回顶部|返回列表|返回|收藏本页|加入收藏|收藏"
    rf"|我要纠错|纠错|保存本页)\s*{_CLOSE}?"
    r"|(?:分享到|分享至|分享)\s*[:：]?(?:\s*(?:微信|朋友圈|新浪微博|腾讯微博|微博|QQ空间|QQ好友|QQ|豆瓣|人人网|更多)\s*[,，、]?)*"
    r"|扫一扫(?:在手机(?:上)?(?:打开|查看|浏览)(?:当前页|本页)?)?"
)
#: Where a value ends: the next label, or site words after a space or bracket.
_VALUE_END = re.compile(
    LABEL_TOKEN.pattern + r"|(?:(?<=\s)|(?<=[|｜\]］】]))(?:" + _SITE_WORDS.pattern + ")",
)
_SEPARATORS = re.compile(r"[\s|｜·]+")
#: Whole lines a site prints around an article.
_WHERE = r"(?:您)?(?:当前|现在)?(?:所在)?的?位置\s*[:：]"
_BREADCRUMB = re.compile(
    rf"^{_WHERE}|^(?:网站)?首页\s*[>＞»›→]|^首页(?:\s+[^\s。，；！？]{{2,8}}){{3,}}$"
    r"|^[^>＞»›→。；！？]{1,20}(?:\s*[>＞»›]\s*[^>＞»›→。；！？]{1,20}){2,}$"
)
#: A breadcrumb at the start of a page stored as one line: up to the space after its last step.
_BREADCRUMB_RUN = re.compile(rf"^(?:{_WHERE}\s*)?首页(?:\s*[>＞»›→]\s*[^\s>＞»›→]{{1,20}})+")
#: A value in a page stored as one line: a date and time, else up to the next space.
_VALUE_RUN = re.compile(
    r"(?:(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|[^\s\[［【。；！？，]{1,80})(?=\s|$|[\[［【])"
)
#: Where the site's lists start below an article: everything after is the site's.
_RELATED = re.compile(r"^(?:上一篇|下一篇|上一条|下一条)\s*[:：]|^相关(?:链接|文章|阅读|新闻|信息|文件|推荐)\s*[:：]?$")
_SITE_LINE = re.compile(
    _RELATED.pattern
    + r"|ICP备|公网安备|网站标识码|建议使用.{0,20}分辨率|^(?:网站地图|联系我们|关于我们|无障碍浏览|长者模式|[\s|｜·])+$",
)
#: A site's footer lines that a report's text might also hold: furniture only outside its body.
_FOOTER_LINE = re.compile(
    r"版权所有|copyright|©|(?:主办|承办|协办)单位\s*[:：]|^(?:主办|承办)\s*[:：]|技术支持\s*[:：]", re.IGNORECASE
)
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?$")
_SENTENCE = re.compile(r"[。！？；!?;]")
_PROSE = re.compile(r"[。！？；，]")
_TITLE_END = re.compile(r"(报告|总结|汇报|情况)$")
_DATE_VALUE = re.compile(r"(?:19|20)\d{2}\s*[-/.年]")
_MARKDOWN = re.compile(r"^\s*(?:#{1,6}|>|[-*+])\s+|\*\*|__")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")

#: A value longer than this is text, not a metadata entry.
MAX_VALUE_CHARS = 80
#: A line shorter than this, or without a clause mark, is not the article's prose.
MIN_PROSE_CHARS = 30
#: A line longer than this is never furniture (and is not read as if it might be).
MAX_FURNITURE_CHARS = 400
#: How far into a page stored as one line its opening furniture is looked for.
MAX_PEEL_CHARS = 2000


@dataclass
class Furniture:
    """A text's lines with the site's furniture taken out, and the page metadata it showed."""

    lines: list[str]
    meta: dict[str, str] = field(default_factory=dict)
    #: The lines taken out, as written.
    dropped: list[str] = field(default_factory=list)


def label_name(text: str) -> str:
    return re.sub(r"\s+", "", text)


def plain(line: str) -> str:
    """A line as read for furniture: Markdown marks and link targets out, spaces trimmed."""
    return _MARKDOWN.sub("", _MD_LINK.sub(r"\1", line)).strip()


def value_like(value: str, label: str = "", cell: bool = False) -> bool:
    """A metadata value: short, no sentence. A cell on a line of its own must also look like a
    value of its label (a date, a count, 有效) and not like the report's title."""
    if len(value) > MAX_VALUE_CHARS or _SENTENCE.search(value):
        return False
    if not cell:
        return True
    if label in ("成文日期", "发布日期", "发布时间", "生效日期", "废止日期"):
        return bool(_DATE_VALUE.match(value))
    if label in ("浏览次数", "点击数", "阅读次数", "访问量"):
        return value.isdigit()
    if label == "有效性":
        return len(value) <= 6
    looks_like_title = len(value) >= 10 and " " not in value and bool(_TITLE_END.search(value))
    return label in ("标题", "名称") or not looks_like_title


def label_pairs(line: str) -> list[tuple[str, str]] | None:
    """(label, value) of each entry when the whole line is metadata entries and site words
    (a site word gives ("", "")); None when anything else is on the line."""
    if "\t" in line or "|" in line or "｜" in line:  # table cells: a label cell becomes `label：`
        cells = re.split(r"\t|[|｜]", line)
        bare = [BARE_LABEL.match(c.strip()) for c in cells]
        line = "\t".join(b.group(1) + "：" if b else c for b, c in zip(bare, cells))
    items, pos = _scan(line, 0, len(line), one_line=False)
    return (items or None) if pos == len(line) else None


def _scan(line: str, pos: int, stop: int, one_line: bool) -> tuple[list[tuple[str, str]], int]:
    """The entries and site words from pos on, and where they end. On a line of its own a value
    runs to the next label or site word; in a page stored as one line, to the next space."""
    items: list[tuple[str, str]] = []
    while pos < stop:
        skip = _SEPARATORS.match(line, pos)
        if skip:
            pos = skip.end()
            continue
        label = LABEL_TOKEN.match(line, pos)
        if label:
            name = label_name(label.group(1) or label.group(2))
            value, end = _value_after(line, label.end(), one_line)
            if value is None or not value_like(value, name):
                break  # a label opening a sentence (来源：县统计局。…): text from here on
            items.append((name, value))
            pos = end
            continue
        word = _SITE_WORDS.match(line, pos)
        if word and word.end() > pos and (line[word.end() - 1].isspace() or not line[word.end() :][:1].isalnum()):
            items.append(("", ""))
            pos = word.end()
            continue
        break
    return items, pos


def _value_after(line: str, start: int, one_line: bool) -> tuple[str | None, int]:
    """A label's value and where it ends; None when none can be told from the text after it."""
    if not one_line:
        end = _VALUE_END.search(line, start)
        stop = end.start() if end else len(line)
        return _SEPARATORS.sub(" ", line[start:stop]).strip(), stop
    skip = _SEPARATORS.match(line, start)
    start = skip.end() if skip else start
    if start == len(line) or LABEL_TOKEN.match(line, start):
        return "", start  # `[ 发文字号 ] [ 发布日期 ] …`: an empty entry
    value = _VALUE_RUN.match(line, start)
    return (value.group(0).strip(), value.end()) if value else (None, start)


def is_site_line(line: str) -> bool:
    """A breadcrumb, a site's ICP line, 上一篇/下一篇, or site words only: furniture anywhere."""
    if len(line) > 200:
        return False
    if _BREADCRUMB.search(line) or (len(line) <= 150 and _SITE_LINE.search(line)):
        return True
    items = label_pairs(line)
    return bool(items) and all(label == "" for label, _ in items)


def strip_furniture(lines: list[str]) -> Furniture:
    """The lines without the site's furniture, and the metadata entries read from it."""
    texts = [plain(line) if len(line) <= MAX_FURNITURE_CHARS else line for line in lines]
    kinds = [_kind(text) for text in texts]  # site, footer, entries (label pairs), label, rule or ""
    prose = [i for i, (t, k) in enumerate(zip(texts, kinds)) if not k and _is_prose(t)]
    head = prose[0] if prose else len(lines)
    tail = prose[-1] if prose else len(lines)
    related = next((i for i in range(tail + 1, len(lines)) if _RELATED.match(texts[i])), len(lines))
    meta: dict[str, str] = {}
    drop: set[int] = set(range(related, len(lines)))  # below 相关链接 / 上一篇: the site's lists
    peeled: dict[int, tuple[str, str]] = {}  # line → (what is left, what was taken off)
    i = 0
    while i < related:
        kind, text = kinds[i], texts[i]
        if kind == "site":
            drop.add(i)
        elif kind == "footer" and (i < head or i > tail):
            drop.add(i)
        elif kind == "entries":
            items = label_pairs(text)
            pairs = [(label, value) for label, value in items if label]
            lone = len(pairs) == 1 and len(items) == 1  # one `label：value` and nothing else
            if not lone or i < head or (i > tail and pairs[0][0] in TAIL_LABELS):
                drop.add(i)
                _record(meta, pairs)
                if pairs and not pairs[-1][1] and i < head and _cell_value(texts, kinds, i + 1, pairs[-1][0]):
                    meta.setdefault(pairs[-1][0], texts[i + 1])  # `索引号：` then the value on the next line
                    drop.add(i + 1)
                    i += 1
        elif kind == "label" and i < head and _label_block(kinds, i):
            drop.add(i)
            name = label_name(BARE_LABEL.match(text).group(1))
            if _cell_value(texts, kinds, i + 1, name):
                meta.setdefault(name, texts[i + 1])
                drop.add(i + 1)
                i += 1
        elif not kind and i <= head:
            found = peel_furniture(lines[i])
            if found is not None:
                _record(meta, found[0])
                peeled[i] = found[1:]
        elif kind == "rule" and (i - 1 in drop or (i + 1 < len(kinds) and kinds[i + 1] == "entries")):
            drop.add(i)
        i += 1
    kept = [peeled[i][0] if i in peeled else line for i, line in enumerate(lines) if i not in drop]
    taken = [lines[i] if i in drop else peeled[i][1] for i in sorted(drop | set(peeled))]
    return Furniture(kept, meta, taken)


def peel_furniture(line: str) -> tuple[list[tuple[str, str]], str, str] | None:
    """A page stored as one line, or a line that opens with the page's furniture: (the entries,
    the rest of the line, the part taken off), when a breadcrumb or a metadata entry opens it."""
    crumb = _BREADCRUMB_RUN.match(line)
    items, pos = _scan(line, crumb.end() if crumb else 0, min(len(line), MAX_PEEL_CHARS), one_line=True)
    rest = line[pos:].strip()
    if not (crumb or any(label for label, _ in items)) or not rest:
        return None
    return [(label, value) for label, value in items if label], rest, line[:pos].strip()


def _kind(text: str) -> str:
    if not text or len(text) > MAX_FURNITURE_CHARS:
        return ""
    if is_site_line(text):
        return "site"
    if len(text) <= 150 and _FOOTER_LINE.search(text):
        return "footer"
    if BARE_LABEL.match(text):
        return "label"
    if _TABLE_RULE.match(text):
        return "rule"
    return "entries" if label_pairs(text) else ""


def _is_prose(text: str) -> bool:
    return len(text) >= MIN_PROSE_CHARS and bool(_PROSE.search(text))


def _label_block(kinds: list[str], i: int) -> bool:
    """A label alone on its line counts when another label or entry line is near (a table read a cell a line)."""
    near = kinds[max(0, i - 3) : i] + kinds[i + 1 : i + 4]
    return any(k in ("label", "entries") for k in near)


def _cell_value(texts: list[str], kinds: list[str], i: int, label: str) -> bool:
    return i < len(texts) and not kinds[i] and bool(texts[i]) and value_like(texts[i], label, cell=True)


def _record(meta: dict[str, str], pairs: list[tuple[str, str]]) -> None:
    for label, value in pairs:
        if value and label not in meta:
            meta[label] = value


def merge_meta(first: dict[str, str], more: dict[str, str]) -> dict[str, str]:
    """Page metadata from two readings of a page: the first wins where both have a label."""
    return {**more, **first}
