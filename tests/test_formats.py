"""Reports as they are published: PDF, saved web pages (UTF-8 and GBK) and Word files.

The fixtures in tests/fixtures/published/ are made from the five bundled reports by
tests/fixtures/make_published.py (Chromium prints them; a site's page wraps them).
Each version must read as the .txt does: the same paragraphs, metadata and sections,
and nothing of the page around the text.
"""

import re
import shutil

import pytest

from indexer.documents.formats import doc as doc_format
from indexer.documents.formats.layout import Line, drop_furniture, is_page_number, measure_frame, starts_paragraph
from indexer.documents.formats.pdf import pdf_lines
from indexer.documents.ingest import IngestError, read_document
from indexer.documents.report import Paragraph, parse_report
from indexer.engine.build import build
from indexer.engine.query import parse_query
from indexer.engine.search import ReportIndex
from indexer.text.normalize import normalize
from tests.conftest import PUBLISHED, REPORTS, SEED_FILES

STEMS = [name.rsplit(".", 1)[0] for name in SEED_FILES]
#: Every published version of a report: folder and suffix.
VERSIONS = [("pdf", ".pdf"), ("html", ".html"), ("html-gbk", ".htm")]
CASES = [(folder, suffix, stem) for folder, suffix in VERSIONS for stem in STEMS]
IDS = [f"{folder}-{stem[:3]}" for folder, _, stem in CASES]

PAGE_FURNITURE = re.compile(r"第\s*\d+\s*页\s*共\s*\d+\s*页|^-\s*\d+\s*-$|^\d+\s*/\s*\d+$|^\d+$")
SITE_CHROME = [
    "首页",
    "政务公开 >",
    "当前位置",
    "发布时间",
    "浏览次数",
    "字体",
    "打印本页",
    "关闭窗口",
    "分享到",
    "相关链接",
    "主办单位",
    "ICP备",
    "公网安备",
    "索引号",
    "发文字号",
    "网站标识码",
]


def texts_of(report):
    return [normalize(p.text) for p in report.paragraphs]


@pytest.fixture(scope="module")
def seed():
    """The .txt reports as parsed, by stem: what every other version must read as."""
    return {stem: parse_report(REPORTS / f"{stem}.txt") for stem in STEMS}


@pytest.mark.parametrize("folder, suffix, stem", CASES, ids=IDS)
def test_published_version_reads_as_the_txt(seed, folder, suffix, stem):
    report = parse_report(PUBLISHED / folder / f"{stem}{suffix}")
    assert texts_of(report) == texts_of(seed[stem])
    assert report.repairs == 0  # paragraphs come whole from the layout, nothing left to join


@pytest.mark.parametrize("folder, suffix, stem", CASES, ids=IDS)
def test_published_version_has_the_same_metadata_and_sections(seed, folder, suffix, stem):
    path = PUBLISHED / folder / f"{stem}{suffix}"
    report, txt = parse_report(path), seed[stem]
    assert (report.township, report.county, report.year) == (txt.township, txt.county, txt.year)
    assert normalize(report.title) == normalize(txt.title)  # a PDF keeps no space between 2023 and 年
    # A report that names no date may take the page's 成文日期 (its "page metadata").
    assert report.date == txt.date or (
        txt.date is None and report.date == read_document(path).page_meta.get("成文日期")
    )
    expected = [MARKDOWN_ONLY.get((stem[:3], p.number), p) for p in txt.paragraphs]
    assert sections_of(report.paragraphs) == sections_of(expected)


def sections_of(paragraphs):
    """Kind, heading path and section of each paragraph; a heading's label compared by its
    first 15 normalised characters (labels of numbered items are cut, spaces counted)."""
    return [(p.kind, tuple(normalize(h)[:15] for h in p.heading_path), p.section) for p in paragraphs]


#: The one documented difference. 004.txt marks `### （一）坚持五大基本原则。一是坚持党的领导。`
#: as a heading with Markdown; printed, it is a bold line, and type weight is not read, so
#: its shape decides: a numbered lead with text after it, a body paragraph named by its lead.
MARKDOWN_ONLY = {
    ("004", n): Paragraph(n, "", kind, ("一、主要工作完成情况", "（一）坚持五大基本原则"), "measures")
    for n, kind in ((4, "body"), (5, "body"))
}


@pytest.mark.parametrize("stem", STEMS, ids=[s[:3] for s in STEMS])
def test_no_paragraph_of_a_pdf_holds_page_furniture(seed, stem):
    report = parse_report(PUBLISHED / "pdf" / f"{stem}.pdf")
    assert not [p.text for p in report.paragraphs if PAGE_FURNITURE.search(p.text)]
    # The running header (the title, at the top of every page) is not repeated as paragraphs.
    title = normalize(seed[stem].paragraphs[[p.kind for p in seed[stem].paragraphs].index("title")].text)
    assert texts_of(report).count(title) == texts_of(seed[stem]).count(title) == 1


@pytest.mark.parametrize(
    "folder, suffix, stem", [c for c in CASES if c[0] != "pdf"], ids=[i for i in IDS if not i.startswith("pdf")]
)
def test_no_paragraph_of_a_web_page_holds_site_chrome(folder, suffix, stem):
    text = read_document(PUBLISHED / folder / f"{stem}{suffix}").text
    assert [s for s in SITE_CHROME if s in text] == []


@pytest.mark.parametrize("folder, suffix", [("html", ".html"), ("html-gbk", ".htm")])
def test_web_page_metadata_list_is_read(folder, suffix):
    meta = read_document(PUBLISHED / folder / f"{STEMS[0]}{suffix}").page_meta
    assert meta == {
        "索引号": "11000000MB1D0000/2023-00000",
        "发布机构": "东和乡人民政府",
        "成文日期": "2023-12-05",
        "发文字号": "东和政发〔2023〕3号",
        "发布日期": "2023-12-08",
        "主题分类": "政务公开/法治政府建设",
        "主题词": "法治政府 年度报告",
        "有效性": "有效",
        "发布时间": "2023-12-08 09:30",
        "来源": "东和乡人民政府",
        "浏览次数": "1037",
    }


def test_gbk_page_without_a_declared_charset_is_detected(tmp_path):
    data = (PUBLISHED / "html-gbk" / f"{STEMS[3]}.htm").read_bytes().replace(b'<meta charset="gbk">', b"")
    (tmp_path / "page.htm").write_bytes(data)
    assert read_document(tmp_path / "page.htm").text == read_document(PUBLISHED / "html" / f"{STEMS[3]}.html").text


def test_only_pdfs_and_txt_keep_their_page_metadata_empty():
    assert read_document(PUBLISHED / "pdf" / f"{STEMS[0]}.pdf").page_meta == {}
    assert read_document(REPORTS / SEED_FILES[0]).page_meta == {}
    assert read_document(PUBLISHED / "pdf" / f"{STEMS[0]}.pdf").whole_paragraphs is True
    assert read_document(REPORTS / SEED_FILES[0]).whole_paragraphs is False


def page_break_phrases(stem: str, seed_report) -> list[str]:
    """Phrases of 8 characters that start on one page of the PDF and end on the next,
    inside one paragraph of the .txt (a sentence the page break cut)."""
    pages = [p for p in drop_furniture(pdf_lines(PUBLISHED / "pdf" / f"{stem}.pdf")) if p]
    paragraphs = texts_of(seed_report)
    phrases = []
    for before, after in zip(pages, pages[1:]):
        phrase = normalize(before[-1].text)[-4:] + normalize(after[0].text)[:4]
        if len(phrase) == 8 and any(phrase in p for p in paragraphs):
            phrases.append(phrase)
    return phrases


@pytest.mark.parametrize("stem", STEMS, ids=[s[:3] for s in STEMS])
def test_a_phrase_across_a_page_break_is_found(pdf_index_dir, seed, stem):
    phrases = page_break_phrases(stem, seed[stem])
    assert phrases, "every fixture PDF breaks a sentence across pages"
    index = ReportIndex.open(pdf_index_dir)
    for phrase in phrases:
        hits = index.search(parse_query(phrase), limit=None).hits
        assert stem in {h.report_id for h in hits}, phrase


BAD_FILES = [
    ("bad/truncated.pdf", "corrupt or truncated PDF (pdfium cannot parse it)"),
    ("bad/encrypted.pdf", "encrypted PDF (needs a password); save an unprotected copy"),
    ("bad/no-article.html", "no article text found (a list, navigation or empty page?)"),
    ("bad/rtf-saved-as.doc", "an RTF file named .doc; save it as .docx"),
]


@pytest.mark.parametrize("name, reason", BAD_FILES)
def test_bad_file_gives_a_one_line_reason(name, reason):
    with pytest.raises(IngestError) as info:
        read_document(PUBLISHED / name)
    assert str(info.value) == reason


def test_bad_files_are_named_and_skipped_while_the_rest_is_indexed(tmp_path):
    data = tmp_path / "reports"
    data.mkdir()
    for stem in STEMS[:3]:
        shutil.copy(PUBLISHED / "pdf" / f"{stem}.pdf", data)
    shutil.copy(PUBLISHED / "html" / f"{STEMS[3]}.html", data)
    shutil.copy(PUBLISHED / "html-gbk" / f"{STEMS[4]}.htm", data)
    for name, _ in BAD_FILES:
        shutil.copy(PUBLISHED / name, data)
    summary = build(data, tmp_path / "index")
    assert sorted(summary.skipped) == sorted((name.split("/")[1], reason) for name, reason in BAD_FILES)
    index = ReportIndex.open(tmp_path / "index")
    assert sorted(r["report_id"] for r in index.reports) == STEMS
    assert {h.township for h in index.search(parse_query("法律明白人"), limit=None).hits} == {
        "国宝乡",
        "熊背乡",
        "青山乡",
    }


# Word 97–2003. No converter here writes .doc files (LibreOffice aside), so there is no
# .doc print of a report; these pin down what happens to files named .doc.


def test_a_docx_named_doc_is_read_as_docx(seed):
    report = parse_report(PUBLISHED / "doc" / f"{STEMS[2]}.doc")
    assert texts_of(report) == texts_of(seed[STEMS[2]])


def test_a_doc_without_antiword_or_catdoc_gives_the_hint(monkeypatch):
    monkeypatch.setattr(doc_format.shutil, "which", lambda name: None)
    with pytest.raises(IngestError) as info:
        read_document(PUBLISHED / "bad" / "broken-ole.doc")
    assert str(info.value) == "Word 97–2003 .doc needs antiword (apt-get install antiword); or save it as .docx"


@pytest.mark.skipif(shutil.which("antiword") is None, reason="antiword not installed")
def test_a_broken_doc_names_what_antiword_says():
    with pytest.raises(IngestError) as info:
        read_document(PUBLISHED / "bad" / "broken-ole.doc")
    assert str(info.value) == "antiword cannot read it: broken-ole.doc is not a Word Document."


# The layout rules, on line boxes (x0, x1, bottom, top in points; y grows upwards).


@pytest.mark.parametrize(
    "text, expected",
    [
        ("第 3 页 共 9 页", True),
        ("第3页/共9页", True),
        ("共9页 第3页", True),
        ("- 3 -", True),
        ("—12—", True),
        ("3/9", True),
        ("3", True),
        ("Page 3 of 9", True),
        ("第三页", False),
        ("3 个行政村", False),
        ("2023年12月5日", False),
        ("一、基本情况", False),
    ],
)
def test_page_numbers(text, expected):
    assert is_page_number(text) is expected


def line(text, x0, x1, top, page=0, em=10.0):
    return Line(text, page, x0, x1, top - em, top)


BODY = [line("正" * 22, 40, 260, 700 - 16 * i) for i in range(6)]  # a full-width body to measure from


@pytest.mark.parametrize(
    "prev, current, new",
    [
        (line("正" * 22, 40, 260, 500), line("续行", 40, 60, 484), False),  # a full line goes on
        (line("正" * 22, 40, 260, 500, page=0), line("续行", 40, 60, 700, page=1), False),  # … across a page
        (line("短行。", 40, 70, 500), line("下一段", 40, 70, 484), True),  # stopped short
        (line("正" * 22, 40, 260, 500), line("首行缩进", 60, 260, 484), True),  # indented first line
        (line("正" * 22, 40, 260, 500), line("下一段", 40, 70, 460), True),  # a wider gap
        (line("正" * 22, 40, 260, 500), line("一、基本情况", 40, 100, 484), False),  # mid-sentence 一、
        (line("正" * 21 + "。", 40, 260, 500), line("一、基本情况", 40, 100, 484), True),  # a flush heading
        (line("乡人民政府", 210, 260, 500), line("2023年12月5日", 200, 260, 484), True),  # signature lines
        (line("标" * 16, 40, 260, 500, em=13), line("告", 143, 156, 480, em=13), False),  # a centred title's end
        (line("标" * 16, 40, 260, 500, em=13), line("正文", 40, 60, 480), True),  # type size changes
    ],
)
def test_when_a_line_starts_a_paragraph(prev, current, new):
    frame = measure_frame(BODY)
    assert starts_paragraph(prev, current, frame) is new


def test_running_header_and_footer_are_dropped_from_every_page():
    pages = [
        [
            line("关于2023年度法治政府建设情况的报告", 100, 200, 800, page=n, em=6),
            *[line("甲乙丙丁"[i] + "天地人"[n], 40, 260, 700 - 16 * i, page=n) for i in range(4)],
            line(f"第 {n + 1} 页 共 3 页", 120, 170, 40, page=n, em=7),
        ]
        for n in range(3)
    ]
    assert [[l.text for l in page] for page in drop_furniture(pages)] == [
        ["甲乙丙丁"[i] + "天地人"[n] for i in range(4)] for n in range(3)
    ]


def test_pdf_speed_benchmark_runs(capsys):
    from indexer.bench.pdf_speed import main

    assert main(["--repeat", "1"]) == 0
    assert "pages/s" in capsys.readouterr().out
