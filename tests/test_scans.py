"""Scanned reports read by OCR: the scan fixtures (tests/fixtures/make_scans.py) indexed, their
text, metadata and OCR record; seals, furniture and page breaks; the OCR cache; bad scans.

OCR takes seconds a page, so the scans are read once, into the session's OCR cache
(conftest: ocr_cache_dir, scans_index_dir), and the layout is tested on boxes made by hand.
"""

from __future__ import annotations

import json
import math
import re
import shutil

import numpy as np
import pytest
from PIL import Image, ImageDraw

from indexer.documents import ocr_cache
from indexer.documents.decoding import IngestError
from indexer.documents.formats import ocr
from indexer.documents.formats.ocr import OcrBox, OcrPage, even_sizes, page_lines, remove_seals
from indexer.documents.formats.scan import low_confidence
from indexer.documents.ingest import read_document
from indexer.documents.report import parse_report
from indexer.engine.build import build
from indexer.engine.query import parse_query
from indexer.engine.search import ReportIndex
from indexer.engine.update import update
from indexer.text.normalize import normalize
from tests.conftest import ROOT, SCANS, env, report_path

PUBLISHED = ROOT / "tests" / "fixtures" / "published"
SCAN_000 = "000_90e80c64c1df8a22-scan"


@pytest.fixture(scope="module")
def scans(scans_index_dir) -> ReportIndex:
    return ReportIndex.open(scans_index_dir[0])


def report_texts(index: ReportIndex, report_id: str) -> list[str]:
    meta = index.report(report_id)
    return [p.text for p in index.report_paragraphs(meta, 0, meta["paragraphs"])]


def sampled_phrases(text: str, size: int = 8, step: int = 13) -> list[str]:
    """Phrases of `size` Chinese characters taken every `step` characters from the true text."""
    norm = normalize(text)
    return [
        norm[i : i + size]
        for i in range(0, len(norm) - size, step)
        if re.fullmatch(r"[\u4e00-\u9fff]+", norm[i : i + size])
    ]


def test_the_scans_are_indexed_with_the_right_place_year_and_title(scans):
    expected = {
        SCAN_000: ("东和乡", 2023, "关于2023年度法治政府建设情况的报告"),
        "001_306774baeec4f768-scan": ("景毛乡", 2024, "中共景毛乡委员会景毛乡人民政府2024年法治政府建设年度报告"),
        "002_90b2e66fc1f6a78b-mixed": ("青山乡", 2022, "关于2022年度法治政府建设情况的报告"),
        "003_d3398cc9e2436e99-scan": ("熊背乡", 2023, "鲁山县熊背乡人民政府关于2023年法治政府建设情况的报告"),
        "004_820d76132354570c-scan": ("国宝乡", 2023, "国宝乡2023年法治政府建设年度报告"),
    }
    got = {r["report_id"]: (r["township"], r["year"], r["title"]) for r in scans.reports_by_path}
    assert got == expected


@pytest.mark.parametrize(
    "report_id, pages",
    [
        (SCAN_000, 2),  # an image-only PDF
        ("001_306774baeec4f768-scan", 2),  # a two-page TIFF
        ("002_90b2e66fc1f6a78b-mixed", 1),  # a text PDF with one scanned page: only it is read by OCR
        ("003_d3398cc9e2436e99-scan", 1),
        ("004_820d76132354570c-scan", 1),
    ],
)
def test_each_report_records_its_pages_read_by_ocr_and_their_confidence(scans, report_id, pages):
    record = scans.report(report_id)["ocr"]
    assert record["pages"] == pages
    assert 0.95 < record["confidence"] <= 1.0
    assert record["low_pages"] == []


def test_phrases_of_the_true_text_are_found_in_the_scanned_report(scans):
    """At least 95% of phrases sampled from the report's true text are found in its scan."""
    true = parse_report(report_path("000"))
    phrases = [ph for p in true.paragraphs for ph in sampled_phrases(p.text)]
    assert len(phrases) > 40
    found = [ph for ph in phrases if SCAN_000 in {h.report_id for h in scans.search(parse_query(ph), limit=None).hits}]
    assert len(found) / len(phrases) >= 0.95, sorted(set(phrases) - set(found))


def test_a_sentence_cut_by_the_page_end_is_one_paragraph_again(scans):
    texts = report_texts(scans, SCAN_000)
    # page 1 ends "…根据重大行政决策事项目录", page 2 begins "和政府权责清单…"
    assert any("决策事项目录和政府权责清单" in t for t in texts)
    tiff = report_texts(scans, "001_306774baeec4f768-scan")
    assert any(t.endswith("提供有力的法治保障。") for t in tiff)  # its last line is the first of page 2


def test_running_headers_and_page_numbers_are_dropped_and_the_title_kept(scans):
    texts = report_texts(scans, SCAN_000)
    assert texts.count("关于2023年度法治政府建设情况的报告") == 1  # the title; the running header is gone
    assert not [t for t in texts if re.search(r"第\s*\d\s*页", t)]


def test_the_seal_is_not_read_and_the_signature_under_it_is(scans):
    texts = report_texts(scans, SCAN_000)
    assert texts[-3:] == ["中共东和乡委员会", "东和乡人民政府", "2023年12月5日"]
    assert "★" not in "".join(texts)


def test_a_mixed_pdf_reads_its_scanned_page_into_the_text_of_the_others(scans):
    printed = read_document(PUBLISHED / "pdf" / "002_90b2e66fc1f6a78b.pdf").text.split("\n")
    mixed = report_texts(scans, "002_90b2e66fc1f6a78b-mixed")
    assert len(mixed) == len(printed)
    assert sum(a == b for a, b in zip(mixed, printed)) >= len(printed) - 3  # OCR errors stay on the scanned page
    # the text page 1 ends "…乡党委书记认真履", the scanned page 2 begins "行法治建设第一责任人职责"
    assert any("乡党委书记认真履行法治建设第一责任人职责" in t for t in mixed)


def test_the_report_page_the_api_and_reports_json_say_the_text_came_from_ocr(scans_index_dir, cli):
    from search_app import create_app

    index_dir = scans_index_dir[0]
    client = create_app({"INDEX_DIR": index_dir, "TESTING": True}).test_client()
    page = client.get(f"/reports/{SCAN_000}").get_data(as_text=True)
    assert re.search(r"扫描件，经 OCR 识别（2 页，平均置信度 9\d%）", page)
    assert "识别有误的字词可能查不到" in page
    assert client.get(f"/api/reports/{SCAN_000}").get_json()["ocr"]["pages"] == 2
    listed = {r["report_id"]: r["ocr"] for r in client.get("/api/reports").get_json()["reports"]}
    assert listed["002_90b2e66fc1f6a78b-mixed"]["pages"] == 1
    status, out, _ = cli("reports", "--index", index_dir, "--json")
    assert status == 0
    rows = {row["report_id"]: row["ocr"] for row in map(json.loads, out.splitlines())}
    assert rows["001_306774baeec4f768-scan"]["pages"] == 2


def test_a_text_report_has_no_ocr_record(index):
    assert {r["report_id"]: r.get("ocr") for r in index.reports_by_path} == {
        r["report_id"]: None for r in index.reports_by_path
    }


def test_the_first_build_read_every_scanned_page_or_took_it_from_the_cache(scans_index_dir):
    summary = scans_index_dir[1]
    assert summary.ocr_pages + summary.ocr_cached == 7
    assert "OCR" in summary.line()


def test_a_rebuild_or_update_of_unchanged_scans_runs_no_ocr(tmp_path, monkeypatch):
    """The cache is keyed by content: a rebuild, a touched file and a copy under another name cost no OCR."""
    data = tmp_path / "reports"
    data.mkdir()
    shutil.copy(SCANS / "003_d3398cc9e2436e99-scan.jpg", data / "scan.jpg")
    shutil.copy(report_path("000"), data)
    index_dir = tmp_path / "index"
    calls = []
    recognise = ocr.recognise
    monkeypatch.setattr(ocr, "recognise", lambda *a: calls.append(1) or recognise(*a))
    first = build(data, index_dir)  # the cache is beside the index: tmp_path/ocr-cache
    assert (first.ocr_pages, first.ocr_cached, len(calls)) == (1, 0, 1)
    assert (tmp_path / ocr_cache.CACHE_NAME).is_dir()
    again = build(data, index_dir)
    assert (again.ocr_pages, again.ocr_cached, len(calls)) == (0, 1, 1)
    (data / "scan.jpg").touch()
    shutil.copy(data / "scan.jpg", data / "copy.jpg")
    updated = update(data, index_dir)
    assert (updated.ocr_pages, len(calls)) == (0, 1)
    assert {r["source"] for r in ReportIndex.open(index_dir).reports_by_path} >= {"scan.jpg", "copy.jpg"}


def test_the_cache_folder_can_be_named(tmp_path, ocr_cache_dir):
    data = tmp_path / "reports"
    data.mkdir()
    shutil.copy(SCANS / "004_820d76132354570c-scan.png", data)
    with env(OCR_CACHE=str(ocr_cache_dir)):
        summary = build(data, tmp_path / "index")
    assert (summary.ocr_pages, summary.ocr_cached) == (0, 1)  # read by the session's build already
    assert not (tmp_path / ocr_cache.CACHE_NAME).exists()


def test_an_entry_the_cache_cannot_read_is_read_by_ocr_again(tmp_path):
    cache = ocr_cache.OcrCache(tmp_path)
    page = OcrPage(100, 50, 150.0, [OcrBox("法治", 0.99, [[1, 2], [30, 2], [30, 20], [1, 20]])])
    cache.save("ab" * 16, {0: page})
    assert cache.load("ab" * 16)[0] == page
    next(tmp_path.rglob("abab*.json")).write_text("{not json", encoding="utf-8")
    assert cache.load("ab" * 16) is None


BAD_SCANS = [
    ("truncated.jpg", lambda data: data[:2000], "unreadable image"),
    ("garbage.png", lambda data: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "unreadable image"),
    ("text.tif", lambda data: "这不是图像".encode() * 50, "unreadable image"),
]


@pytest.mark.parametrize("name, damage, reason", BAD_SCANS)
def test_a_damaged_scan_is_skipped_in_one_line(tmp_path, name, damage, reason):
    path = tmp_path / name
    path.write_bytes(damage((SCANS / "003_d3398cc9e2436e99-scan.jpg").read_bytes()))
    with pytest.raises(IngestError) as info:
        read_document(path)
    assert str(info.value).startswith(reason)
    assert "\n" not in str(info.value)


def test_a_blank_scan_is_skipped_as_having_no_text(tmp_path):
    Image.new("RGB", (400, 560), "white").save(tmp_path / "blank.png")
    with pytest.raises(IngestError, match="no text found"):
        read_document(tmp_path / "blank.png")


def test_an_encrypted_pdf_is_still_a_one_line_skip():
    with pytest.raises(IngestError, match="encrypted PDF"):
        read_document(PUBLISHED / "bad" / "encrypted.pdf")


def test_a_folder_with_a_bad_scan_indexes_the_rest(tmp_path, ocr_cache_dir):
    data = tmp_path / "reports"
    data.mkdir()
    shutil.copy(SCANS / "003_d3398cc9e2436e99-scan.jpg", data)
    (data / "broken.tiff").write_bytes(b"II*\x00" + bytes(100))
    with env(OCR_CACHE=str(ocr_cache_dir)):
        summary = build(data, tmp_path / "index")
    assert summary.reports == 1
    assert [name for name, _ in summary.skipped] == ["broken.tiff"]


# The layout of OCR boxes, on boxes made by hand (no OCR).


def _box(text: str, x: float, y: float, w: float, h: float, angle: float = 0.0) -> OcrBox:
    """A box at (x, y) (top-left, pixels), turned by angle (radians) about the page's origin."""
    corners = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
    c, s = math.cos(angle), math.sin(angle)
    return OcrBox(text, 0.99, [[px * c - py * s, px * s + py * c] for px, py in corners])


@pytest.mark.parametrize("degrees", [0.0, 0.7, -0.9])
def test_a_tilted_page_gives_level_lines_in_reading_order(degrees):
    angle = math.radians(degrees)
    boxes = [_box("第一行文字" * 6, 100, 100 + 60 * i, 1000, 40, angle) for i in range(8)]
    boxes.append(_box("右边", 1150, 100, 80, 40, angle))  # a second piece of the first row
    lines = page_lines(OcrPage(1240, 1754, 150.0, boxes), 0, 842.0, 72 / 150)
    assert len(lines) == 8
    assert lines[0].text == "第一行文字" * 6 + "右边"
    assert len({round(l.x0, 1) for l in lines}) == 1  # tilt taken out: one left margin
    assert len({round(l.em, 1) for l in lines}) == 1
    assert all(a.top > b.top for a, b in zip(lines, lines[1:]))


def test_boxes_at_an_angle_to_the_lines_are_not_read():
    """A seal's ring in a grey scan (its red cannot be told) gives boxes turned along the ring."""
    boxes = [_box("正文" * 10, 100, 100 + 60 * i, 1000, 40) for i in range(5)]
    boxes += [_box("人民政", 800, 500, 120, 40, math.radians(25)), _box("府", 900, 560, 40, 40, math.radians(-40))]
    lines = page_lines(OcrPage(1240, 1754, 150.0, boxes), 0, 842.0, 1.0)
    assert [l.text for l in lines] == ["正文" * 10] * 5


def test_even_sizes_gives_one_size_to_lines_of_one_type():
    boxes = [_box("字" * 20, 100, 100 + 60 * i, 1000, 40 + (i % 3) * 2) for i in range(6)]
    boxes.append(_box("短行。", 100, 460, 150, 48))  # a short line's box is taller
    boxes.append(_box("标题" * 5, 300, 20, 650, 56))  # a title in a larger type
    lines = even_sizes([page_lines(OcrPage(1240, 1754, 150.0, boxes), 0, 842.0, 1.0)])[0]
    sizes = {l.text: round(l.em, 3) for l in lines}
    assert len({sizes[t] for t in sizes if t != "标题" * 5}) == 1
    assert sizes["标题" * 5] > sizes["短行。"]


def test_seal_red_is_removed_and_ink_and_a_red_letterhead_stay():
    from tests.fixtures.make_scans import seal

    page = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle([100, 60, 1140, 140], fill=(220, 20, 30))  # a red letterhead band: wide, not round
    draw.rectangle([800, 1400, 1000, 1430], fill=(0, 0, 0))  # the signature's ink
    stamp = seal("东和乡人民政府", 240)
    page.paste(stamp, (780, 1300))
    page.paste((0, 0, 0), (800, 1400, 1000, 1430))  # ink over the seal stays black
    out = remove_seals(np.asarray(page), 150.0)
    red = ocr.red_mask(out)
    assert not red[1250:1600, 700:1100].any()
    assert red[60:140, 100:1140].all()
    assert (out[1400:1430, 800:1000] == 0).all()


def test_low_confidence_pages_are_named_in_the_warning():
    assert low_confidence({"pages": 3, "confidence": 0.97, "low_pages": []}) is None
    warning = low_confidence({"pages": 3, "confidence": 0.8, "low_pages": [2, 3]})
    assert "page(s) 2, 3" in warning and "low confidence" in warning
