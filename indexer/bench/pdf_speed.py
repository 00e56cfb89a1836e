"""PDF reading speed: python -m indexer.bench.pdf_speed [--pdf FILE] [--repeat N] [--compare].

Without --pdf it joins the fixture PDFs of tests/fixtures/published/pdf (Chromium prints
of the five reports) into one of at least 30 pages. It reports pages per second for
our reader (text, line boxes, furniture, paragraphs) and for pdfium's plain text alone.
--compare also times pdfminer.six and pdfplumber when they are installed (they are not
requirements) and says how much of each report's text each library recovers.
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
    args = parser.parse_args(argv)
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
