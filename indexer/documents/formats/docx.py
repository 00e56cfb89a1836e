"""Reading .docx files with python-docx: paragraphs and table rows, Word's headings as Markdown."""

from __future__ import annotations

import zipfile
from pathlib import Path

from indexer.documents import limits
from indexer.documents.decoding import IngestError


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
