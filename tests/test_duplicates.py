"""Duplicate reports (engine/duplicates.py): one place's report of one year saved twice is one report in
every count, its copy says which report it duplicates, and near copies of another year or place are
not duplicates. Every index test runs on a fresh build and on an updated index (duplicates_dir)."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from werkzeug.datastructures import MultiDict

from indexer.documents.levels import UNSETTLED
from indexer.documents.report import ReportMeta, parse_report
from indexer.engine import layout
from indexer.engine.build import build
from indexer.engine.duplicates import SAME_SHARE, find_duplicates, report_fingerprint, same_share, write_fingerprints
from indexer.engine.filters import Filters
from indexer.engine.query import parse_query
from indexer.engine.search import ReportIndex
from indexer.engine.update import update
from indexer.research.concordance import concordance
from indexer.research.keyterms import key_terms
from indexer.research.reuse import corpus_reuse
from indexer.research.trends import trends
from tests.conftest import (
    DUPLICATE_COPY,
    DUPLICATE_PAGE,
    SEED_FILES,
    brute_force,
    live_texts,
    near_copies,
    report_path,
    write_duplicates,
)

ORIGINAL = SEED_FILES[0]  # 东和乡's 2023 report as plain text
QUERIES = ["法治", "执法", "东和乡"]
WITH_COPIES = Filters(duplicates=True)


def by_source(index: ReportIndex) -> dict[str, dict]:
    return {r["source"]: r for r in index.reports}


def copy_paragraphs(index: ReportIndex) -> set[int]:
    """Ids of the paragraphs of every report marked a duplicate."""
    return {
        pid
        for r in index.reports
        if r["duplicate_of"]
        for pid in range(r["first_pid"], r["first_pid"] + r["paragraphs"])
    }


def marks(index: ReportIndex) -> dict[str, str]:
    """{copy's file: its original's file}."""
    sources = {r["report_id"]: r["source"] for r in index.reports}
    return {r["source"]: sources[r["duplicate_of"]] for r in index.reports if r["duplicate_of"]}


# -- which reports are duplicates -----------------------------------------------------------------


def test_the_saved_web_page_is_marked_a_duplicate_of_the_text_file(duplicates_index):
    reports = by_source(duplicates_index)
    copy, original = reports[DUPLICATE_COPY], reports[ORIGINAL]
    assert copy["duplicate_of"] == original["report_id"]
    assert original["copies"] == [copy["report_id"]] and original["duplicate_of"] is None
    assert marks(duplicates_index) == {DUPLICATE_COPY: ORIGINAL}


@pytest.mark.parametrize("name", list(near_copies()))
def test_a_near_copy_of_another_year_or_place_is_not_a_duplicate(duplicates_dir, duplicates_index, name):
    data = duplicates_dir[0]
    near, original = parse_report(data / name), parse_report(data / ORIGINAL)
    # the text alone would make it one: only the year or the place tells them apart
    assert same_share(report_fingerprint(near), report_fingerprint(original)) >= SAME_SHARE
    assert (near.year, near.township_code) != (original.year, original.township_code)
    assert by_source(duplicates_index)[name]["duplicate_of"] is None


def test_the_build_says_so_in_one_line_per_duplicate(duplicates_dir):
    summary = duplicates_dir[2]
    assert summary.duplicates == [(DUPLICATE_COPY, f"same report as {ORIGINAL} (counted once)")]
    assert not summary.skipped


def test_the_command_line_prints_the_line_and_exits_0(cli, tmp_path):
    data = tmp_path / "reports"
    data.mkdir()
    write_duplicates(data)
    status, out, err = cli("build", "--data", data, "--index", tmp_path / "index")
    assert status == 0, err
    lines = [line for line in err.splitlines() if line.startswith("duplicate:")]
    assert lines == [f"duplicate: {DUPLICATE_COPY}: same report as {ORIGINAL} (counted once)"]
    assert "indexed 8 reports" in out and "skipped 0" in out
    status, out, _ = cli("reports", "--json", "--index", tmp_path / "index")
    listed = {row["source"]: row for row in map(json.loads, out.splitlines())}
    assert listed[DUPLICATE_COPY]["duplicate_of"] == listed[ORIGINAL]["report_id"]
    assert [s for s, row in listed.items() if row["duplicate_of"]] == [DUPLICATE_COPY]
    _, out, _ = cli("reports", "--check", "--index", tmp_path / "index")
    assert f"  {DUPLICATE_COPY}: same report as {ORIGINAL}\n" in out


def records(tmp_path: Path, changes: dict[str, dict]) -> list[tuple[str, dict]]:
    """The seed report 000 written under each name of changes, parsed, changed ({field: value}), and
    its fingerprint written as one segment: (segment folder, record) for find_duplicates."""
    reports = []
    for name, change in changes.items():
        path = tmp_path / "files" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DUPLICATE_PAGE if name.endswith(".html") else report_path("000"), path)
        report = parse_report(path, source=name)
        report.report_id = f"r{len(reports)}"
        for key, value in change.items():
            setattr(report, key, value)
        reports.append(report)
    write_fingerprints(tmp_path, reports)
    return [(".", ReportMeta.of(r).to_json() | {"year": r.year}) for r in reports]


UNSETTLE = {"level": UNSETTLED, "township": None, "township_code": None, "code": None}


@pytest.mark.parametrize(
    "changes, expected",
    [
        # the text-native copy is the original, whatever the paths
        ({"a/page.html": {}, "z/report.txt": {}}, {"r0": ["r1", False]}),
        # of two of one format, the first path
        ({"b.txt": {}, "a.txt": {}}, {"r0": ["r1", False]}),
        # an unsettled place: same year and text make it one, and the line says the place was unsettled
        ({"a.txt": {}, "b.txt": UNSETTLE}, {"r1": ["r0", True]}),
        # an unsettled place that names another township is another place
        ({"a.txt": {}, "b.txt": UNSETTLE | {"township": "荫城镇"}}, {}),
        # another year, another township, another level: never
        ({"a.txt": {}, "b.txt": {"year": 2024}}, {}),
        ({"a.txt": {}, "b.txt": {"township_code": "140404102", "township": "荫城镇"}}, {}),
        ({"a.txt": {}, "b.txt": {"level": "县级"}}, {}),
        # a county's report, its place unsettled, that repeats its township's: another level
        ({"a.txt": {}, "b.txt": UNSETTLE | {"level": "县级"}}, {}),
        # no year: never
        ({"a.txt": {"year": None}, "b.txt": {"year": None}}, {}),
        # three copies: both later ones are copies of the first
        ({"a.txt": {}, "b.html": {}, "c.txt": {}}, {"r1": ["r0", False], "r2": ["r0", False]}),
    ],
)
def test_the_rule(tmp_path, changes, expected):
    assert find_duplicates(tmp_path, records(tmp_path, changes)) == expected


# -- hits keep every paragraph; counts count the copy once -----------------------------------------


@pytest.mark.parametrize("q", QUERIES)
def test_hits_are_every_matching_paragraph_of_both_copies(duplicates_index, q):
    index = duplicates_index
    ids = index.select(parse_query(q))
    assert ids.tolist() == brute_force(live_texts(index), q)
    result = index.search(parse_query(q), limit=None)
    assert result.duplicate_hits == len(copy_paragraphs(index) & set(ids.tolist())) > 0


def facet_counts(index: ReportIndex, q: str, filters: Filters = Filters()) -> dict[str, Counter]:
    facets = index.search(parse_query(q), filters, limit=0).facets
    return {name: Counter({f["value"]: f["count"] for f in facets[name]}) for name in ("township", "year", "section")}


@pytest.mark.parametrize("q", QUERIES)
def test_facets_count_the_copy_once_and_the_switch_counts_it_again(duplicates_index, q):
    index = duplicates_index
    matched = brute_force(live_texts(index), q)
    copies = copy_paragraphs(index)
    once = [pid for pid in matched if pid not in copies]
    for filters, counted in ((Filters(), once), (WITH_COPIES, matched)):
        found = facet_counts(index, q, filters)
        assert found["township"] == Counter(index.townships[index.columns["township"][p]] for p in counted)
        assert found["year"] == Counter(int(index.columns["year"][p]) for p in counted)
    original = by_source(index)[ORIGINAL]
    in_original = [p for p in once if original["first_pid"] <= p < original["first_pid"] + original["paragraphs"]]
    assert len(matched) - len(once) == len(in_original) > 0  # the copy's matches: the original's again


def compare_rows(client, index, **args) -> dict[str, dict]:
    from search_app.params import parse_params
    from search_app.results import comparison

    with client.application.test_request_context():
        data = comparison(index, parse_params(MultiDict({"q": "法治", **args})), 20, 3, 100)
    return {row["value"]: row for row in data["townships"]}


def test_compare_counts_the_copy_once(duplicates_client, duplicates_index):
    index = duplicates_index
    township = by_source(index)[ORIGINAL]["township_code"]
    once, twice = compare_rows(duplicates_client, index), compare_rows(duplicates_client, index, dups="1")
    expected = facet_counts(index, "法治")["township"]
    assert {value: row["paragraphs"] for value, row in once.items()} == dict(expected)
    assert twice[township]["paragraphs"] == 2 * once[township]["paragraphs"] - once_in(index, "法治", "东和乡2024.txt")
    assert (once[township]["reports"], twice[township]["reports"]) == (2, 3)  # its 2023 and 2024 reports


def once_in(index: ReportIndex, q: str, source: str) -> int:
    """Paragraphs of one report matching q."""
    r = by_source(index)[source]
    return sum(r["first_pid"] <= p < r["first_pid"] + r["paragraphs"] for p in brute_force(live_texts(index), q))


def test_trends_count_the_copy_once(duplicates_index):
    index = duplicates_index
    copy = by_source(index)[DUPLICATE_COPY]
    once, twice = trends(index, ["法治"]), trends(index, ["法治"], WITH_COPIES)
    at = once.years.index(2023)
    assert twice.reports_per_year[at] - once.reports_per_year[at] == 1
    assert twice.paragraphs_per_year[at] - once.paragraphs_per_year[at] == copy["paragraphs"]
    assert twice.series[0].cells[at].paragraphs - once.series[0].cells[at].paragraphs == once_in(
        index, "法治", DUPLICATE_COPY
    )
    assert once.reports_per_year[at] == sum(1 for r in index.reports if r["year"] == 2023 and not r["duplicate_of"])


def test_the_concordance_counts_the_copy_once(duplicates_index):
    index = duplicates_index
    query = parse_query("法治")
    once, twice = concordance(index, query), concordance(index, query, WITH_COPIES)
    copies = copy_paragraphs(index)
    matched = brute_force(live_texts(index), "法治")
    assert once.paragraphs == len([p for p in matched if p not in copies])
    assert twice.paragraphs == len(matched)
    assert not copies & set(once.pids.tolist())
    assert sum(c.count for c in twice.collocates) > sum(c.count for c in once.collocates)
    in_copies = int(index.words.lengths[sorted(copies)].sum())  # the corpus collocates are set against
    assert twice.corpus_words - once.corpus_words == in_copies > 0


def test_key_terms_count_the_copy_once(duplicates_index):
    index = duplicates_index
    original = by_source(index)[ORIGINAL]
    chosen = Filters(townships=(original["township_code"],), year_from=2023, year_to=2023)
    once = index.select_counted(None, chosen)
    assert once.tolist() == list(range(original["first_pid"], original["first_pid"] + original["paragraphs"]))
    assert len(index.select_counted(None, Filters(**vars(chosen) | {"duplicates": True}))) == 2 * len(once)
    alone, counted_twice = key_terms(index, once), key_terms(index, once, duplicates=True)
    everywhere = {t.word: t.paragraphs for t in counted_twice}
    assert list(alone) and all(everywhere.get(t.word, t.paragraphs) >= t.paragraphs for t in alone)
    assert any(everywhere.get(t.word, t.paragraphs) > t.paragraphs for t in alone)


def test_reuse_leaves_the_copy_out(duplicates_index):
    index = duplicates_index
    copy = by_source(index)[DUPLICATE_COPY]["report_id"]

    def involved(pairs):
        return {
            (p.earlier["source"], p.later["source"])
            for p in pairs
            if copy in (p.earlier["report_id"], p.later["report_id"])
        }  # noqa: E731

    assert involved(corpus_reuse(index).pairs) == set()
    assert involved(corpus_reuse(index, duplicates=True).pairs)


# -- shown on the site -----------------------------------------------------------------------------


def test_the_copy_names_its_original_and_the_original_its_copies(duplicates_client, duplicates_index):
    reports = by_source(duplicates_index)
    copy, original = reports[DUPLICATE_COPY], reports[ORIGINAL]
    page = duplicates_client.get(f"/reports/{copy['report_id']}").get_data(as_text=True)
    notice = re.search(r'id="duplicate-of">(.*?)</p>', page).group(1)
    assert f'href="/reports/{original["report_id"]}"' in notice and "统计时只计一次" in notice
    page = duplicates_client.get(f"/reports/{original['report_id']}").get_data(as_text=True)
    assert f'href="/reports/{copy["report_id"]}"' in re.search(r'id="copies">(.*?)</p>', page).group(1)
    assert 'id="duplicate-of"' not in page
    listed = {r["source"]: r for r in duplicates_client.get("/api/reports").get_json()["reports"]}
    assert {s: r["duplicate_of"] for s, r in listed.items() if r["duplicate_of"]} == {
        DUPLICATE_COPY: original["report_id"]
    }
    one = duplicates_client.get(f"/api/reports/{original['report_id']}").get_json()
    assert (one["duplicate_of"], one["copies"]) == (None, [copy["report_id"]])
    table = duplicates_client.get("/reports", query_string={"per_page": 100}).get_data(as_text=True)
    assert table.count('class="dup-mark"') == 1


def test_results_mark_the_copys_hits_and_say_how_many(duplicates_client, duplicates_index):
    index = duplicates_index
    expected = index.search(parse_query("法治"), limit=None).duplicate_hits
    shown = index.search(parse_query("法治"), limit=100).hits
    page = duplicates_client.get("/search", query_string={"q": "法治", "per_page": 100}).get_data(as_text=True)
    assert re.search(r'id="duplicate-hits" data-count="(\d+)"', page).group(1) == str(expected)
    assert page.count('<div class="duplicate">重复报告：同') == sum(1 for h in shown if h.duplicate_of) > 0
    assert 'id="dups"' in page and 'aria-checked="false"' in page
    switched = duplicates_client.get("/search", query_string={"q": "法治", "dups": "1"}).get_data(as_text=True)
    assert 'aria-checked="true"' in switched and 'href="/compare?q=%E6%B3%95%E6%B2%BB&amp;dups=1"' in switched
    body = duplicates_client.get("/api/search", query_string={"q": "法治"}).get_json()
    with_copies = duplicates_client.get("/api/search", query_string={"q": "法治", "dups": "1"}).get_json()
    assert body["duplicate_hits"] == expected and body["total"] == with_copies["total"]
    count = lambda b: sum(f["count"] for f in b["facets"]["year"])  # noqa: E731
    assert count(with_copies) - count(body) == expected


def test_a_bad_switch_is_a_clear_error(duplicates_client):
    response = duplicates_client.get("/api/search", query_string={"q": "法治", "dups": "maybe"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "dups must be 1 (on) or 0 (off), not 'maybe'."


# -- history does not matter ------------------------------------------------------------------------


def test_a_fresh_build_marks_the_same_reports(duplicates_dir, duplicates_index, tmp_path):
    fresh = tmp_path / "fresh"
    build(duplicates_dir[0], fresh)
    assert marks(ReportIndex.open(fresh, warm=False)) == marks(duplicates_index)


def test_updates_mark_added_copies_and_promote_a_copy_when_the_original_goes(tmp_path):
    data, target = tmp_path / "reports", tmp_path / "index"
    data.mkdir()
    write_duplicates(data, copies=False)
    build(data, target)
    reposted = "转载/东和乡2023.txt"

    def step(change) -> tuple[dict, list]:
        change()
        summary = update(data, target)
        assert not summary.full and not summary.skipped
        fresh = tmp_path / f"fresh-{len(list(tmp_path.iterdir()))}"
        build(data, fresh)
        found = marks(ReportIndex.open(target, warm=False))
        assert found == marks(ReportIndex.open(fresh, warm=False))  # as a fresh build of the folder
        return found, summary.duplicates

    def add_page():
        (data / DUPLICATE_COPY).parent.mkdir()
        shutil.copy(DUPLICATE_PAGE, data / DUPLICATE_COPY)

    def add_repost():
        (data / reposted).parent.mkdir()
        shutil.copy(data / ORIGINAL, data / reposted)

    assert step(add_page) == (
        {DUPLICATE_COPY: ORIGINAL},
        [(DUPLICATE_COPY, f"same report as {ORIGINAL} (counted once)")],
    )
    found, lines = step(add_repost)
    assert found == {DUPLICATE_COPY: ORIGINAL, reposted: ORIGINAL}
    assert lines == [(reposted, f"same report as {ORIGINAL} (counted once)")]  # only what is new
    found, lines = step(lambda: (data / ORIGINAL).unlink())
    assert found == {DUPLICATE_COPY: reposted}  # the text copy is the original now
    assert lines == [(DUPLICATE_COPY, f"same report as {reposted} (counted once)")]
    found, lines = step(lambda: (data / reposted).unlink())
    assert found == {} and lines == []
    index = ReportIndex.open(target, warm=False)
    assert index.duplicate_paragraphs is None
    assert len(layout.read_meta(index.generation).segments) > 1


def test_candidates_miss_nothing_that_comparing_every_pair_finds(tmp_path):
    """Prefix filtering against the plain rule on 600 reports: near copies made at shares around
    SAME_SHARE, over shared boilerplate, some places unsettled."""
    from indexer.engine.duplicates import original_order, place_of, same_place

    rng = np.random.default_rng(7)
    boilerplate = rng.integers(0, 2**63, 40, dtype=np.int64)
    prints = []
    for i in range(600):
        if i % 3 and prints:  # a near copy of an earlier one: some sentences swapped for new ones
            hashes, chars = prints[int(rng.integers(len(prints)))]
            keep = rng.random(len(hashes)) > rng.uniform(0.0, 0.2)
            extra = rng.integers(0, 2**63, int((~keep).sum()), dtype=np.int64).astype(np.uint64)
            hashes = np.concatenate([hashes[keep], extra])
            chars = np.concatenate([chars[keep], rng.integers(5, 80, len(extra))])
        else:
            hashes = np.concatenate([rng.integers(0, 2**63, 30, dtype=np.int64), rng.choice(boilerplate, 8)])
            hashes = hashes.astype(np.uint64)
            chars = rng.integers(5, 80, len(hashes))
        hashes, first = np.unique(hashes, return_index=True)
        prints.append((hashes, chars[first]))
    np.savez(
        tmp_path / layout.FINGERPRINTS,
        ids=np.array([f"r{i}" for i in range(600)]),
        offsets=np.cumsum([0] + [len(h) for h, _ in prints]),
        hashes=np.concatenate([h for h, _ in prints]),
        chars=np.concatenate([c for _, c in prints]),
    )
    live = [
        (
            ".",
            {
                "report_id": f"r{i}",
                "source": f"{i % 7}/{i}.{'txt' if i % 2 else 'html'}",
                "year": 2023,
                "level": UNSETTLED if i % 5 == 0 else "乡镇",
                "township": None if i % 5 == 0 else f"乡{i % 4}",
                "township_code": None if i % 5 == 0 else f"14040420{i % 4}",
            },
        )
        for i in range(600)
    ]
    found = find_duplicates(tmp_path, live)
    ordered = sorted(range(600), key=lambda i: original_order(live[i][1]))
    expected, originals = {}, []
    for k in ordered:
        match = next(
            (
                i
                for i in originals
                if same_place(place_of(live[k][1]), place_of(live[i][1]))
                and same_share(prints[k], prints[i]) >= SAME_SHARE
            ),
            None,
        )
        if match is None:
            originals.append(k)
        else:
            expected[f"r{k}"] = f"r{match}"
    assert {copy: original for copy, (original, _) in found.items()} == expected
    assert 50 < len(expected) < 350  # near copies fall on both sides of the line
