"""What is indexed is what is recorded: a file's version is the bytes read, an edit made while a
build or an update reads is indexed by the next update, the download serves the bytes
indexed; folders that overlap; a build removes only the generations it made."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from indexer.cli import main
from indexer.documents import versions
from indexer.engine import build as build_module
from indexer.engine import layout
from indexer.engine.build import build, is_stale
from indexer.engine.checksums import seal, unseal
from indexer.engine.layout import current_generation
from indexer.engine.query import parse_query
from indexer.engine.search import ReportIndex
from indexer.engine.update import update
from tests.conftest import REPORTS, SEED_FILES, run_cli

TARGET = SEED_FILES[2]
OLD = "旧版独有的一句甲乙丙丁。"
NEW = "新版独有的一句戊己庚辛。"
LATER = "再改独有的一句壬癸子丑。"


def write_version(folder, phrase: str) -> bytes:
    """Rewrite TARGET as the seed report plus one paragraph holding phrase; returns its bytes."""
    seed = (REPORTS / TARGET).read_bytes()
    data = seed + f"\n{phrase}\n".encode()
    (folder / TARGET).write_bytes(data)
    return data


def found(index_dir, phrase: str) -> list[str]:
    """The report id of each paragraph that holds phrase, in paragraph order."""
    index = ReportIndex.open(index_dir)
    return [h.report_id for h in index.search(parse_query(phrase), sort="township", limit=None).hits]


def download(index_dir) -> bytes:
    """The bytes the site serves as TARGET's original file."""
    index = ReportIndex.open(index_dir)
    return index.source_path(next(r for r in index.reports if r["source"] == TARGET)).read_bytes()


def files_meta(index_dir) -> dict:
    return json.loads((current_generation(index_dir) / layout.META).read_text(encoding="utf-8"))["files"]


def rewrite_after_reading(monkeypatch, folder, phrase: str) -> list[bytes]:
    """Make the reader rewrite TARGET (as holding phrase) right after reading it, once; the
    bytes written are appended to the list returned."""
    written: list[bytes] = []
    original = build_module.parse_report

    def parse_then_edit(path, *args, **kwargs):
        report = original(path, *args, **kwargs)
        if path.name == TARGET and not written:
            written.append(write_version(folder, phrase))
        return report

    monkeypatch.setattr(build_module, "parse_report", parse_then_edit)
    return written


# -- 1. An edit right after the read ---------------------------------------------------------------


def test_a_file_changed_after_a_build_read_it_is_indexed_by_the_next_update(data_dir, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    indexed = write_version(data_dir, OLD)
    rewrite_after_reading(monkeypatch, data_dir, NEW)
    build(data_dir, index_dir)
    monkeypatch.undo()
    # the build indexed the old text, and serves exactly those bytes
    assert found(index_dir, OLD) == [TARGET.removesuffix(".txt")] and found(index_dir, NEW) == []
    assert download(index_dir) == indexed
    summary = update(data_dir, index_dir)
    assert summary.replaced == 1
    assert found(index_dir, NEW) == [TARGET.removesuffix(".txt")] and found(index_dir, OLD) == []
    assert download(index_dir) == (data_dir / TARGET).read_bytes()


def test_a_file_changed_after_an_update_read_it_is_indexed_by_the_next_update(data_dir, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    build(data_dir, index_dir)
    indexed = write_version(data_dir, NEW)
    rewrite_after_reading(monkeypatch, data_dir, LATER)
    assert update(data_dir, index_dir).replaced == 1
    monkeypatch.undo()
    assert found(index_dir, NEW) == [TARGET.removesuffix(".txt")] and download(index_dir) == indexed
    assert update(data_dir, index_dir).replaced == 1
    assert found(index_dir, LATER) == [TARGET.removesuffix(".txt")] and found(index_dir, NEW) == []
    assert download(index_dir) == (data_dir / TARGET).read_bytes()


# -- 2. An edit while the file is read -------------------------------------------------------------


def edit_while_reading(monkeypatch, folder, phrases: list[str]) -> None:
    """Make the reader see TARGET rewritten (with the next of phrases) while it reads it."""
    from indexer.documents import ingest

    original = ingest._read_by_type
    todo = list(phrases)

    def read_while_edited(path, suffix, data):
        if path.name == TARGET and todo:
            write_version(folder, todo.pop(0))
            os.utime(path, ns=(0, path.stat().st_mtime_ns + 1_000_000))  # a new time, whatever the clock
        return original(path, suffix, data)

    monkeypatch.setattr(ingest, "_read_by_type", read_while_edited)


def test_a_file_changed_while_it_is_read_is_read_again(data_dir, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    write_version(data_dir, OLD)
    edit_while_reading(monkeypatch, data_dir, [NEW])
    build(data_dir, index_dir)
    assert found(index_dir, NEW) == [TARGET.removesuffix(".txt")] and found(index_dir, OLD) == []
    assert download(index_dir) == (data_dir / TARGET).read_bytes()


def test_a_file_that_keeps_changing_while_read_is_read_again_by_the_next_update(data_dir, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    write_version(data_dir, OLD)
    edit_while_reading(monkeypatch, data_dir, [NEW, LATER])
    build(data_dir, index_dir)
    monkeypatch.undo()
    assert files_meta(index_dir)[TARGET][2] is None  # its stat is not trusted: checked by content next time
    assert found(index_dir, LATER) == []  # what was read was the version before it
    assert update(data_dir, index_dir).replaced == 1
    assert found(index_dir, LATER) == [TARGET.removesuffix(".txt")]
    assert found(index_dir, OLD) == found(index_dir, NEW) == []
    assert download(index_dir) == (data_dir / TARGET).read_bytes()


# -- 3. Edits the size and modification time do not show -------------------------------------------


def same_size_edit(path) -> None:
    """Change words of the same byte length and set the modification time back (`touch -r`)."""
    st = path.stat()
    text = path.read_text(encoding="utf-8")
    edited = text.replace("法治", "法制")
    assert edited != text and len(edited.encode()) == st.st_size
    path.write_text(edited, encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns


def test_an_edit_that_keeps_size_and_modification_time_is_indexed_by_update(data_dir, tmp_path):
    index_dir = tmp_path / "index"
    assert main(["build", "--data", str(data_dir), "--index", str(index_dir)]) == 0
    before = found(index_dir, "法制")
    same_size_edit(data_dir / TARGET)
    assert is_stale(data_dir, index_dir)
    code, out, err = run_cli("update", "--data", data_dir, "--index", index_dir)
    assert code == 0, err
    assert out.startswith("updated: 0 added, 1 replaced, 0 removed")
    assert found(index_dir, "法制").count(TARGET.removesuffix(".txt")) > before.count(TARGET.removesuffix(".txt"))
    assert download(index_dir) == (data_dir / TARGET).read_bytes()


def test_a_touch_alone_is_hashed_not_read_again(data_dir, tmp_path, monkeypatch):
    from indexer.engine import update as update_module

    index_dir = tmp_path / "index"
    build(data_dir, index_dir)
    st = (data_dir / TARGET).stat()
    os.utime(data_dir / TARGET, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    read: list[str] = []
    original = update_module.read_reports
    monkeypatch.setattr(
        update_module, "read_reports", lambda *a, **k: read.extend(sorted(k["only"])) or original(*a, **k)
    )
    summary = update(data_dir, index_dir)
    assert read == [] and summary.replaced == 0 and summary.touched == 1
    assert summary.line() == "index up to date; 1 file touched, contents unchanged"
    assert files_meta(index_dir)[TARGET][1] == st.st_mtime_ns + 5_000_000_000
    assert download(index_dir) == (data_dir / TARGET).read_bytes()


def record_stat(index_dir: Path, stat: list) -> None:
    """Make the live meta.json record `stat` (size, mtime, ctime) for TARGET, sealed again as a build seals it."""
    meta_path = current_generation(index_dir) / layout.META
    meta = json.loads(unseal(meta_path.read_text(encoding="utf-8")))
    meta["files"][TARGET][:3] = stat
    meta_path.write_text(seal(json.dumps(meta, ensure_ascii=False)), encoding="utf-8")


def test_update_rehash_finds_an_edit_no_stat_shows(data_dir, tmp_path):
    """A share that keeps no change time can hide an edit from every stat: --rehash compares contents."""
    index_dir = tmp_path / "index"
    assert main(["build", "--data", str(data_dir), "--index", str(index_dir)]) == 0
    write_version(data_dir, NEW)
    # as such a share would show it: the stat recorded is the stat of the edited file
    st = (data_dir / TARGET).stat()
    record_stat(index_dir, [st.st_size, st.st_mtime_ns, st.st_ctime_ns])
    assert main(["update", "--data", str(data_dir), "--index", str(index_dir)]) == 0
    assert found(index_dir, NEW) == []
    assert main(["update", "--data", str(data_dir), "--index", str(index_dir), "--rehash"]) == 0
    assert found(index_dir, NEW) == [TARGET.removesuffix(".txt")]
    assert download(index_dir) == (data_dir / TARGET).read_bytes()


# -- 4. Folders that overlap -----------------------------------------------------------------------


def test_an_index_folder_inside_the_report_folder_is_not_read_as_reports(data_dir, tmp_path):
    build(data_dir, tmp_path / "apart")
    expected = found(tmp_path / "apart", "法治")
    index_dir = data_dir / "index"
    code, out, err = run_cli("build", "--data", data_dir, "--index", index_dir)
    assert code == 0 and err == "", err
    assert out.startswith(f"indexed {len(SEED_FILES)} reports")
    for _ in range(3):
        code, out, err = run_cli("update", "--data", data_dir, "--index", index_dir)
        assert code == 0 and err == "", err
        assert out.startswith("index up to date")
        assert found(index_dir, "法治") == expected
        assert len(ReportIndex.open(index_dir).reports) == len(SEED_FILES)


@pytest.mark.parametrize("command", ["build", "update"])
@pytest.mark.parametrize(
    "where, message",
    [
        ("same", "the report folder and the index folder are the same"),
        ("inside", "is inside the index folder"),
    ],
)
def test_a_report_folder_in_the_index_folder_is_refused_in_one_line(data_dir, command, where, message, capsys):
    index_dir = data_dir if where == "same" else data_dir.parent
    assert main([command, "--data", str(data_dir), "--index", str(index_dir)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert current_generation(index_dir) is None and not (index_dir / layout.SOURCES).exists()


# -- 5. A build removes only what it made ----------------------------------------------------------


def test_a_user_folder_named_like_a_generation_survives_builds_and_updates(data_dir, tmp_path):
    index_dir = tmp_path / "index"
    photos = index_dir / "gen-photos"
    photos.mkdir(parents=True)
    (photos / "cat.jpg").write_bytes(b"\xff\xd8 a cat")
    for _ in range(2):
        build(data_dir, index_dir)
    write_version(data_dir, NEW)
    update(data_dir, index_dir)
    build(data_dir, index_dir)
    assert (photos / "cat.jpg").read_bytes() == b"\xff\xd8 a cat"
    made = [p for p in index_dir.iterdir() if layout.is_generation(p)]
    assert current_generation(index_dir) in made and len(made) == 2 and photos not in made


def test_a_file_written_moments_before_it_was_read_is_checked_by_content_next_time(tmp_path, monkeypatch):
    path = tmp_path / "a.txt"
    path.write_text("报告", encoding="utf-8")
    st, digest = versions.hash_file(path)
    assert versions.signature(st, digest) == [st.st_size, st.st_mtime_ns, None, digest]
    monkeypatch.setattr(versions.time, "time_ns", lambda: st.st_ctime_ns + versions.RACY_NS + 1)
    assert versions.signature(st, digest) == [st.st_size, st.st_mtime_ns, st.st_ctime_ns, digest]
    assert versions.signature(st, digest, steady=False)[2] is None


def test_a_file_recorded_for_a_content_check_is_compared_by_the_next_update(data_dir, tmp_path):
    """A write in the clock tick of the read can keep every time: the record says to compare contents."""
    index_dir = tmp_path / "index"
    build(data_dir, index_dir)
    write_version(data_dir, NEW)
    st = (data_dir / TARGET).stat()
    record_stat(index_dir, [st.st_size, st.st_mtime_ns, None])
    assert update(data_dir, index_dir).replaced == 1
    assert found(index_dir, NEW) == [TARGET.removesuffix(".txt")]
