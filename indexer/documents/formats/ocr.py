"""Read page images (scans) with RapidOCR, into printed lines as the PDF reader gives them.

RapidOCR runs PaddleOCR's PP-OCRv4 Chinese detection and recognition models on onnxruntime;
the models ship inside the `rapidocr-onnxruntime` wheel, so nothing is downloaded at run time.
Each reading process holds one engine on one onnxruntime thread (the build runs one process
per core).

A page goes through three steps:
- the seal is removed: red pixels inside a roughly round red mark (a seal's ring, its text
  and star) are made white, so its characters never reach the text; a red letterhead
  (wide, not round) and black ink under the seal stay;
- the engine finds text boxes and reads them (with a confidence for each);
- the boxes become lines (`Line`, in points, y upwards) after the page's tilt is taken out,
  so `layout` makes paragraphs of them as of a text layer.

What the engine gives (`OcrPage`) is what the OCR cache keeps (see `ocr_cache`): laying out
is cheap and may change; recognising is seconds a page.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from statistics import median

import numpy as np
from PIL import Image

from indexer.documents.formats.layout import Line

#: The files read as page images (every frame of a TIFF is a page).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")
#: PDF pages without text are rendered at this resolution for OCR.
RENDER_DPI = 200
#: Images that do not say their resolution are taken to be scanned at this one.
DEFAULT_DPI = 150
#: A page whose mean confidence is under this is warned about at build.
LOW_CONFIDENCE = 0.9
#: What produced a cached result: the engine, its models, and this reader's seal removal.
#: Change it when either changes, and every scan is read again.
MODEL = "rapidocr-onnxruntime 1.4.4; PP-OCRv4 ch det+rec; seal removal 1"

_engine = None


@dataclass
class OcrBox:
    """One text box the engine read: its text, confidence, and corners (pixels, y downwards)."""

    text: str
    score: float
    quad: list[list[float]]  # four [x, y]: top-left, top-right, bottom-right, bottom-left


@dataclass
class OcrPage:
    """What the engine read on one page image."""

    width: int  # pixels
    height: int
    dpi: float
    boxes: list[OcrBox] = field(default_factory=list)

    @property
    def confidence(self) -> float:
        """Mean confidence of the page's characters (1.0 for a page without text)."""
        chars = sum(len(b.text) for b in self.boxes)
        return sum(b.score * len(b.text) for b in self.boxes) / chars if chars else 1.0

    def to_json(self) -> dict:
        return {
            "width": self.width,
            "height": self.height,
            "dpi": self.dpi,
            "boxes": [[b.text, round(b.score, 4), [[round(x, 1), round(y, 1)] for x, y in b.quad]] for b in self.boxes],
        }

    @classmethod
    def from_json(cls, data: dict) -> OcrPage:
        boxes = [OcrBox(text, score, quad) for text, score, quad in data["boxes"]]
        return cls(data["width"], data["height"], data["dpi"], boxes)


def engine():
    """This process's RapidOCR engine, made on first use: one onnxruntime thread, no direction
    classifier (scans are upright; it would turn seal characters over)."""
    global _engine
    if _engine is None:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        import cv2
        from rapidocr_onnxruntime import RapidOCR

        cv2.setNumThreads(1)
        _engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1, use_cls=False, print_verbose=False)
    return _engine


def recognise(image: Image.Image, dpi: float) -> OcrPage:
    """Read one page image: its seal removed, its text boxes found and read."""
    pixels = remove_seals(np.asarray(image.convert("RGB")), dpi)
    found, _ = engine()(pixels)
    boxes = [
        OcrBox(text.strip(), float(score), [list(map(float, p)) for p in quad]) for quad, text, score in found or []
    ]
    return OcrPage(image.width, image.height, dpi, [b for b in boxes if b.text])


def red_mask(pixels: np.ndarray) -> np.ndarray:
    """Where the image is seal red (a strong red, over paper or mixed with grey ink)."""
    rgb = pixels.astype(np.int16)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return (r > 110) & (r - g > 45) & (r - b > 35)


def remove_seals(pixels: np.ndarray, dpi: float) -> np.ndarray:
    """The image with the red of every seal made white. A seal is a red mark about as wide as it
    is tall and between 0.5 and 3 inches across (its ring holds its text and star together)."""
    import cv2

    mask = red_mask(pixels)
    if not mask.any():
        return pixels
    grown = cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
    out = pixels
    for x, y, w, h, _area in stats[1:count]:
        if 0.5 * dpi <= max(w, h) <= 3 * dpi and 0.6 <= w / h <= 1.6:
            if out is pixels:
                out = pixels.copy()
            pad = int(0.05 * dpi)
            y0, y1, x0, x1 = max(0, y - pad), y + h + pad, max(0, x - pad), x + w + pad
            out[y0:y1, x0:x1][mask[y0:y1, x0:x1]] = 255
    return out


def tilt(page: OcrPage) -> float:
    """The page's tilt in radians: the median slope of its wide boxes' top edges."""
    slopes = [_slope(box.quad) for box in page.boxes if box.quad[1][0] - box.quad[0][0] > 4 * _height(box.quad)]
    return median(slopes) if slopes else 0.0


#: A box whose top edge is turned more than this from the page's lines is not read (radians).
SLANTED = math.radians(10)


def _slope(quad: list[list[float]]) -> float:
    (x0, y0), (x1, y1) = quad[0], quad[1]
    return math.atan2(y1 - y0, x1 - x0)


def _height(quad: list[list[float]]) -> float:
    return abs(quad[3][1] - quad[0][1] + quad[2][1] - quad[1][1]) / 2


def page_lines(page: OcrPage, number: int, page_height: float, scale: float) -> list[Line]:
    """The page's lines, top to bottom, in points (pixels × scale) with y upwards from a page
    page_height points tall. The tilt is turned back first; boxes of one row are joined."""
    angle = tilt(page)
    cos, sin = math.cos(-angle), math.sin(-angle)
    cx, cy = page.width / 2, page.height / 2
    pieces = []
    for box in page.boxes:
        if abs(_slope(box.quad) - angle) > SLANTED:
            continue  # text at an angle to the lines: a seal's ring (in a grey scan), a stamp
        xs, ys = [], []
        for x, y in box.quad:
            xs.append(cx + (x - cx) * cos - (y - cy) * sin)
            ys.append(cy + (x - cx) * sin + (y - cy) * cos)
        pieces.append((min(xs), max(xs), min(ys), max(ys), box.text))
    lines = []
    for row in _rows(pieces):
        row.sort()
        text = _join(piece[4] for piece in row)
        x0, x1 = row[0][0], max(p[1] for p in row)
        top_px, bottom_px = min(p[2] for p in row), max(p[3] for p in row)
        lines.append(
            Line(text, number, x0 * scale, x1 * scale, page_height - bottom_px * scale, page_height - top_px * scale)
        )
    return lines


def _rows(pieces: list[tuple]) -> list[list[tuple]]:
    """Pieces grouped into rows: a piece joins the row above when they overlap by half a height."""
    rows: list[list[tuple]] = []
    for piece in sorted(pieces, key=lambda p: (p[2] + p[3]) / 2):
        if rows:
            last = rows[-1]
            top, bottom = min(p[2] for p in last), max(p[3] for p in last)
            overlap = min(bottom, piece[3]) - max(top, piece[2])
            if overlap > 0.5 * min(bottom - top, piece[3] - piece[2]):
                last.append(piece)
                continue
        rows.append([piece])
    return rows


def _join(texts) -> str:
    """Pieces of one printed line, joined; a space only between Latin letters or digits."""
    from indexer.documents.formats.pdf import tidy_spaces

    return tidy_spaces(" ".join(texts))


def even_sizes(pages: list[list[Line]]) -> list[list[Line]]:
    """The lines with each type size made one. An OCR box's height says little of the type
    (a short line's box is taller, boxes of one size differ by a few pixels), which `layout`
    would take for changes of type; the advance of the characters says more (see `advance`).
    Lines whose advance is within 0.8–1.12 of the body's (the median of lines of ten characters
    or more; 0.75–1.2 under ten characters, 0.7–1.35 under four) are body type; the others are grouped in runs within an eighth of each other. Each
    group's lines are given the median height of their boxes."""
    lines = [line for page in pages for line in page]
    if not lines:
        return pages
    long = [advance(l) for l in lines if len(l.text) >= 10]
    body_advance = median(long or [advance(l) for l in lines])

    def is_body(line: Line) -> bool:  # a line of a few characters tells its advance roughly
        n = len(line.text)
        low, high = (0.8, 1.12) if n >= 10 else (0.75, 1.2) if n >= 4 else (0.7, 1.35)
        return low * body_advance <= advance(line) <= high * body_advance

    groups: list[list[Line]] = [[l for l in lines if is_body(l)]]
    for line in sorted((l for l in lines if not is_body(l)), key=advance):
        if len(groups) > 1 and advance(line) <= 1.12 * advance(groups[-1][0]):
            groups[-1].append(line)
        else:
            groups.append([line])
    for group in filter(None, groups):
        size = median(l.em for l in group)
        for line in group:
            centre = (line.top + line.bottom) / 2
            line.bottom, line.top = centre - size / 2, centre + size / 2
    return pages


#: Full-width marks whose ink sits in the left half of their square: at a line's end they add half
#: a character to its box.
_HALF_AT_END = "，。、：；！？）》」』”’"


def advance(line: Line) -> float:
    """The line's width per character: a Chinese character is one em wide, a digit about 0.6, a
    Latin letter or space about half, and a closing mark at the end of the line half (its ink is)."""
    text = line.text
    width = sum(0.6 if ch.isdigit() else 0.5 if ch.isascii() else 1.0 for ch in text)
    width -= 0.5 if text[-1:] in _HALF_AT_END else 0.0
    return (line.x1 - line.x0) / max(width, 1.0)
