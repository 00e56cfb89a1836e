"""Scanned reports: page images (.jpg, .png, .tif …) and the text-less pages of PDFs, read by OCR.

`PageReader` reads the pages of one file through the OCR cache and tells what it did
(`OcrInfo`); `read_image` reads an image file (each frame of a TIFF a page). Their lines are laid
out by `layout` as a text layer's are, once the body's type size is made even (ocr.even_sizes)
and running headers and footers are matched by their text alone (a scanned page sits a little
higher or lower on each sheet).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from statistics import median
from typing import Callable

from PIL import Image

from indexer.documents import limits, ocr_cache
from indexer.documents.decoding import IngestError
from indexer.documents.formats import ocr
from indexer.documents.formats.layout import Line, drop_furniture, paragraphs_from_lines
from indexer.documents.versions import content_hash

#: Pages read by OCR in this build, counted by every reading process (a shared multiprocessing
#: Value the build sets before its processes start, for its progress bar), or None.
pages_read = None

#: Pixels of one page image; a larger one is refused before it is decoded (a "decompression bomb").
MAX_PAGE_PIXELS = 80_000_000
NO_TEXT = "no text found (a blank scan, or one OCR could not read)"


@dataclass
class OcrInfo:
    """How a file's text came from OCR: what the report records, and what this reading cost."""

    pages: int = 0  # pages read by OCR
    confidence: float = 1.0  # mean confidence of their characters
    low_pages: list[int] = field(default_factory=list)  # 1-based, under ocr.LOW_CONFIDENCE
    recognised: int = 0  # pages the engine read this time
    cached: int = 0  # pages taken from the OCR cache

    def record(self) -> dict:
        """What the index keeps of it (the report's `ocr` field)."""
        return {"pages": self.pages, "confidence": round(self.confidence, 3), "low_pages": self.low_pages}


class PageReader:
    """Reads pages of one file by OCR, through the OCR cache (ocr_cache.current())."""

    def __init__(self, data: bytes):
        self.cache = ocr_cache.current()
        self.digest = content_hash(data)
        self.kept = (self.cache.load(self.digest) if self.cache else None) or {}
        self.pages: dict[int, ocr.OcrPage] = {}
        self.recognised = 0

    def page(self, number: int, image: Callable[[], tuple[Image.Image, float]]) -> ocr.OcrPage:
        """Page `number` (0-based) read by OCR, or as the cache kept it; image() gives the page
        image and its resolution when it must be read."""
        page = self.kept.get(number)
        if page is None:
            picture, dpi = image()
            page = ocr.recognise(picture, dpi)
            self.recognised += 1
            count_pages(1)
        self.pages[number] = page
        return page

    def lines(self, number: int, image: Callable[[], tuple[Image.Image, float]], height: float) -> list[Line]:
        """The lines of page `number` in points, on a page `height` points tall (see ocr.page_lines;
        the pixels are scaled by the resolution the page was read at)."""
        page = self.page(number, image)
        return ocr.page_lines(page, number, height, 72 / page.dpi)

    def info(self) -> OcrInfo | None:
        """What OCR did for the file (None when no page needed it); new pages are kept in the cache."""
        if not self.pages:
            return None
        if self.recognised and self.cache is not None:
            self.cache.save(self.digest, self.pages)
        chars = sum(len(b.text) for p in self.pages.values() for b in p.boxes)
        weighted = sum(b.score * len(b.text) for p in self.pages.values() for b in p.boxes)
        return OcrInfo(
            pages=len(self.pages),
            confidence=weighted / chars if chars else 0.0,
            low_pages=[n + 1 for n, p in sorted(self.pages.items()) if p.confidence < ocr.LOW_CONFIDENCE],
            recognised=self.recognised,
            cached=len(self.pages) - self.recognised,
        )


def count_pages(n: int) -> None:
    """Count n pages read by OCR into the build's counter (pages_read), when there is one."""
    if pages_read is not None and n:
        with pages_read.get_lock():
            pages_read.value += n


def low_confidence(record: dict | None) -> str | None:
    """The build's warning for a report with pages read by OCR at low confidence (None if none)."""
    if not record or not record.get("low_pages"):
        return None
    pages = ", ".join(map(str, record["low_pages"][:10])) + (" …" if len(record["low_pages"]) > 10 else "")
    return (
        f"read by OCR with low confidence (under {ocr.LOW_CONFIDENCE:.0%}) on page(s) {pages}; "
        "search may miss words misread there"
    )


def scan_paragraphs(pages: list[list[Line]], ocr_pages: set[int]) -> list[str]:
    """Paragraphs of pages of which those numbered in ocr_pages were read by OCR.

    In a mixed PDF the OCR'd lines are brought to the text layer's type size (an OCR box is
    taller than the type), so a paragraph runs on from a text page to a scanned one."""
    scanned = [lines for lines in pages if lines and lines[0].page in ocr_pages]
    ocr.even_sizes(scanned)
    printed = [line.em for lines in pages if lines and lines[0].page not in ocr_pages for line in lines]
    if printed and scanned:
        factor = median(printed) / median(line.em for lines in scanned for line in lines)
        for line in (line for lines in scanned for line in lines):
            centre, size = (line.top + line.bottom) / 2, line.em * factor
            line.bottom, line.top = centre - size / 2, centre + size / 2
    return paragraphs_from_lines(drop_furniture(pages, by_height=not ocr_pages))


def read_image(data: bytes) -> tuple[str, OcrInfo]:
    """The paragraphs of an image file read by OCR (every frame a page), and how it was read.

    Raises IngestError for a file that is not an image Pillow reads, a page too large, or no text.
    """
    reader = PageReader(data)
    pages: list[list[Line]] = []
    try:
        image = Image.open(io.BytesIO(data))
        frames = getattr(image, "n_frames", 1)
        if frames > limits.MAX_PAGES:
            raise IngestError(limits.over_limit(frames, "pages", limits.MAX_PAGES))
        for number in range(frames):
            image.seek(number)
            if image.width * image.height > MAX_PAGE_PIXELS:
                raise IngestError(limits.over_limit(image.width * image.height, "pixels a page", MAX_PAGE_PIXELS))
            dpi = _dpi(image)
            pages.append(reader.lines(number, lambda dpi=dpi: (image.convert("RGB"), dpi), image.height * 72 / dpi))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise IngestError(f"unreadable image ({' '.join(str(exc).split())[:120]})") from None
    paragraphs = scan_paragraphs(pages, set(range(len(pages))))
    if not paragraphs:
        raise IngestError(NO_TEXT)
    return "\n".join(paragraphs), reader.info()


def _dpi(image: Image.Image) -> float:
    """The image's resolution as it says it, else ocr.DEFAULT_DPI."""
    dpi = image.info.get("dpi", (0, 0))[0] or 0
    return float(dpi) if 50 <= dpi <= 1200 else float(ocr.DEFAULT_DPI)
