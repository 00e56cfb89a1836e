"""Damaged index files are detected, never served as answers.

Every file of a built generation, and of an updated one of several segments, is damaged every
way in turn. Each time `verify` names the file; opening and searching either fail with
IndexNotFound or answer exactly as the undamaged index does; the site answers 503 with the
"index unreadable" page (JSON for the API) or exactly its undamaged answer, never a 500.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from indexer.cli import main
from indexer.engine import integrity, layout
from indexer.engine.build import build
from indexer.engine.grams import gram_keys
from indexer.engine.query import parse_query
from indexer.engine.search import IndexNotFound, ReportIndex
from indexer.engine.update import update
from indexer.text.normalize import normalize
from search_app import create_app
from tests.conftest import REPORTS, SEED_FILES, USERDICT

#: (query, whole words): the issue's query, a common word, a phrase, and the same through Whoosh and word postings.
QUERIES = [
    ("政机关规范性文件", False),
    ("法治", False),
    ("法律明白人", False),
    ("法治", True),
    ("法律明白人", True),
]
#: Site pages and API answers that read every kind of file (matching, hits, reports, similar, trends, exports).
URLS = [
    "/search?q=法治",
    "/search?q=政机关规范性文件",
    "/api/search?q=法律明白人&whole=1",
    "/api/reports",
    "/reports/{report}",
    "/api/similar/{report}/3",
    "/reports/{report}/reuse",
    "/trends?q=法治",
    "/concordance?q=法治",
    "/api/keyterms?report={report}",
    "/export.csv?q=法治",
    "/export.json?q=法律",
]


def _flip(at):
    def damage(path: Path) -> bool:
        data = bytearray(path.read_bytes())
        if not data:
            return False
        start = max(0, min(int(len(data) * at), len(data) - 4))
        for i in range(start, min(start + 4, len(data))):
            data[i] ^= 0xFF
        path.write_bytes(bytes(data))
        return True

    return damage


def _truncate(path: Path) -> bool:
    size = path.stat().st_size
    os.truncate(path, size // 2)
    return size > 0


def _empty(path: Path) -> bool:
    size = path.stat().st_size
    path.write_bytes(b"")
    return size > 0


def _delete(path: Path) -> bool:
    path.unlink()
    return True


def _append(path: Path) -> bool:
    with open(path, "ab") as fh:
        fh.write(b"\x00garbage\xff" * 3)
    return True


#: Each way to damage a file: it returns False when it left the file as it was (flipping an empty file).
WAYS = {
    "flip-start": _flip(0.0),
    "flip-middle": _flip(0.5),
    "flip-end": _flip(1.0),
    "truncate": _truncate,
    "empty": _empty,
    "delete": _delete,
    "append": _append,
    "replace": None,  # with another generation's file of the same name, or of the same kind
}


def _kind(rel: str) -> str:
    """A file's kind: its name in a segment folder, its extension in the Whoosh folder."""
    name = rel.rsplit("/", 1)[-1]
    if rel.startswith(layout.WHOOSH + "/"):
        return "whoosh:" + (name.split(".", 1)[1] if "." in name else name)
    return name


def _replace(path: Path, rel: str, other: Path) -> bool:
    """Put another generation's file of the same name (else of the same kind) in place of path."""
    same = other / rel
    candidates = [same] if same.is_file() else []
    candidates += sorted(
        p for p in other.rglob("*") if p.is_file() and _kind(p.relative_to(other).as_posix()) == _kind(rel)
    )
    if not candidates:
        return False
    original = path.read_bytes()
    source = next((c for c in candidates if c.read_bytes() != original), candidates[0])
    shutil.copyfile(source, path)
    return source.read_bytes() != original


def _files(generation: Path) -> list[str]:
    return sorted(p.relative_to(generation).as_posix() for p in generation.rglob("*") if p.is_file())


def _answers(index: ReportIndex) -> list:
    """Every hit (id, report, paragraph, text) of each query, and the similar lists of a few paragraphs."""
    out = []
    for text, whole in QUERIES:
        result = index.search(parse_query(text, whole_words=whole), limit=None, facets=True)
        out.append((result.total, [(h.pid, h.report_id, h.paragraph, h.text) for h in result.hits], result.facets))
    out.append([index.similar.listed(pid).tolist() for pid in range(0, len(index), 7)])
    out.append([r["report_id"] for r in index.reports])
    return out


def _outcome(index_dir: Path) -> list | str:
    """The answers of the index at index_dir, before and after warming, or "unreadable"."""
    try:
        index = ReportIndex.open(index_dir, warm=False)
        cold = _answers(index)
        index.warm()
        index.grams.clear_cache()
        return [cold, _answers(index)]
    except IndexNotFound as exc:
        assert "rebuild" in str(exc)
        return "unreadable"


def _site(index_dir: Path, report: str, urls: list[str]) -> dict[str, tuple[int, bytes]]:
    client = create_app({"INDEX_DIR": index_dir, "TESTING": True}).test_client()
    answers = {}
    for url in urls:
        url = url.format(report=report)
        response = client.get(url)
        answers[url] = (response.status_code, response.get_data())
    return answers


def _updated(data_dir: Path, index_dir: Path) -> None:
    """The five reports built, then a copy of one under a new name with a small edit added by an update."""
    build(data_dir, index_dir)
    text = (data_dir / SEED_FILES[1]).read_text(encoding="utf-8")
    (data_dir / "005_copy.txt").write_text(
        text.replace("法治", "法制", 3) + "\n全面推行法律明白人制度。\n", encoding="utf-8"
    )
    summary = update(data_dir, index_dir)
    assert not summary.full and summary.added == 1


@pytest.fixture(scope="module")
def layouts(tmp_path_factory) -> dict[str, Path]:
    """Index folders: "built" (one segment) and "updated" (two segments, one report deleted)."""
    root = tmp_path_factory.mktemp("integrity")
    data = root / "reports"
    data.mkdir()
    for name in SEED_FILES + [USERDICT.name]:
        shutil.copy(REPORTS / name, data / name)
    build(data, root / "built")
    (data / SEED_FILES[3]).write_text(
        (data / SEED_FILES[3]).read_text(encoding="utf-8") + "\n依法行政示范乡镇。\n", encoding="utf-8"
    )
    _updated(data, root / "updated")
    return {"built": root / "built", "updated": root / "updated"}


@pytest.fixture(scope="module")
def pristine(layouts) -> dict[str, tuple]:
    """Each layout's undamaged answers, through the engine and through the site."""
    out = {}
    for name, index_dir in layouts.items():
        report = ReportIndex.open(index_dir, warm=False).reports[0]["report_id"]
        answers = _outcome(index_dir)
        assert answers != "unreadable" and answers[0] == answers[1]
        site = _site(index_dir, report, URLS)
        assert all(status == 200 for status, _ in site.values()), {u: s for u, (s, _) in site.items()}
        out[name] = (answers, site, report)
    return out


def test_the_layouts_hold_every_kind_of_file(layouts):
    updated = layout.current_generation(layouts["updated"])
    meta = layout.read_meta(updated)
    assert [s.dir for s in meta.segments] == [".", "delta-1"]
    files = _files(updated)
    assert set(meta.checksums) | {layout.META} == set(files)
    for name in (layout.REPORTS, layout.COLUMNS, layout.TEXTS, "grams.keys.npy", "words.vocab.json", layout.SEGMENT):
        assert {name, f"delta-1/{name}"} <= set(files)
    assert any(f.endswith(".pst") for f in files) and any(f.endswith("._stored.col") for f in files)


def test_a_sound_index_verifies(layouts, capsys):
    for index_dir in layouts.values():
        assert main(["verify", "--index", str(index_dir)]) == 0
        out = capsys.readouterr().out
        assert out.startswith("index sound:") and len(out.splitlines()) == 1


def test_verify_without_an_index_exits_2(tmp_path, capsys):
    assert main(["verify", "--index", str(tmp_path / "none")]) == 2
    assert "Build it with: python -m indexer build" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["built", "updated"])
@pytest.mark.parametrize("way", list(WAYS))
def test_every_file_damaged_every_way_is_detected_and_never_answers_wrongly(
    name, way, layouts, pristine, tmp_path, capsys
):
    answers, site, report = pristine[name]
    other = layout.current_generation(layouts["updated" if name == "built" else "built"])
    wrong = []
    files = _files(layout.current_generation(layouts[name]))
    for rel in files:
        index_dir = tmp_path / rel.replace("/", "_")
        shutil.copytree(layouts[name], index_dir)
        generation = layout.current_generation(index_dir)
        path = generation / rel
        changed = _replace(path, rel, other) if way == "replace" else WAYS[way](path)

        code = main(["verify", "--index", str(index_dir)])
        lines = capsys.readouterr().out.splitlines()
        if changed:
            if code != 1 or not any(line.startswith(f"{rel}: ") for line in lines[:-1]):
                wrong.append((rel, "verify", code, lines))
            if not lines[-1].startswith("index damaged:") or "python -m indexer build" not in lines[-1]:
                wrong.append((rel, "summary", lines[-1]))
        elif code != 0:
            wrong.append((rel, "verify of an unchanged file", code, lines))

        outcome = _outcome(index_dir)
        if outcome != "unreadable" and outcome != [answers[0], answers[0]]:
            wrong.append((rel, "wrong answers"))
        for url, (status, body) in _site(index_dir, report, URLS).items():
            if status == 503:
                unreadable = (
                    b"The index is missing or cannot be read" if "/api/" in url else "索引不存在或无法读取".encode()
                )
                if unreadable not in body or b"python -m indexer build" not in body and b"make index" not in body:
                    wrong.append((rel, url, "503 without the unreadable page"))
            elif (status, body) != site[url]:
                wrong.append((rel, url, status, "differs from the undamaged answer"))
        shutil.rmtree(index_dir)
    assert not wrong, wrong


def test_flipped_bytes_in_a_gram_key_do_not_lose_matches(index_dir, tmp_path):
    """The issue: four flipped bytes in grams.keys.npy made 政机关规范性文件 match nothing, with exit 0."""
    damaged = tmp_path / "index"
    shutil.copytree(index_dir, damaged)
    path = layout.current_generation(damaged) / "grams.keys.npy"
    keys = np.load(path)
    key = gram_keys(normalize("政机关规范性文件"))[3]
    at = int(np.searchsorted(keys, key))
    assert keys[at] == key
    data = bytearray(path.read_bytes())
    start = len(data) - keys.nbytes + at * keys.itemsize  # the key's bytes in the .npy file
    data[start : start + 4] = bytes(b ^ 0xFF for b in data[start : start + 4])
    path.write_bytes(bytes(data))
    expected = ReportIndex.open(index_dir, warm=False).search(parse_query("政机关规范性文件")).total
    assert expected > 0
    with pytest.raises(IndexNotFound, match="damaged: .*grams.keys.npy"):
        ReportIndex.open(damaged, warm=False).search(parse_query("政机关规范性文件"))
    assert main(["search", "政机关规范性文件", "--index", str(damaged)]) == 2


@pytest.mark.parametrize("pattern", ["texts", "grams.postings", "whoosh/*._stored.col"])
def test_a_file_read_lazily_is_checked_when_first_read_after_open(pattern, index_dir, tmp_path):
    """Blocks and Whoosh's files are checked piece by piece as queries read them: opening stays
    cheap, and the request that reads the damaged piece gets the 503 page (JSON under /api/)."""
    damaged = tmp_path / "index"
    shutil.copytree(index_dir, damaged)
    path = next(layout.current_generation(damaged).glob(pattern))
    _flip(0.5)(path)
    index = ReportIndex.open(damaged, warm=False)  # sizes are right: opening does not read it
    with pytest.raises(IndexNotFound, match=f"damaged: .*{path.name}"):
        for text, whole in QUERIES:
            reading = {"q": text, "whole": int(whole)}
            index.search(parse_query(text, whole_words=whole), limit=None)
    # the query that read the damaged piece, paged through on the site: the page that reads it is a 503
    client = create_app({"INDEX_DIR": damaged, "TESTING": True}).test_client()
    for number in range(1, 100):
        response = client.get("/api/search", query_string={**reading, "per_page": 100, "page": number})
        if response.status_code != 200 or not response.get_json()["hits"]:
            break
    assert response.status_code == 503
    assert response.get_json()["error"].startswith("The index is missing or cannot be read. Build it with:")
    page = client.get("/search", query_string={**reading, "per_page": 100, "page": number})
    assert page.status_code == 503 and "索引不存在或无法读取" in page.get_data(as_text=True)


def test_an_update_checksums_only_the_files_it_writes(data_dir, tmp_path, monkeypatch):
    """Files shared with the previous generation by hard link keep their recorded sums (an update at
    1M paragraphs stays about a second); the new segment, Whoosh's new files and meta.json are summed."""
    build(data_dir, tmp_path / "index")
    before = layout.read_meta(layout.current_generation(tmp_path / "index")).checksums
    summed = []
    real = integrity.file_sums
    monkeypatch.setattr(integrity, "file_sums", lambda path, chunked=False: summed.append(path) or real(path, chunked))
    text = (data_dir / SEED_FILES[1]).read_text(encoding="utf-8")
    (data_dir / "005_copy.txt").write_text(text + "\n全面推行法律明白人制度。\n", encoding="utf-8")
    update(data_dir, tmp_path / "index")
    generation = layout.current_generation(tmp_path / "index")
    rels = {p.relative_to(generation).as_posix() for p in summed}
    assert rels and all(rel.startswith(("delta-1/", "whoosh/")) or rel == layout.GENERATION_MARK for rel in rels)
    rewritten = {rel for rel in before if rel.startswith("whoosh/_MAIN")} | {layout.GENERATION_MARK}
    assert not rels & set(before) - rewritten
    assert main(["verify", "--index", str(tmp_path / "index")]) == 0


@pytest.mark.parametrize("damage", ["flipped", "missing"])
def test_a_damaged_download_copy_is_found_by_verify_and_never_served(layouts, tmp_path, capsys, damage):
    """The copies of the report files (sources/) are checked against the content hash of the version
    indexed: `verify` names a bad one, and its download is a 503 that says so, never other bytes."""
    index_dir = tmp_path / "index"
    shutil.copytree(layouts["built"], index_dir)
    index = ReportIndex.open(index_dir, warm=False)
    report = index.reports[1]
    copy = index.source_path(report)
    client = create_app({"INDEX_DIR": index_dir}).test_client()
    sound = client.get(f"/reports/{report['report_id']}/source")
    assert sound.status_code == 200 and sound.data == copy.read_bytes()
    if damage == "flipped":
        data = bytearray(copy.read_bytes())
        data[len(data) // 2] ^= 0x01
        copy.write_bytes(bytes(data))
    else:
        copy.unlink()
    assert main(["verify", "--index", str(index_dir)]) == 1
    out = capsys.readouterr().out
    where = copy.relative_to(index_dir).as_posix()
    problem = "damaged (not the bytes indexed)" if damage == "flipped" else "missing"
    assert f"{where} (the copy of {report['source']}): {problem}" in out.splitlines()
    response = client.get(f"/reports/{report['report_id']}/source")
    expected = (503, "原文件的存档副本已损坏") if damage == "flipped" else (404, "")
    assert response.status_code == expected[0] and expected[1] in response.get_data(as_text=True)
