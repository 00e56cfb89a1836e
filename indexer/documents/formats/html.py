"""Read a saved web page: the article's paragraphs without the site around it, and the
page's own metadata list (索引号, 发布机构, 成文日期, 发文字号, 发布日期, 主题词 …).

readability-lxml picks the element that holds the article; before it looks, we take
out what is never the article (scripts, navigation, breadcrumb, share bars, related
links, footer, the metadata table), and after it we drop the lines sites put around
an article (发布时间 / 来源 / 浏览次数, 字体 大 中 小, 打印本页 …) as furniture.py does
for every format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html
from lxml import etree
from readability import Document as Readability

from indexer.documents.decoding import IngestError, decode_bytes
from indexer.documents.formats.furniture import (
    BARE_LABEL,
    LABEL_TOKEN,
    PAGE_LABELS,
    label_pairs,
    merge_meta,
    strip_furniture,
    value_like,
)
from indexer.documents.source_url import page_url
from indexer.text.normalize import normalize

NO_ARTICLE = "no article text found (a list, navigation or empty page?)"

_LABEL = re.compile(
    "(" + "|".join(r"\s*".join(label) for label in sorted(PAGE_LABELS, key=len, reverse=True)) + r")\s*[:：]\s*"
)
#: class or id words of elements that are site chrome, never the article.
_CHROME = re.compile(
    r"(^|[-_\s])(nav|navbar|menu|crumbs?|breadcrumbs?|position|location|share|bdshare|"
    r"footer|foot|bottom|copyright|related|relate|xglj|xgxx|print|tools|search|sidebar)"
    r"([-_\s\d]|$)",
    re.IGNORECASE,
)
_CHROME_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "button")
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
    """A web page read: its article's paragraphs (one a line), metadata and headline, and the
    address it gives for itself (source_url.page_url) with where that came from."""

    text: str
    meta: dict[str, str] = field(default_factory=dict)
    title: str | None = None
    url: str | None = None
    url_source: str | None = None


def read_html(data: bytes) -> Page:
    """Read a saved page; raises IngestError when it holds no article."""
    source = decode_page(data)
    tree = parse_page(source)
    url, url_source = page_url(source, tree)
    meta = page_metadata(tree)
    title = headline(tree)
    strip_chrome(tree)
    paragraphs, shown = article_paragraphs(tree)
    meta = merge_meta(meta, shown)
    if title and normalize(title) not in {normalize(p) for p in paragraphs[:6]}:
        paragraphs.insert(0, title)
    return Page("\n".join(paragraphs), meta, title, url, url_source)


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
    """Label → value for each metadata label shown on the page (the first time it is shown):
    `索引号：…` and `[ 索引号 ] …` entries, or a label cell and the cell after it."""
    meta: dict[str, str] = {}
    pieces = _pieces(tree)
    for i, piece in enumerate(pieces):
        following = pieces[i + 1] if i + 1 < len(pieces) else ""
        pairs = label_pairs(piece) or _pairs_after_start(piece)
        if not pairs and BARE_LABEL.match(piece):
            pairs = [(re.sub(r"\s+", "", BARE_LABEL.match(piece).group(1)), "")]
        for j, (label, value) in enumerate(pairs):
            if not value and j + 1 == len(pairs) and not _is_label_piece(following):
                value = following if value_like(following, label, cell=True) else ""
            if label and value and label not in meta and len(value) <= 100:
                meta[label] = value
    published = tree.xpath("//meta[@name='PubDate']/@content")
    if "发布日期" not in meta and published and published[0].strip():
        meta["发布日期"] = published[0].strip()
    return meta


def _pairs_after_start(piece: str) -> list[tuple[str, str]]:
    """`label：value` entries of a piece that starts with one, whatever follows them."""
    found = list(_LABEL.finditer(piece))
    if not found or (found[0].start() and not piece[: found[0].start()].isspace()):
        return []  # a label in running text, not a list entry
    ends = [m.start() for m in found[1:]] + [len(piece)]
    return [(re.sub(r"\s+", "", m.group(1)), piece[m.end() : end].strip()) for m, end in zip(found, ends)]


def _is_label_piece(piece: str) -> bool:
    return bool(BARE_LABEL.match(piece) or _LABEL.match(piece) or LABEL_TOKEN.match(piece))


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
        # a metadata list, not an article that shows one (an article has sentences)
        return len(text) < 1000 and text.count("。") <= 1 and len(_labels_shown(el, text)) >= 3
    return False


def _labels_shown(el: etree._Element, text: str) -> set[str]:
    """The metadata labels an element shows: as `label：` or `[ label ]`, or as cells of their own."""
    labels = {re.sub(r"\s+", "", m.group(1) or m.group(2)) for m in LABEL_TOKEN.finditer(text)}
    for cell in el.iter("td", "th", "dt", "dd", "li", "span", "b", "strong", "label", "em"):
        bare = BARE_LABEL.match(cell.text_content().strip())
        if bare:
            labels.add(re.sub(r"\s+", "", bare.group(1)))
    return labels


def strip_chrome(tree: etree._Element) -> None:
    """Remove navigation, breadcrumb, share bars, related links, footer and the metadata list."""
    for el in list(tree.iter()):
        if isinstance(el.tag, str) and el.getparent() is not None and _is_chrome(el):
            el.drop_tree()


def article_paragraphs(tree: etree._Element) -> tuple[list[str], dict[str, str]]:
    """The paragraphs of the element readability-lxml takes for the article, furniture lines
    dropped (see furniture.py), and the metadata entries those lines showed."""
    html = lxml.html.tostring(tree, encoding="unicode")
    try:
        summary = lxml.html.fragment_fromstring(Readability(html).summary(html_partial=True))
    except (etree.ParserError, ValueError):  # readability left nothing: an empty or link-only page
        raise IngestError(NO_ARTICLE) from None
    if _link_share(summary) > 0.5:
        raise IngestError(NO_ARTICLE)
    article = strip_furniture(block_lines(summary))
    if sum(len(p) for p in article.lines) < 100:
        raise IngestError(NO_ARTICLE)
    return article.lines, article.meta


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
