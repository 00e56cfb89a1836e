"""Reading report files: encodings, .docx, and bad files named with a reason."""

import codecs

import docx
import pytest

from indexer.documents.formats.docx import _paragraph_styles
from indexer.documents.ingest import IngestError, read_text
from tests.conftest import report_path

SAMPLE = report_path("003").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "name, data",
    [
        ("utf8.txt", SAMPLE.encode("utf-8")),
        ("utf8-bom.txt", codecs.BOM_UTF8 + SAMPLE.encode("utf-8")),
        ("utf16le.txt", SAMPLE.encode("utf-16")),  # Python writes a BOM
        ("utf16be.md", codecs.BOM_UTF16_BE + SAMPLE.encode("utf-16-be")),
        ("gb18030.txt", SAMPLE.encode("gb18030")),
        ("gbk.txt", SAMPLE.encode("gbk")),
        ("crlf.txt", SAMPLE.replace("\n", "\r\n").encode("utf-8")),
    ],
)
def test_text_encodings_decode_to_the_same_text(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    assert read_text(path) == SAMPLE


def test_docx_paragraphs_and_headings_are_read(tmp_path):
    document = docx.Document()
    document.add_heading("一、主要工作完成情况", level=2)
    document.add_paragraph("我乡充分发挥法律明白人骨干队伍作用。")
    path = tmp_path / "report.docx"
    document.save(path)
    text = read_text(path)
    assert "## 一、主要工作完成情况" in text
    assert "我乡充分发挥法律明白人骨干队伍作用。" in text


def test_docx_styles_are_named_from_one_table_as_python_docx_names_them(tmp_path):
    document = docx.Document()
    document.add_heading("标题", level=0)
    document.add_heading("一、主要工作", level=1)
    document.add_paragraph("正文。")
    document.add_paragraph("引文。", style="Quote")
    document.add_paragraph("列表。", style="List Bullet")
    document.add_paragraph("未知样式。")._p.style = "NoSuchStyle"
    path = tmp_path / "styles.docx"
    document.save(path)
    reopened = docx.Document(str(path))
    style_of = _paragraph_styles(reopened)
    assert [style_of(p) for p in reopened.paragraphs] == [p.style.name for p in reopened.paragraphs]
    assert [style_of(p) for p in reopened.paragraphs][:3] == ["Title", "Heading 1", "Normal"]


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"  \n\r\n ", "empty"),
        ("binary.txt", bytes(range(256)) * 8, "binary"),
        ("png.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "binary"),
        ("latin1.txt", "Rapport annuel: société, équipe, qualité".encode("latin-1"), "undecodable"),
        ("report.pdf", b"%PDF-1.4", "corrupt or truncated PDF"),
        ("report.xls", b"\xd0\xcf\x11\xe0 a spreadsheet", "unsupported file type '.xls'"),
        ("report.docx", b"PK\x03\x04 not really a zip", "not a valid .docx"),
        ("notes.md", codecs.BOM_UTF16_LE + b"\x00\xd8", "invalid UTF-16"),
    ],
)
def test_bad_files_raise_a_one_line_reason(tmp_path, name, data, reason):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(IngestError) as info:
        read_text(path)
    assert reason in str(info.value)
    assert "\n" not in str(info.value)
