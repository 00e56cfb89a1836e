"""Read a saved web page: the article's paragraphs without the site around it, and the
page's own metadata list (索引号, 发布机构, 成文日期, 发文字号, 发布日期, 主题词 …).

readability-lxml picks the element that holds the article; before it looks, we take
out what is never the article (scripts, navigation, breadcrumb, share bars, related
links, footer, the metadata table), and after it we drop the lines sites put around
an article (发布时间 / 来源 / 浏览次数, 字体 大 中 小, 打印本页 …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html
from lxml import etree
from readability import Document as Readability

from indexer.documents.decoding import IngestError, decode_bytes
from indexer.text.normalize import normalize

NO_ARTICLE = "no article text found (a list, navigation or empty page?)"

#: Labels of the 政务公开 metadata list, and of the line above an article.
META_LABELS = (
    "索引号",
    "主题分类",
    "发布机构",
    "发文机关",
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
_LABEL = re.compile(
    "(" + "|".join(r"\s*".join(label) for label in sorted(META_LABELS, key=len, reverse=True)) + r")\s*[:：]\s*"
)
#: class or id words of elements that are site chrome, never the article.
_CHROME = re.compile(
    r"(^|[-_\s])(nav|navbar|menu|crumbs?|breadcrumbs?|position|location|share|bdshare|"
    r"footer|foot|bottom|copyright|related|relate|xglj|xgxx|print|tools|search|sidebar)"
    r"([-_\s\d]|$)",
    re.IGNORECASE,
)
_CHROME_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "button")
#: Lines sites print around an article.
_FURNITURE = re.compile(
    r"^(当前位置|您现在的位置|您的位置|位置)\s*[:：]|首页\s*[>＞»›]|字\s*[体号]\s*[:：]?\s*[\[【(（]?\s*大\s*中\s*小"
    r"|打印本页|打印此页|关闭窗口|【\s*(打印|关闭|返回顶部)\s*】|分享到|扫一扫|收藏本页|返回顶部|上一篇|下一篇"
    r"|^相关(链接|文章|阅读|新闻)|主办单位|承办单位|网站标识码|ICP备|公网安备|版权所有|copyright|技术支持"
    r"|网站地图|联系我们|建议使用.{0,20}分辨率",
    re.IGNORECASE,
)
_BLOCKS = {
    "p",
    "div",
    "section",
    "article",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "tr",
    "td",
    "th",
    "table",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "center",
    "br",
    "hr",
}
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.IGNORECASE)


@dataclass
class Page:
    """A web page read: its article's paragraphs (one a line), metadata and headline."""

    text: str
    meta: dict[str, str] = field(default_factory=dict)
    title: str | None = None


def read_html(data: bytes) -> Page:
    """Read a saved page; raises IngestError when it holds no article."""
    tree = parse_page(decode_page(data))
    meta = page_metadata(tree)
    title = headline(tree)
    strip_chrome(tree)
    paragraphs = article_paragraphs(tree)
    if title and normalize(title) not in {normalize(p) for p in paragraphs[:6]}:
        paragraphs.insert(0, title)
    return Page("\n".join(paragraphs), meta, title)


def decode_page(data: bytes) -> str:
    """The page's text in its declared charset (GBK/GB2312 read as GB18030), else as ingest decodes."""
    match = _CHARSET.search(data[:4096])
    if match and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        name = match.group(1).decode("ascii").lower()
        if name in ("gbk", "gb2312", "gb_2312-80", "x-gbk", "cp936"):
            name = "gb18030"
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong or unknown declaration: detect instead
    return decode_bytes(data)


def parse_page(text: str) -> etree._Element:
    try:
        tree = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise IngestError(f"not a readable web page ({exc})") from None
    for el in tree.iter(*_CHROME_TAGS[:3]):  # script, style, noscript: never text
        el.drop_tree()
    return tree


def _pieces(tree: etree._Element) -> list[str]:
    body = tree.find("body")
    return [t.strip() for t in (body if body is not None else tree).itertext() if t.strip()]


def page_metadata(tree: etree._Element) -> dict[str, str]:
    """Label → value for each metadata label shown on the page (the first time it is shown)."""
    meta: dict[str, str] = {}
    pieces = _pieces(tree)
    for i, piece in enumerate(pieces):
        found = list(_LABEL.finditer(piece))
        for j, match in enumerate(found):
            if match.start() and j == 0 and not piece[: match.start()].isspace():
                continue  # a label in running text, not a list entry
            end = found[j + 1].start() if j + 1 < len(found) else len(piece)
            value = piece[match.end() : end].strip()
            if not value and j + 1 == len(found) and i + 1 < len(pieces) and not _LABEL.match(pieces[i + 1]):
                value = pieces[i + 1]
            label = re.sub(r"\s+", "", match.group(1))
            if value and label not in meta and len(value) <= 100:
                meta[label] = value
    published = tree.xpath("//meta[@name='PubDate']/@content")
    if "发布日期" not in meta and published and published[0].strip():
        meta["发布日期"] = published[0].strip()
    return meta


def headline(tree: etree._Element) -> str | None:
    """The article's headline: its <h1>, else the ArticleTitle meta, else <title> before the site name."""
    for text in (tree.xpath("//h1//text()"), tree.xpath("//meta[@name='ArticleTitle']/@content")):
        value = " ".join(t.strip() for t in text if t.strip())
        if value:
            return value
    title = tree.findtext(".//title") or ""
    return re.split(r"\s*[_|｜]\s*|\s+-\s+", title.strip())[0] or None


def _is_chrome(el: etree._Element) -> bool:
    if el.tag in _CHROME_TAGS or el.tag == "h1":  # the headline is put back by read_html
        return True
    words = f"{el.get('class', '')} {el.get('id', '')}"
    if _CHROME.search(words):
        return True
    if el.tag in ("table", "ul", "ol", "dl", "div"):
        text = el.text_content()
        return len(text) < 1000 and len({m.group(1) for m in _LABEL.finditer(text)}) >= 3
    return False


def strip_chrome(tree: etree._Element) -> None:
    """Remove navigation, breadcrumb, share bars, related links, footer and the metadata list."""
    for el in list(tree.iter()):
        if isinstance(el.tag, str) and el.getparent() is not None and _is_chrome(el):
            el.drop_tree()


def article_paragraphs(tree: etree._Element) -> list[str]:
    """The paragraphs of the element readability-lxml takes for the article, furniture lines dropped."""
    html = lxml.html.tostring(tree, encoding="unicode")
    try:
        summary = lxml.html.fragment_fromstring(Readability(html).summary(html_partial=True))
    except (etree.ParserError, ValueError):  # readability left nothing: an empty or link-only page
        raise IngestError(NO_ARTICLE) from None
    if _link_share(summary) > 0.5:
        raise IngestError(NO_ARTICLE)
    paragraphs = [line for line in block_lines(summary) if not _FURNITURE.search(line)]
    if sum(len(p) for p in paragraphs) < 100:
        raise IngestError(NO_ARTICLE)
    return paragraphs


def _link_share(el: etree._Element) -> float:
    """Share of the element's text that is link text: high on list pages."""
    total = len(re.sub(r"\s+", "", el.text_content()))
    linked = sum(len(re.sub(r"\s+", "", a.text_content())) for a in el.iter("a"))
    return linked / total if total else 1.0


def block_lines(el: etree._Element) -> list[str]:
    """Text of an element, one line per block (p, div, li, td …) and per <br>."""
    for node in el.iter():
        if not isinstance(node.tag, str):
            continue
        node.text = re.sub(r"\s+", " ", node.text) if node.text else node.text
        node.tail = re.sub(r"\s+", " ", node.tail) if node.tail else node.tail
        if node.tag in _BLOCKS:
            node.text = "\n" + (node.text or "")
            node.tail = "\n" + (node.tail or "")
    lines = (line.replace("\xa0", " ").replace("\u3000", " ").strip() for line in el.text_content().split("\n"))
    return [re.sub(r" {2,}", " ", line) for line in lines if line]
