"""Read a report file into text: encoding detection for .txt/.md, python-docx for .docx."""

from __future__ import annotations

import codecs
import zipfile
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx")


class IngestError(ValueError):
    """A report file that cannot be read; the message says why, in one line."""


def read_text(path: Path) -> str:
    """Return the text of a report file, with line endings as '\\n'.

    Raises IngestError for an unsupported, empty, binary or undecodable file.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(
            f"unsupported file type '{suffix or path.name}' (expected .txt, .md or .docx)"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"cannot read file: {exc.strerror or exc}") from None
    if not data.strip():
        raise IngestError("empty file")
    text = read_docx(path) if suffix == ".docx" else decode_bytes(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise IngestError("empty file (no text)")
    return text


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


def _check_plain_text(text: str) -> str:
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\n\r\f\v")
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

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise IngestError(f"not a valid .docx file ({type(exc).__name__})") from None
    except Exception as exc:  # python-docx raises assorted errors on damaged parts
        raise IngestError(f"not a valid .docx file ({type(exc).__name__})") from None
    lines = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = [cell.text.strip() for cell in row.cells]
                lines.append("\t".join(c for c in cells if c))
            continue
        text = block.text
        style = (block.style.name if block.style is not None else "") or ""
        if style.startswith("Heading ") and style[8:].isdigit() and text.strip():
            text = "#" * min(int(style[8:]), 6) + " " + text.strip()
        elif style == "Title" and text.strip():
            text = "# " + text.strip()
        lines.append(text)
        lines.append("")
    return "\n".join(lines)
