"""PDF reading speed: python -m indexer.bench.pdf_speed [--pdf FILE] [--repeat N] [--compare] [--scaling].

Without --pdf it joins the fixture PDFs of tests/fixtures/published/pdf (Chromium prints
of the five reports) into one of at least 30 pages. It reports pages per second for
our reader (text, line boxes, furniture, paragraphs) and for pdfium's plain text alone.
--compare also times pdfminer.six and pdfplumber when they are installed (they are not
requirements) and says how much of each report's text each library recovers.
--scaling reads generated PDFs of 200 and 2,000 pages of one long paragraph and compares
the cost per page: reading must stay linear in the pages (README: Reliability).
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import tempfile
import time
from pathlib import Path
from typing import Callable

import pypdfium2 as pdfium

from indexer.documents.formats.pdf import read_pdf
from indexer.text.normalize import normalize

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "published" / "pdf"
REPORTS = ROOT / "data" / "reports"


def make_pdf(target: Path, min_pages: int = 30) -> int:
    """Join the fixture PDFs, over and over, into one of at least min_pages pages."""
    sources = sorted(FIXTURES.glob("*.pdf"))
    if not sources:
        raise SystemExit(f"no fixture PDFs in {FIXTURES}")
    joined = pdfium.PdfDocument.new()
    while len(joined) < min_pages:
        for source in sources:
            joined.import_pages(pdfium.PdfDocument(str(source)))
    joined.save(str(target))
    return len(joined)


def write_plain_pdf(target: Path, pages: int, lines: int = 40) -> None:
    """A plain PDF of `pages` pages of `lines` lines of Helvetica each, its page tree one flat list.

    The lines fill the width alike, so the whole document reads as one paragraph: the case
    where joining lines to a growing paragraph went quadratic.
    """
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}
    kids = []
    for n in range(pages):
        text = b"".join(b"(Line %d of page %d says a few words.) Tj T* " % (i, n + 1) for i in range(lines))
        ops = b"BT /F1 11 Tf 72 760 Td 14 TL " + text + b"ET"
        objects[4 + 2 * n] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(ops), ops)
        objects[5 + 2 * n] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (4 + 2 * n)
        )
        kids.append(b"%d 0 R" % (5 + 2 * n))
    objects[2] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % pages
    out, offsets = bytearray(b"%PDF-1.4\n"), {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref, size = len(out), max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join(b"%010d 00000 n \n" % offsets[i] for i in range(1, size))
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    target.write_bytes(bytes(out))


def scaling(folder: Path, sizes: tuple[int, ...] = (200, 2000), repeat: int = 1) -> dict[int, float]:
    """Milliseconds per page for our reader on generated PDFs of each size (best of `repeat`)."""
    from indexer.documents import limits

    per_page = {}
    for pages in sizes:
        path = folder / f"plain-{pages}.pdf"
        write_plain_pdf(path, pages)
        saved, limits.MAX_PAGES, limits.MAX_CHARACTERS = (limits.MAX_PAGES, limits.MAX_CHARACTERS), 10**9, 10**12
        try:
            per_page[pages] = 1000 / pages_per_second(read_pdf, path, pages, repeat)
        finally:
            limits.MAX_PAGES, limits.MAX_CHARACTERS = saved
    return per_page


def pdfium_text(path: Path) -> str:
    document = pdfium.PdfDocument(str(path))
    return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


def pdfminer_text(path: Path) -> str:
    from pdfminer.high_level import extract_text

    return extract_text(str(path))


def pdfplumber_text(path: Path) -> str:
    import pdfplumber

    with pdfplumber.open(str(path)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def readers(compare: bool) -> dict[str, Callable[[Path], str]]:
    found = {"ours (pypdfium2 + layout)": read_pdf, "pypdfium2 plain text": pdfium_text}
    if compare:
        for name, module, reader in (
            ("pdfminer.six", "pdfminer", pdfminer_text),
            ("pdfplumber", "pdfplumber", pdfplumber_text),
        ):
            if importlib.util.find_spec(module):
                found[name] = reader
    return found


def pages_per_second(reader: Callable[[Path], str], path: Path, pages: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        reader(path)
        best = min(best, time.perf_counter() - start)
    return pages / best


def recovered(reader: Callable[[Path], str]) -> float:
    """Share of the reports' characters (normalised) found, in order, in what the reader gives."""
    matched = total = 0
    for pdf in sorted(FIXTURES.glob("*.pdf")):
        want = normalize((REPORTS / f"{pdf.stem}.txt").read_text(encoding="utf-8"))
        got = normalize(reader(pdf))
        blocks = difflib.SequenceMatcher(None, want, got, autojunk=False).get_matching_blocks()
        matched += sum(b.size for b in blocks)
        total += len(want)
    return matched / total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer.bench.pdf_speed")
    parser.add_argument("--pdf", type=Path, help="a PDF to time (default: one joined from the fixtures)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per reader; the best is reported")
    parser.add_argument("--compare", action="store_true", help="also pdfminer.six and pdfplumber, if installed")
    parser.add_argument("--scaling", action="store_true", help="cost per page at 200 and 2,000 pages")
    args = parser.parse_args(argv)
    if args.scaling:
        with tempfile.TemporaryDirectory() as tmp:
            per_page = scaling(Path(tmp), repeat=args.repeat)
        for pages, ms in per_page.items():
            print(f"{pages:6,} pages of one paragraph: {ms:6.2f} ms a page")
        first, last = per_page.values()
        print(f"cost per page at {max(per_page):,} pages / at {min(per_page):,}: {last / first:.2f}x")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = args.pdf or Path(tmp) / "joined.pdf"
        pages = len(pdfium.PdfDocument(str(path))) if args.pdf else make_pdf(path)
        print(f"{path.name}: {pages} pages, {path.stat().st_size / 1e6:.1f} MB")
        for name, reader in readers(args.compare).items():
            line = f"{name:28s} {pages_per_second(reader, path, pages, args.repeat):8.1f} pages/s"
            if args.compare:
                line += f"   text recovered {recovered(reader):.2%}"
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
