"""Read the text layer of a PDF with pypdfium2, as printed lines with their boxes.

pdfium gives every character with its box and marks the line breaks and spaces it
inferred ("generated" characters). We cut lines at those breaks, keep a generated
space only between Latin letters or digits (justified Chinese text has wide gaps
that pdfium reads as spaces), and leave paragraphs to `layout`.

A page without text (a scan) is rendered and read by OCR when a `scan.PageReader` is given
(mixed PDFs: only those pages); its lines join the others' in points.
"""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from indexer.documents import limits
from indexer.documents.decoding import IngestError
from indexer.documents.formats.layout import Line, drop_furniture, paragraphs_from_lines

NO_TEXT_LAYER = "no text layer (scanned?); needs OCR"
#: A page with fewer characters than this in its text layer, and a picture, is a scan.
SCAN_CHARACTERS = 10

#: pdfium's FPDF_GetLastError codes, as the one-line reasons we give.
_LOAD_ERRORS = {
    pdfium_c.FPDF_ERR_PASSWORD: "encrypted PDF (needs a password); save an unprotected copy",
    pdfium_c.FPDF_ERR_SECURITY: "PDF with an unsupported security handler; save an unprotected copy",
    pdfium_c.FPDF_ERR_FORMAT: "corrupt or truncated PDF (pdfium cannot parse it)",
    pdfium_c.FPDF_ERR_FILE: "cannot open the PDF file",
}


def read_pdf(path: Path, scans=None) -> str:
    """The PDF's paragraphs, one per line, with running headers and page numbers removed.

    With scans (a scan.PageReader), pages without a text layer are read by OCR.
    Raises IngestError for an encrypted, corrupt or text-less PDF.
    """
    pages = pdf_lines(path, scans)
    if scans is not None and scans.pages:
        from indexer.documents.formats.scan import NO_TEXT, scan_paragraphs

        paragraphs = scan_paragraphs(pages, set(scans.pages))
        if not paragraphs:
            raise IngestError(NO_TEXT)
    else:
        paragraphs = paragraphs_from_lines(drop_furniture(pages))
    if not paragraphs:
        raise IngestError(NO_TEXT_LAYER)
    return "\n".join(paragraphs)


def open_pdf(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        reason = _LOAD_ERRORS.get(getattr(exc, "err_code", None), f"unreadable PDF ({exc})")
        raise IngestError(reason) from None


def pdf_lines(path: Path, scans=None) -> list[list[Line]]:
    """Each page's lines, top to bottom (rows at the same height left to right); with scans
    (a scan.PageReader), those of a page without text read by OCR."""
    document = open_pdf(path)
    try:
        if len(document) > limits.MAX_PAGES:
            raise IngestError(limits.over_limit(len(document), "pages", limits.MAX_PAGES))
        pages = []
        characters = 0
        for number in range(len(document)):
            page = document[number]
            try:
                textpage = page.get_textpage()
                characters += textpage.count_chars()
                if characters > limits.MAX_CHARACTERS:
                    unit = f"characters in the first {number + 1:,} pages"
                    raise IngestError(limits.over_limit(characters, unit, limits.MAX_CHARACTERS))
                if scans is not None and is_scan(page, textpage):
                    pages.append(scanned_lines(page, number, scans))
                else:
                    pages.append(sort_lines(page_lines(textpage, number)))
                textpage.close()
            except pdfium.PdfiumError as exc:
                raise IngestError(f"corrupt PDF page {number + 1} ({exc})") from None
            finally:
                page.close()
        return pages
    finally:
        document.close()


def is_scan(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage) -> bool:
    """A page with (almost) no text in its text layer and a picture on it."""
    if textpage.count_chars() and len(textpage.get_text_range().strip()) >= SCAN_CHARACTERS:
        return False
    return any(True for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2))


def scanned_lines(page: pdfium.PdfPage, number: int, scans) -> list[Line]:
    """The page's lines read by OCR (or from the OCR cache), in the page's points. A page is
    rendered at ocr.RENDER_DPI, or less when that would pass scan.MAX_PAGE_PIXELS (a poster)."""
    from indexer.documents.formats.ocr import RENDER_DPI
    from indexer.documents.formats.scan import MAX_PAGE_PIXELS

    width, height = page.get_size()
    dpi = min(RENDER_DPI, 72 * (MAX_PAGE_PIXELS / max(width * height, 1.0)) ** 0.5)

    def image():
        return page.render(scale=dpi / 72).to_pil(), dpi

    return scans.lines(number, image, height)


def page_lines(textpage: pdfium.PdfTextPage, number: int) -> list[Line]:
    """The lines of one page in pdfium's order, cut at its line breaks."""
    count = textpage.count_chars()
    text = textpage.get_text_range(0, count) if count else ""
    if len(text) != count:  # characters outside the BMP: index by pdfium's own units
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage, i)) for i in range(count))
    box = pdfium_c.FS_RECTF()
    lines: list[Line] = []
    chars: list[str] = []
    x0 = bottom = float("inf")
    x1 = top = float("-inf")
    for i, ch in enumerate(text + "\n"):
        if ch in "\r\n":
            if "".join(chars).strip():
                lines.append(Line("".join(chars).strip(), number, x0, x1, bottom, top))
            chars = []
            x0 = bottom = float("inf")
            x1 = top = float("-inf")
            continue
        if pdfium_c.FPDFText_IsGenerated(textpage, i) == 1:
            if ch == " ":
                chars.append(" ")  # tidy_spaces keeps it only between Latin words
            continue
        if ch.isspace():
            chars.append(" ")
            continue
        pdfium_c.FPDFText_GetLooseCharBox(textpage, i, box)
        x0, x1 = min(x0, box.left), max(x1, box.right)
        bottom, top = min(bottom, box.bottom), max(top, box.top)
        chars.append(ch)
    for line in lines:
        line.text = tidy_spaces(line.text)
        if len(text) != count:  # pdfium's units were UTF-16: pair the surrogates up again
            line.text = line.text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return lines


def tidy_spaces(text: str) -> str:
    """Collapse runs of spaces, keeping one only between two ASCII letters or digits."""
    out: list[str] = []
    words = text.split()
    for word in words:
        if out and out[-1][-1:].isascii() and out[-1][-1:].isalnum() and word[:1].isascii() and word[:1].isalnum():
            out.append(" " + word)
        else:
            out.append(word)
    return "".join(out)


def sort_lines(lines: list[Line]) -> list[Line]:
    """Top to bottom; pieces of one row (boxes overlapping vertically) joined left to right."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda l: -l.top):
        row = rows[-1] if rows else None
        if row and min(row[0].top, line.top) - max(row[0].bottom, line.bottom) > 0.5 * min(row[0].em, line.em):
            row.append(line)
        else:
            rows.append([line])
    return [_merge_row(sorted(row, key=lambda l: l.x0)) for row in rows]


def _merge_row(row: list[Line]) -> Line:
    """One line from the pieces of a row; a tab where they stand more than a character apart."""
    text = row[0].text
    for prev, line in zip(row, row[1:]):
        text += ("\t" if line.x0 - prev.x1 > prev.em else "") + line.text
    return Line(
        text, row[0].page, row[0].x0, max(l.x1 for l in row), min(l.bottom for l in row), max(l.top for l in row)
    )
