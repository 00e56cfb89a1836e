"""Incremental updates: any sequence of adds, changes and removes searches like a full build of the final folder."""

import json
import os
import random
import shutil

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh.qparser import QueryParser

from indexer.cli import main
from indexer.documents import versions
from indexer.engine import layout
from indexer.engine import update as update_module
from indexer.engine.build import build
from indexer.engine.layout import current_generation
from indexer.engine.query import parse_query
from indexer.engine.search import Filters, ReportIndex
from indexer.engine.update import update
from indexer.text.normalize import normalize
from tests.conftest import REPORTS, SEED_FILES

SWAPS = [("法治", "法制"), ("调解", "协调"), ("宣传", "宣讲"), ("政府", "政务"), ("。", "；"), ("建设", "建立")]


def touch_later(path):
    """A new modification time even when the file is rewritten within the clock's resolution."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


def variant(rng: random.Random, text: str) -> str:
    """A seed report with a few words swapped and a paragraph added: another township's wording."""
    for old, new in rng.sample(SWAPS, 2):
        text = text.replace(old, new, rng.randint(1, 6))
    lines = text.splitlines()
    extra = rng.choice([l for l in lines if len(l) > 30])
    lines.insert(
        rng.randrange(3, len(lines)), extra[::-1] if rng.random() < 0.3 else extra + "全面推行法律明白人制度。"
    )
    return "\n".join(lines) + "\n"


def step(rng: random.Random, folder, n: int, kind: str) -> None:
    files = sorted(p for p in folder.iterdir() if p.suffix == ".txt" and p.name != "userdict.txt")
    if kind == "add":
        source = rng.choice(files)
        (folder / f"{n:03d}_extra_{rng.randrange(10**6)}.txt").write_text(
            variant(rng, source.read_text(encoding="utf-8")), encoding="utf-8"
        )
    elif kind == "change":
        target = rng.choice(files)
        target.write_text(variant(rng, target.read_text(encoding="utf-8")), encoding="utf-8")
        touch_later(target)
    else:
        rng.choice(files).unlink()


def queries(rng: random.Random, index: ReportIndex) -> list[str]:
    texts = index.grams.texts.many(index.match(None))
    out = ["法治", "法律明白人", "调解 OR 宣传", "政府 -法治", "法制", "。"]
    for _ in range(12):
        text = rng.choice(texts)
        start = rng.randrange(max(1, len(text) - 6))
        out.append(text[start : start + rng.randint(1, 6)])
    return out


def answers(index: ReportIndex, q: str, whole: bool) -> tuple:
    """Everything a search shows, by report and paragraph (ids differ between layouts)."""
    query = parse_query(q, whole)
    result = index.search(query, limit=None)
    hits = sorted(
        (h.report_id, h.paragraph, h.text, h.township, h.year, h.section, round(h.score, 9)) for h in result.hits
    )
    return result.total, hits, result.facets


def same_index(a: ReportIndex, b: ReportIndex, rng: random.Random) -> None:
    key = lambda r: r["report_id"]  # noqa: E731
    strip = lambda r: {k: v for k, v in r.items() if k != "first_pid"}  # noqa: E731
    assert [strip(r) for r in sorted(a.reports, key=key)] == [strip(r) for r in sorted(b.reports, key=key)]
    assert a.values == b.values
    for q in queries(rng, b):
        for whole in (False, True):
            assert answers(a, q, whole) == answers(b, q, whole), (q, whole)
    browse_a = a.search(None, Filters(townships=(a.townships[0],)), limit=None)
    browse_b = b.search(None, Filters(townships=(b.townships[0],)), limit=None)
    assert sorted((h.report_id, h.paragraph) for h in browse_a.hits) == sorted(
        (h.report_id, h.paragraph) for h in browse_b.hits
    )
    assert browse_a.facets == browse_b.facets
    # plain Whoosh agrees too: deleted paragraphs are deleted there
    for index in (a, b):
        assert index.ix.doc_count() == len(index.match(None))
    word_a, word_b = (sorted(_whoosh_hits(x, "法治")) for x in (a, b))
    assert word_a == word_b


def _whoosh_hits(index: ReportIndex, word: str):
    ix = whoosh_index.open_dir(str(index.generation / layout.WHOOSH))
    with ix.searcher() as searcher:
        for docnum in searcher.docs_for_query(QueryParser("words", ix.schema).parse(word)):
            stored = searcher.stored_fields(docnum)
            yield stored["report_id"], stored["paragraph"]


@pytest.fixture()
def folder(tmp_path):
    target = tmp_path / "reports"
    shutil.copytree(REPORTS, target)
    return target


@pytest.mark.parametrize("seed", range(3))
def test_any_sequence_of_changes_searches_like_a_full_build(folder, tmp_path, seed, monkeypatch):
    monkeypatch.setattr(update_module, "MAX_SEGMENTS", 100)  # keep every update incremental
    monkeypatch.setattr(update_module, "MERGE_SHARE", 100.0)
    rng = random.Random(seed)
    index_dir = tmp_path / "index"
    build(folder, index_dir)
    kinds = ["add", "add", "change", "remove", "change", "remove", "add"]
    rng.shuffle(kinds)
    for n, kind in enumerate(kinds):
        step(rng, folder, n, kind)
        summary = update(folder, index_dir)
        assert not summary.full
        fresh = tmp_path / f"full-{n}"
        build(folder, fresh)
        same_index(ReportIndex.open(index_dir), ReportIndex.open(fresh), rng)
    meta = json.loads((current_generation(index_dir) / layout.META).read_text(encoding="utf-8"))
    assert len(meta["segments"]) > 1 and meta["deleted_reports"]


def test_an_update_reads_only_the_changed_files(folder, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    build(folder, index_dir)
    (folder / SEED_FILES[0]).write_text(
        (folder / SEED_FILES[0]).read_text(encoding="utf-8") + "补充一段。\n", encoding="utf-8"
    )
    touch_later(folder / SEED_FILES[0])
    read = []
    original = update_module.read_reports
    monkeypatch.setattr(
        update_module, "read_reports", lambda *a, **k: read.extend(sorted(k["only"])) or original(*a, **k)
    )
    summary = update(folder, index_dir)
    assert read == [SEED_FILES[0]] and summary.replaced == 1 and not summary.full
    hits = ReportIndex.open(index_dir).search(parse_query("补充一段")).hits
    assert [h.report_id for h in hits] == [SEED_FILES[0].removesuffix(".txt")]


def test_nothing_changed_is_no_new_generation(folder, tmp_path):
    index_dir = tmp_path / "index"
    build(folder, index_dir)
    before = current_generation(index_dir)
    summary = update(folder, index_dir)
    assert current_generation(index_dir) == before and summary.line() == "index up to date; nothing to do"


def test_a_changed_manifest_or_user_dictionary_builds_afresh(folder, tmp_path):
    index_dir = tmp_path / "index"
    build(folder, index_dir)
    with open(folder / "userdict.txt", "a", encoding="utf-8") as f:
        f.write("执法治理\n")
    summary = update(folder, index_dir)
    assert summary.full
    meta = json.loads((current_generation(index_dir) / layout.META).read_text(encoding="utf-8"))
    assert [s["dir"] for s in meta["segments"]] == ["."]


def test_the_previous_generation_keeps_serving_its_own_files(folder, tmp_path):
    index_dir = tmp_path / "index"
    build(folder, index_dir)
    old = ReportIndex.open(index_dir)
    report = next(r for r in old.reports if r["source"] == SEED_FILES[1])
    old_copy = old.source_path(report).read_bytes()
    before = answers(old, "法治", False)
    target = folder / SEED_FILES[1]
    target.write_text(target.read_text(encoding="utf-8").replace("法治", "法制"), encoding="utf-8")
    touch_later(target)
    update(folder, index_dir)
    assert current_generation(index_dir) != old.generation
    assert ReportIndex(old.generation).source_path(report).read_bytes() == old_copy
    assert answers(ReportIndex(old.generation), "法治", False) == before
    new = ReportIndex.open(index_dir)
    assert new.source_path(next(r for r in new.reports if r["source"] == SEED_FILES[1])).read_text(
        encoding="utf-8"
    ) == target.read_text(encoding="utf-8")
    assert answers(new, "法治", False)[0] < before[0]


def test_a_failed_update_leaves_the_index_as_it_was(folder, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    build(folder, index_dir)
    before = current_generation(index_dir)
    (folder / "new.txt").write_text((folder / SEED_FILES[2]).read_text(encoding="utf-8"), encoding="utf-8")

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(update_module, "write_segment", fail)
    with pytest.raises(Exception, match="No space left on device; the previous index is unchanged"):
        update(folder, index_dir)
    assert current_generation(index_dir) == before
    assert sorted(p.name for p in index_dir.glob("gen-*")) == [before.name]


def test_cli_update_then_merge(folder, tmp_path, capsys):
    index_dir = tmp_path / "index"
    assert main(["build", "--data", str(folder), "--index", str(index_dir)]) == 0
    capsys.readouterr()
    for n in range(3):
        (folder / f"extra{n}.txt").write_text(
            variant(random.Random(n), (folder / SEED_FILES[n]).read_text(encoding="utf-8")), encoding="utf-8"
        )
    assert main(["update", "--data", str(folder), "--index", str(index_dir)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("updated: 3 added, 0 replaced, 0 removed")
    # three new reports on top of five are more than a quarter of the paragraphs: merged at once
    assert "merging the index segments with a full build" in err
    meta = json.loads((current_generation(index_dir) / layout.META).read_text(encoding="utf-8"))
    assert [s["dir"] for s in meta["segments"]] == ["."] and len(ReportIndex.open(index_dir).reports) == 8
    assert normalize("法治") in normalize(" ".join(ReportIndex.open(index_dir).grams.texts.many([0, 1, 2])))


def test_a_build_in_several_segments_searches_like_a_build_in_one(folder, tmp_path, monkeypatch):
    from indexer.engine import build as build_module

    build(folder, tmp_path / "one")
    monkeypatch.setattr(build_module, "SEGMENT_PARAGRAPHS", 30)
    build(folder, tmp_path / "many")
    meta = json.loads((current_generation(tmp_path / "many") / layout.META).read_text(encoding="utf-8"))
    dirs = [s["dir"] for s in meta["segments"]]
    assert len(dirs) >= 3 and dirs == ["."] + [f"seg-{n}" for n in range(2, len(dirs) + 1)]
    assert all(s["paragraphs"] >= 30 for s in meta["segments"][:-1])
    same_index(ReportIndex.open(tmp_path / "many"), ReportIndex.open(tmp_path / "one"), random.Random(7))


@pytest.mark.parametrize("ids", [[0, 3, 5, 6, 11, 12, 19], [12, 0, 19, 6, 3, 5]], ids=["sorted", "unsorted"])
def test_ids_are_split_by_the_segment_that_holds_them(ids):
    from indexer.engine.segments import split

    bases = np.array([0, 5, 5, 12, 20])  # the second segment is empty
    ids = np.array(ids, np.int32)
    got = {k: (np.arange(len(ids))[at].tolist(), local.tolist()) for k, at, local in split(ids, bases)}
    expected: dict = {}
    for i, pid in enumerate(ids.tolist()):
        k = next(k for k in range(len(bases) - 1) if bases[k] <= pid < bases[k + 1])
        expected.setdefault(k, ([], []))
        expected[k][0].append(i)
        expected[k][1].append(pid - int(bases[k]))
    assert got == expected


def test_stored_sources_are_shared_and_those_no_generation_uses_are_removed(folder, tmp_path):
    index_dir = tmp_path / "index"
    build(folder, index_dir)
    store = index_dir / layout.SOURCES
    first = sorted(p.relative_to(store) for p in store.rglob("*") if p.is_file())
    assert len(first) == len(SEED_FILES)
    target = folder / SEED_FILES[3]
    for n in range(3):  # three versions of one file: the store keeps those of the two kept generations
        target.write_text(target.read_text(encoding="utf-8") + f"第{n}次补充。\n", encoding="utf-8")
        touch_later(target)
        update(folder, index_dir)
        stored = sorted(p.relative_to(store) for p in store.rglob("*") if p.is_file())
        assert len(stored) == len(SEED_FILES) + 1
    kept = sorted(p.name for p in index_dir.glob("gen-*"))
    assert len(kept) == 2
    for name in kept:
        index = ReportIndex(index_dir / name)
        assert all(index.source_path(r) is not None for r in index.reports)


def similar_lists(index: ReportIndex) -> dict:
    """Every paragraph's similar paragraphs, as (file, paragraph number) with their similarity, in order."""
    from indexer.research.similar import similar_paragraphs

    out = {}
    for report in index.reports:
        for n in range(report["paragraphs"]):
            matches = similar_paragraphs(index, report["first_pid"] + n)
            place = (report["source"], n + 1)
            out[place] = [(index.report(m.report_id)["source"], m.paragraph, round(m.similarity, 9)) for m in matches]
    return out


def test_a_build_in_several_segments_lists_the_similar_paragraphs_one_segment_lists(folder, tmp_path, monkeypatch):
    from indexer.engine import build as build_module
    from search_app import create_app
    from tests.conftest import copied_report

    seeds = sorted(folder.glob("*.txt"))
    (folder / "zz-copied.txt").write_text(copied_report(seeds[-1], seeds[0], seeds[1]), encoding="utf-8")
    build(folder, tmp_path / "one")
    monkeypatch.setattr(build_module, "SEGMENT_PARAGRAPHS", 30)
    build(folder, tmp_path / "many")
    one, many = ReportIndex.open(tmp_path / "one"), ReportIndex.open(tmp_path / "many")
    assert len(one.meta.segments) == 1 and len(many.meta.segments) > 2
    expected = similar_lists(one)
    assert sum(map(len, expected.values())) >= 8  # the copied paragraphs, both ways
    assert similar_lists(many) == expected
    report = many.reports[-1]
    body = (
        create_app({"INDEX_DIR": tmp_path / "many", "TESTING": True})
        .test_client()
        .get(f"/api/similar/{report['report_id']}/2")
        .get_json()
    )
    assert "within" not in body


def test_a_skipped_file_is_read_again_only_once_it_changes(folder, tmp_path, monkeypatch):
    monkeypatch.setattr(versions, "RACY_NS", 0)  # the files here were written a moment ago
    index_dir = tmp_path / "index"
    (folder / "bad.txt").write_bytes(b"")
    first = build(folder, index_dir)
    reason = dict(first.skipped)["bad.txt"]
    before = current_generation(index_dir)
    read = []
    original = update_module.read_reports
    monkeypatch.setattr(
        update_module, "read_reports", lambda *a, **k: read.extend(sorted(k["only"])) or original(*a, **k)
    )
    again = update(folder, index_dir)  # unchanged: not read, no new generation, still said
    assert read == [] and again.added == 0 and current_generation(index_dir) == before
    assert again.skipped == [("bad.txt", reason)] and again.line() == "index up to date; nothing to do"
    (folder / "bad.txt").write_text("   \n", encoding="utf-8")  # changed, and still bad
    touch_later(folder / "bad.txt")
    changed = update(folder, index_dir)
    assert read == ["bad.txt"] and changed.skipped and changed.reports == 0
    assert update(folder, index_dir).skipped and read == ["bad.txt"]  # the new version is remembered too
    good = (folder / SEED_FILES[1]).read_text(encoding="utf-8").replace("法治", "法制")
    (folder / "bad.txt").write_text(good, encoding="utf-8")
    touch_later(folder / "bad.txt")
    mended = update(folder, index_dir)
    assert read == ["bad.txt", "bad.txt"] and mended.skipped == [] and mended.added == 1
    assert "bad.txt" in {r["source"] for r in ReportIndex.open(index_dir).reports}
