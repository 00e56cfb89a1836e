"""Read a report file into text: encoding detection for .txt/.md, python-docx for .docx,
and the readers in `formats` for .pdf, .html/.htm and .doc."""

from __future__ import annotations

import codecs
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from indexer.documents import limits
from indexer.documents.versions import content_hash, same_stat, signature

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".doc", ".pdf", ".html", ".htm")


class IngestError(ValueError):
    """A report file that cannot be read; the message says why, in one line."""


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


def read_document(path: Path) -> Document:
    """Read a report file of any supported type.

    Raises IngestError for an unsupported, empty, binary, undecodable, encrypted,
    corrupt or text-less file.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(
            f"unsupported file type '{suffix or path.name}' (expected .txt, .md, .docx, .doc, .pdf, .html or .htm)"
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


def _read_by_type(path: Path, suffix: str, data: bytes) -> Document:
    # The format readers import this module (IngestError, decode_bytes): import them late.
    if suffix == ".pdf":
        from indexer.documents.formats.pdf import read_pdf

        return Document(read_pdf(path), whole_paragraphs=True)
    if suffix in (".html", ".htm"):
        from indexer.documents.formats.html import read_html

        page = read_html(data)
        return Document(page.text, whole_paragraphs=True, page_meta=page.meta)
    if suffix == ".doc":
        from indexer.documents.formats.doc import read_doc

        return Document(read_doc(path, data), whole_paragraphs=True)
    if suffix == ".docx":
        return Document(read_docx(path))
    return Document(decode_bytes(data))


def read_text(path: Path) -> str:
    """Return the text of a report file, one paragraph per line, line endings '\\n'.

    Raises IngestError as read_document does.
    """
    return read_document(path).text


def decode_bytes(data: bytes) -> str:
    """Decode report bytes: UTF-8 (BOM optional), UTF-16/32 with BOM, or GB18030/GBK.

    Anything else is refused rather than decoded into mojibake.
    """
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return _check_plain_text(data.decode(encoding))
            except UnicodeDecodeError:
                raise IngestError(f"invalid {encoding.upper()} text after its byte-order mark") from None
    if b"\x00" in data:
        utf16 = _guess_bomless_utf16(data)
        if utf16 is not None:
            return utf16
        raise IngestError("binary file, not text")
    try:
        return _check_plain_text(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise IngestError("undecodable: not UTF-8, UTF-16 or GB18030 text") from None
    if not _looks_like_chinese(text):
        raise IngestError("undecodable: not UTF-8, UTF-16 or GB18030 text")
    return _check_plain_text(text)


def _guess_bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM shows as NUL in every other byte; accept only clean text."""
    if len(data) % 2:
        return None
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text and _looks_like_chinese(text):
            try:
                return _check_plain_text(text)
            except IngestError:
                continue
    return None


#: Control characters that plain text does not hold (everything below space but \t \n \v \f \r).
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f]")


def _check_plain_text(text: str) -> str:
    controls = len(_CONTROLS.findall(text))
    if controls > max(2, len(text) // 1000):
        raise IngestError("binary file, not text")
    return text


def _looks_like_chinese(text: str) -> bool:
    """True when the non-ASCII characters are overwhelmingly common Chinese ones."""
    wide = [c for c in text if ord(c) > 127]
    if not wide:
        return True
    common = 0
    for c in wide:
        try:
            c.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common / len(wide) >= 0.9


def read_docx(path: Path) -> str:
    """Text of a .docx: one line per paragraph and table row, headings marked as Markdown."""
    import docx  # python-docx; imported here so .txt-only use does not pay for it
    from docx.table import Table

    check_unpacked_size(path)
    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise IngestError(f"not a valid .docx file ({type(exc).__name__})") from None
    except Exception as exc:  # python-docx raises assorted errors on damaged parts
        raise IngestError(f"not a valid .docx file ({type(exc).__name__})") from None
    style_of = _paragraph_styles(document)
    lines = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = [cell.text.strip() for cell in row.cells]
                lines.append("\t".join(c for c in cells if c))
            continue
        text = block.text
        style = style_of(block)
        if style.startswith("Heading ") and style[8:].isdigit() and text.strip():
            text = "#" * min(int(style[8:]), 6) + " " + text.strip()
        elif style == "Title" and text.strip():
            text = "# " + text.strip()
        lines.append(text)
        lines.append("")
    return "\n".join(lines)


def _paragraph_styles(document):
    """paragraph → its style's name ('' for none), as `paragraph.style.name` gives it, from a table
    made once: python-docx looks a style up by walking every style of the file, per paragraph."""
    from docx.enum.style import WD_STYLE_TYPE

    names = {s.style_id: s.name or "" for s in document.styles if s.type == WD_STYLE_TYPE.PARAGRAPH}
    default = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    fallback = (default.name or "") if default is not None else ""
    return lambda paragraph: names.get(paragraph._p.style, fallback)  # _p.style: the w:pStyle id, or None


def check_unpacked_size(path: Path) -> None:
    """Refuse a .docx whose parts unpack to more than the limits, by the sizes its zip declares
    (zipfile never unpacks more than a part declares), before python-docx unpacks anything."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise IngestError(f"not a valid .docx file ({type(exc).__name__})") from None
    hint = "a zip bomb? save it again from Word, or split it"
    unpacked = sum(part.file_size for part in parts)
    if unpacked > limits.MAX_UNPACKED_BYTES:
        raise IngestError(limits.over_limit(unpacked, "bytes unpacked", limits.MAX_UNPACKED_BYTES, hint))
    markup = sum(part.file_size for part in parts if part.filename.endswith((".xml", ".rels")))
    if markup > limits.MAX_MARKUP_BYTES:
        raise IngestError(limits.over_limit(markup, "bytes of XML unpacked", limits.MAX_MARKUP_BYTES, hint))
