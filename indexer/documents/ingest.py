"""Read a report file into text: encoding detection for .txt/.md, python-docx for .docx,
and the readers in `formats` for .pdf, .html/.htm and .doc."""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass, field
from pathlib import Path

from indexer.documents import limits
from indexer.documents.decoding import IngestError, decode_bytes
from indexer.documents.formats.furniture import merge_meta, strip_furniture
from indexer.documents.versions import content_hash, same_stat, signature

#: Page images (read by OCR): formats.ocr.IMAGE_SUFFIXES, here without importing the engine.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")
SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".doc", ".pdf", ".html", ".htm") + IMAGE_SUFFIXES


@dataclass
class Document:
    """What a reader made of a file."""

    text: str  # one paragraph per line (blank lines allowed), line endings '\\n'
    #: True when the reader rebuilt paragraphs from the layout (PDF, web page, Word), so the
    #: page-break repair for text extracted from PDFs must not join its lines again.
    whole_paragraphs: bool = False
    #: The page's own metadata (成文日期, 发文字号 …), label → value; empty for most formats.
    page_meta: dict[str, str] = field(default_factory=dict)
    #: The bytes read, and their signature (versions.signature): what was indexed is what is recorded.
    data: bytes = b""
    signature: list | None = None
    #: How OCR read it (scan.OcrInfo), when any page was a scan.
    ocr: object | None = None
    #: The address a saved page gives for itself, and which of source_url.SOURCES gave it.
    url: str | None = None
    url_source: str | None = None


def read_document(path: Path) -> Document:
    """Read a report file of any supported type.

    Raises IngestError for an unsupported, empty, binary, undecodable, encrypted,
    corrupt or text-less file.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(
            f"unsupported file type '{suffix or path.name}' "
            "(expected .txt, .md, .docx, .doc, .pdf, .html, .htm, or a scan: .jpg, .jpeg, .png, .tif, .tiff)"
        )
    for _ in range(2):  # a file that changed while it was read is read again, once
        try:
            with open(path, "rb") as f:
                before = os.fstat(f.fileno())
                check_size(path, suffix, before.st_size)  # before reading a byte of it
                data = f.read()
        except OSError as exc:
            raise IngestError(f"cannot read file: {exc.strerror or exc}") from None
        try:
            document, failure = _document(path, suffix, data), None
        except IngestError as exc:
            document, failure = None, exc
        try:  # some readers open the path again: the stat after them covers what they read too
            steady = same_stat(before, os.stat(path))
        except OSError:
            steady = False
        if steady:
            break
    if failure is not None:
        raise failure
    document.data = data
    document.signature = signature(before, content_hash(data), steady)
    return document


def _document(path: Path, suffix: str, data: bytes) -> Document:
    if not data.strip():
        raise IngestError("empty file")
    document = _read_by_type(path, suffix, data)
    if len(document.text) > limits.MAX_CHARACTERS:
        raise IngestError(limits.over_limit(len(document.text), "characters", limits.MAX_CHARACTERS))
    document.text = document.text.replace("\r\n", "\n").replace("\r", "\n")
    if suffix not in (".html", ".htm"):  # the page reader takes a page's furniture out itself
        without_furniture(document)
    if not document.text.strip():
        raise IngestError("empty file (no text)")
    return document


def check_size(path: Path, suffix: str, size: int) -> None:
    """Refuse a file too large to read whole (see limits), before reading it."""
    if size > limits.MAX_FILE_BYTES:
        raise IngestError(limits.over_limit(size, "bytes", limits.MAX_FILE_BYTES))
    if suffix in (".html", ".htm") and size > limits.MAX_PAGE_BYTES:
        raise IngestError(limits.over_limit(size, "bytes", limits.MAX_PAGE_BYTES))
    if suffix in (".txt", ".md") and size > 4 * limits.MAX_CHARACTERS:  # no encoding takes over 4 bytes a character
        characters = _utf8_characters(path)
        if characters is None:
            raise IngestError(limits.over_limit(size, "bytes", 4 * limits.MAX_CHARACTERS))
        raise IngestError(limits.over_limit(characters, "characters", limits.MAX_CHARACTERS))


def _utf8_characters(path: Path) -> int | None:
    """The characters of a UTF-8 file, counted a megabyte at a time; None when it is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    count = 0
    with path.open("rb") as file:
        while chunk := file.read(2**20):
            try:
                count += len(decoder.decode(chunk))
            except UnicodeDecodeError:
                return None
    return count


def without_furniture(document: Document) -> Document:
    """The document without a saved page's furniture (breadcrumb, 字体 line, metadata list …),
    whose metadata entries become its page metadata; see formats/furniture.py."""
    lines = document.text.split("\n")
    page = strip_furniture(lines)
    if page.dropped:
        document.text = "\n".join(page.lines)
        document.page_meta = merge_meta(document.page_meta, page.meta)
    return document


def _read_by_type(path: Path, suffix: str, data: bytes) -> Document:
    # the readers of published formats are imported when a file of their kind comes
    if suffix == ".pdf":
        from indexer.documents.formats.pdf import read_pdf
        from indexer.documents.formats.scan import PageReader

        scans = PageReader(data)
        return Document(read_pdf(path, scans), whole_paragraphs=True, ocr=scans.info())
    if suffix in IMAGE_SUFFIXES:
        from indexer.documents.formats.scan import read_image

        text, info = read_image(data)
        return Document(text, whole_paragraphs=True, ocr=info)
    if suffix in (".html", ".htm"):
        from indexer.documents.formats.html import read_html

        page = read_html(data)
        return Document(page.text, whole_paragraphs=True, page_meta=page.meta, url=page.url, url_source=page.url_source)
    if suffix == ".doc":
        from indexer.documents.formats.doc import read_doc

        return Document(read_doc(path, data), whole_paragraphs=True)
    if suffix == ".docx":
        from indexer.documents.formats.docx import read_docx

        return Document(read_docx(path))
    return Document(decode_bytes(data))


def read_text(path: Path) -> str:
    """Return the text of a report file, one paragraph per line, line endings '\\n'.

    Raises IngestError as read_document does.
    """
    return read_document(path).text
