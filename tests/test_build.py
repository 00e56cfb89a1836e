"""Building the index: bad files are named and skipped, a failed build keeps the old index."""

import codecs
import json

import docx
import pytest

from indexer.engine import build as build_module
from indexer.engine.build import BuildError, build
from indexer.engine.layout import current_generation
from indexer.engine.query import parse_query
from indexer.engine.search import ReportIndex
from tests.conftest import SEED_FILES, report_path


def test_mixed_folder_indexes_the_good_files_and_names_the_bad(tmp_path):
    data = tmp_path / "reports"
    data.mkdir()
    text = report_path("003").read_text(encoding="utf-8")
    (data / "empty.txt").write_bytes(b"")
    (data / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (data / "gb.txt").write_bytes(text.replace("熊背乡", "甲乙乡").encode("gb18030"))
    (data / "utf16.txt").write_bytes(text.replace("熊背乡", "丙丁乡").encode("utf-16"))
    document = docx.Document()
    for line in report_path("002").read_text(encoding="utf-8").splitlines():
        document.add_paragraph(line.replace("青山乡", "戊己乡"))
    document.save(data / "word.docx")
    summary = build(data, tmp_path / "index")
    assert sorted(name for name, _ in summary.skipped) == ["binary.txt", "empty.txt"]
    assert dict(summary.skipped)["empty.txt"] == "empty file"
    index = ReportIndex.open(tmp_path / "index")
    assert sorted(r["township"] for r in index.reports) == ["丙丁乡", "戊己乡", "甲乙乡"]
    result = index.search(parse_query("法律明白人"), limit=None)
    assert {h.township for h in result.hits} == {"丙丁乡", "戊己乡", "甲乙乡"}


def test_report_ids_are_stable_across_rebuilds(data_dir, tmp_path):
    build(data_dir, tmp_path / "a")
    build(data_dir, tmp_path / "b")
    ids = [[r["report_id"] for r in ReportIndex.open(tmp_path / d).reports] for d in "ab"]
    assert ids[0] == ids[1] == [name.rsplit(".", 1)[0] for name in SEED_FILES]


def test_rebuild_switches_generation_and_keeps_one_previous(data_dir, tmp_path):
    index_dir = tmp_path / "index"
    gens = []
    for _ in range(3):
        build(data_dir, index_dir)
        gens.append(current_generation(index_dir).name)
    assert len(set(gens)) == 3
    assert sorted(p.name for p in index_dir.glob("gen-*")) == sorted(gens[1:])


def test_failed_build_leaves_the_old_index_serving(data_dir, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    build(data_dir, index_dir)
    before = current_generation(index_dir)
    (data_dir / "extra.txt").write_text(report_path("000").read_text(encoding="utf-8"), encoding="utf-8")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(build_module.WordIndex, "write", broken)
    with pytest.raises(BuildError, match="disk full; the previous index is unchanged"):
        build(data_dir, index_dir)
    assert current_generation(index_dir) == before
    assert len(list(index_dir.glob("gen-*"))) == 1
    assert len(ReportIndex.open(index_dir).reports) == len(SEED_FILES)


def test_bad_manifest_stops_the_build_before_touching_the_index(data_dir, tmp_path):
    index_dir = tmp_path / "index"
    build(data_dir, index_dir)
    before = current_generation(index_dir)
    (data_dir / "manifest.toml").write_text("[files.x\n", encoding="utf-8")
    with pytest.raises(ValueError):
        build(data_dir, index_dir)
    assert current_generation(index_dir) == before


def test_missing_or_corrupt_index_is_reported_with_the_build_command(tmp_path, data_dir):
    from indexer.engine.search import IndexNotFound

    with pytest.raises(IndexNotFound, match="python -m indexer build"):
        ReportIndex.open(tmp_path / "nothing")
    build(data_dir, tmp_path / "index")
    gen = current_generation(tmp_path / "index")
    (gen / "reports.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexNotFound, match="python -m indexer build"):
        ReportIndex.open(tmp_path / "index")


def test_index_keeps_a_copy_of_each_source_file(index):
    report = index.reports[0]
    assert index.source_path(report).read_bytes() == report_path(report["source"][:3]).read_bytes()
    assert json.loads((index.generation / "meta.json").read_text())["paragraphs"] == len(index)


def test_utf16_and_bom_files_index_the_same_paragraphs(tmp_path):
    text = report_path("000").read_text(encoding="utf-8")
    for name, data in (("a.txt", codecs.BOM_UTF8 + text.encode()), ("b.txt", text.encode("utf-16"))):
        folder = tmp_path / name
        folder.mkdir()
        (folder / name).write_bytes(data)
        build(folder, tmp_path / (name + ".index"))
    a, b = (ReportIndex.open(tmp_path / (n + ".index")) for n in ("a.txt", "b.txt"))
    assert [h.text for h in a.hits(list(range(len(a))))] == [h.text for h in b.hits(list(range(len(b))))]


def test_parallel_analysis_gives_the_same_index(data_dir, tmp_path, monkeypatch, index):
    # Small chunks make the build use its second process, as it does above CHUNK paragraphs.
    monkeypatch.setattr(build_module, "CHUNK", 17)
    build(data_dir, tmp_path / "index")
    parallel = ReportIndex.open(tmp_path / "index")
    for text in ("法律明白人", "法", "执法队", "八五普法", "调解 OR 宣传"):
        q = parse_query(text)
        assert [(h.source, h.paragraph) for h in parallel.search(q, limit=None).hits] == [
            (h.source, h.paragraph) for h in index.search(q, limit=None).hits
        ]
        assert [round(h.score, 9) for h in parallel.search(q, limit=None).hits] == [
            round(h.score, 9) for h in index.search(q, limit=None).hits
        ]


@pytest.mark.parametrize(
    "error, told",
    [
        (OSError(28, "No space left on device"), "No space left on device; the previous index is unchanged"),
        (ValueError("bad phrase table"), "writing the index failed: ValueError: bad phrase table"),
    ],
)
def test_a_failure_in_the_second_writing_process_fails_the_build_in_one_line(
    data_dir, tmp_path, monkeypatch, error, told
):
    """Phrases and similar lists are written by a forked process beside the grams (both cores
    work); what goes wrong there is told like a failure in the build's own process."""
    index_dir = tmp_path / "index"
    build(data_dir, index_dir)
    before = current_generation(index_dir)
    monkeypatch.setattr(build_module, "CHUNK", 17)  # several chunks: the side-by-side writing is used

    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(build_module, "write_phrases", broken)
    with pytest.raises(BuildError) as raised:
        build(data_dir, index_dir)
    assert told in str(raised.value) and "\n" not in str(raised.value)
    assert current_generation(index_dir) == before
    assert len(list(index_dir.glob("gen-*"))) == 1


def test_an_empty_folder_builds_an_empty_index(tmp_path):
    (tmp_path / "reports").mkdir()
    summary = build(tmp_path / "reports", tmp_path / "index")
    index = ReportIndex.open(tmp_path / "index")
    assert (summary.reports, summary.paragraphs, len(index)) == (0, 0, 0)
    assert index.search(parse_query("法治")).total == 0
