"""Bounded work per file: a file over a limit (documents/limits.py) is one skip line naming it, found
before the work it would cost; key terms of a huge report read a sample and say so."""

import subprocess
import sys
import time
import zipfile

import numpy as np
import pypdfium2 as pdfium
import pytest

from indexer.bench.pdf_speed import scaling, write_plain_pdf
from indexer.documents import limits
from indexer.documents.ingest import IngestError, read_document
from indexer.engine.build import build
from indexer.research import keyterms
from tests.conftest import ROOT, SEED_FILES


def reason(path) -> str:
    with pytest.raises(IngestError) as refused:
        read_document(path)
    return str(refused.value)


def test_a_huge_text_file_is_skipped_by_its_characters_and_the_rest_indexed(data_dir, tmp_path):
    (data_dir / "big.txt").write_bytes(b"a" * (50 * 2**20))
    summary = build(data_dir, tmp_path / "index")
    limit = f"{limits.MAX_CHARACTERS:,}"
    assert summary.skipped == [("big.txt", f"52,428,800 characters; the limit is {limit} (split the file)")]
    assert summary.reports == len(SEED_FILES)


def test_a_text_over_the_limit_but_small_on_disk_is_counted_once_read(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("法" * (limits.MAX_CHARACTERS + 1000), encoding="utf-8")  # 3 bytes a character
    assert path.stat().st_size <= 4 * limits.MAX_CHARACTERS
    assert reason(path) == limits.over_limit(limits.MAX_CHARACTERS + 1000, "characters", limits.MAX_CHARACTERS)


def test_building_beside_a_huge_file_stays_within_bounded_memory(data_dir, tmp_path):
    """Peak resident memory of the build (the process and its children), in a process of its own."""
    (data_dir / "big.txt").write_bytes("法治政府建设。\n".encode() * (50 * 2**20 // 22))
    code = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from indexer.engine.build import build\n"
        "summary = build(Path(sys.argv[1]), Path(sys.argv[2]))\n"
        "peak = max(resource.getrusage(w).ru_maxrss for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))\n"
        "print(summary.reports, len(summary.skipped), peak)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(data_dir), str(tmp_path / "index")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    reports, skipped, peak_kb = map(int, done.stdout.split())
    assert (reports, skipped) == (len(SEED_FILES), 1)
    assert peak_kb < 1.5 * 2**20  # 1.5 GB


def test_a_docx_bomb_is_refused_by_its_declared_size_before_it_is_unpacked(tmp_path):
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document>" + " " * (limits.MAX_MARKUP_BYTES + 1) + "</w:document>")
    assert path.stat().st_size < 2**20
    started = time.perf_counter()
    refused = reason(path)
    assert refused.startswith(f"{limits.MAX_MARKUP_BYTES + 1 + 8 + 25:,} bytes of XML unpacked; the limit is ")
    assert time.perf_counter() - started < 5  # refused unread: unpacking and parsing it takes far longer


def test_a_pdf_over_the_page_limit_is_skipped_without_reading_a_page(tmp_path, monkeypatch):
    path = tmp_path / "long.pdf"
    write_plain_pdf(path, 20_000, lines=1)
    opened = []
    monkeypatch.setattr(pdfium.PdfDocument, "get_page", lambda self, i: opened.append(i))
    assert reason(path) == f"20,000 pages; the limit is {limits.MAX_PAGES:,} (split the file)"
    assert opened == []


def test_a_pdf_under_the_page_limit_is_read(tmp_path):
    path = tmp_path / "short.pdf"
    write_plain_pdf(path, 3, lines=9)
    assert "Line 4 of page 3 says a few words." in read_document(path).text


def test_key_terms_of_a_huge_selection_read_an_even_sample_and_say_so(index, monkeypatch):
    pids = np.flatnonzero(index.live)  # every paragraph served
    whole = keyterms.key_terms(index, pids, 5)
    assert not whole.sampled and whole.read == len(pids)
    monkeypatch.setattr(keyterms, "SAMPLE_PARAGRAPHS", 10)
    sampled = keyterms.key_terms(index, pids, 5, min_freq=1)
    assert sampled.sampled and sampled.read == 10
    assert whole and all(t.score == 0 for t in whole)  # every paragraph: nothing to set apart from
    assert all(t.count % (len(pids) // 10) <= 1 for t in sampled)  # counts scaled from the sample


def test_the_key_terms_api_and_page_tell_a_sampled_selection(client, index, monkeypatch):
    monkeypatch.setattr(keyterms, "SAMPLE_CHARACTERS", 500)
    report = index.reports[0]
    body = client.get("/api/keyterms", query_string={"report": report["report_id"]}).get_json()
    assert body["sampled"] is True and body["paragraphs_read"] < body["paragraphs"]
    page = client.get("/keyterms", query_string={"report": report["report_id"]}).get_data(as_text=True)
    assert 'id="sampled"' in page


def test_the_pdf_scaling_benchmark_gives_a_cost_per_page(tmp_path):
    per_page = scaling(tmp_path, sizes=(4, 8))
    assert list(per_page) == [4, 8] and all(ms > 0 for ms in per_page.values())
    assert limits.MAX_PAGES < 2000  # the benchmark lifts the limits only while it reads
