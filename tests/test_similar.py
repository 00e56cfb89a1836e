"""Reused text: a report assembled from paragraphs of two others finds both, unrelated text finds
nothing, and the build's lists agree with a brute-force comparison of every pair of paragraphs."""

from __future__ import annotations

import html as html_lib
import json
import re
import subprocess
import sys

import numpy as np
import pytest

from indexer.engine import similar
from indexer.engine.build import build
from indexer.engine.layout import current_generation
from indexer.engine.search import ReportIndex
from indexer.engine.similar import (
    MAX_MATCHES,
    SPAN,
    THRESHOLD,
    candidate_pairs,
    jaccard,
    match_lists,
    shingles,
)
from indexer.research import similar as lookup
from indexer.research.similar import report_reuse, shared_spans, similar_paragraphs
from indexer.text.normalize import normalize
from search_app import create_app
from tests.conftest import ROOT, UNRELATED, WIDTH_AND_PUNCTUATION, assembled_report, long_body

#: How far a listed pair's exact similarity may fall below THRESHOLD: the build lists pairs by a
#: MinHash estimate whose standard deviation is at most 0.044.
ESTIMATE_SLACK = 0.15


@pytest.fixture(scope="module")
def reuse_index(reuse_dir) -> ReportIndex:
    return ReportIndex.open(reuse_dir)


@pytest.fixture(scope="module")
def reuse_client(reuse_dir):
    return create_app({"INDEX_DIR": reuse_dir, "TESTING": True}).test_client()


def report_id(index: ReportIndex, prefix: str) -> str:
    return next(r["report_id"] for r in index.reports if r["source"].startswith(prefix))


def copied(index: ReportIndex) -> list[tuple[int, str, int]]:
    """(paragraph of the assembled report, source report id, source paragraph) for each copy."""
    _, sources, _ = assembled_report()
    rid = report_id(index, "900")
    paragraphs = index.report_paragraphs(index.report(rid))
    copies = [p.paragraph for p in paragraphs if p.kind == "body" and len(p.text) >= 100]
    assert len(copies) == len(sources)
    return [(n, report_id(index, prefix), number) for n, (prefix, number) in zip(copies, sources)]


def brute_force_pairs(index: ReportIndex) -> dict[tuple[int, int], float]:
    """The exact similarity of every pair of compared paragraphs in different reports, from the
    original texts (not the index's), by the reference definition."""
    live = np.flatnonzero(index.live)
    compared = live[index.similar.compared(live)]
    hits = index.hits(compared.tolist())
    norms = [normalize(h.text) for h in hits]
    out = {}
    for i, a in enumerate(hits):
        for j in range(i + 1, len(hits)):
            if a.report_id != hits[j].report_id:
                s = jaccard(norms[i], norms[j])
                out[(a.pid, hits[j].pid)] = out[(hits[j].pid, a.pid)] = s
    return out


# -- the specification: copies are found, unrelated text is not -----------------------------------


def test_each_copied_paragraph_finds_its_source_first_with_high_similarity(reuse_index):
    rid = report_id(reuse_index, "900")
    for paragraph, source_id, source_paragraph in copied(reuse_index):
        pid = lookup.paragraph_id(reuse_index, rid, paragraph)
        matches = similar_paragraphs(reuse_index, pid)
        assert matches, f"¶{paragraph} found nothing"
        best = matches[0]
        assert (best.report_id, best.paragraph) == (source_id, source_paragraph)
        assert best.similarity >= 0.8


def test_the_sources_find_the_copies_too(reuse_index):
    rid = report_id(reuse_index, "900")
    for paragraph, source_id, source_paragraph in copied(reuse_index):
        pid = lookup.paragraph_id(reuse_index, source_id, source_paragraph)
        assert (rid, paragraph) in {(m.report_id, m.paragraph) for m in similar_paragraphs(reuse_index, pid)}


def test_the_assembled_report_shares_most_with_both_source_townships(reuse_index):
    rid = report_id(reuse_index, "900")
    reuse = report_reuse(reuse_index, reuse_index.report(rid))
    partners = {p.township: p for p in reuse.partners}
    assert partners["东和乡"].paragraphs == 4 and partners["熊背乡"].paragraphs == 3
    assert [p.township for p in reuse.partners[:2]] == ["东和乡", "熊背乡"]
    assert partners["东和乡"].reports == [(report_id(reuse_index, "000"), 2023, 4)]
    assert reuse.matched == 7
    lengths = [
        len(t)
        for t in reuse_index.grams.texts.many(
            np.arange(reuse_index.report(rid)["first_pid"], reuse_index.report(rid)["first_pid"] + reuse.paragraphs)
        )
    ]
    assert reuse.chars == sum(lengths)
    assert reuse.matched_chars == sum(n for n, c in zip(lengths, reuse.counts) if c)
    assert 0.8 < reuse.share < 1


def test_unrelated_paragraphs_find_nothing_and_score_low_against_everything(reuse_index):
    rid = report_id(reuse_index, "900")
    meta = reuse_index.report(rid)
    _, _, unrelated = assembled_report()
    pairs = brute_force_pairs(reuse_index)
    for position in unrelated:
        hit = reuse_index.report_paragraphs(meta)[position - 1]
        assert hit.text in UNRELATED
        assert similar_paragraphs(reuse_index, hit.pid) == []
        assert max(s for (a, _), s in pairs.items() if a == hit.pid) < 0.2


def test_the_five_real_reports_share_no_paragraph(index):
    """Five townships of three provinces wrote their own texts: nothing reaches the threshold."""
    assert index.similar.counts(0, len(index)).sum() == 0
    assert max(brute_force_pairs(index).values()) < 0.2


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.translate(WIDTH_AND_PUNCTUATION),
        lambda t: t.replace("。", ".").replace("，", "、"),
        lambda t: " ".join(t),
        lambda t: t.replace("乡", "鄉").replace("执法", "執法").replace("政府", "政府"),
        lambda t: "“" + t.replace("，", "　") + "”",
    ],
    ids=["half-width", "other marks", "spaces", "traditional", "quotes and ideographic space"],
)
def test_normalisation_does_not_hide_a_copy(change):
    text = long_body("004")[0].text
    assert jaccard(normalize(change(text)), normalize(text)) == 1.0


# -- the lists against brute force -----------------------------------------------------------------


def test_every_clear_copy_is_listed_and_every_listed_pair_is_similar(reuse_index):
    pairs = brute_force_pairs(reuse_index)
    listed = {}
    for pid in np.flatnonzero(reuse_index.similar.compared(np.arange(len(reuse_index)))).tolist():
        for m in similar_paragraphs(reuse_index, pid):
            listed[(pid, m.pid)] = m.similarity
    clear = {pair for pair, s in pairs.items() if s >= 0.7}
    assert clear and clear <= set(listed)
    for pair, s in listed.items():
        assert s == pytest.approx(pairs[pair], abs=1e-12)  # the exact similarity, not the estimate
        assert s >= THRESHOLD - ESTIMATE_SLACK


def test_results_exclude_the_same_report_and_come_best_first(reuse_index):
    rid = report_id(reuse_index, "900")
    meta = reuse_index.report(rid)
    for pid in range(meta["first_pid"], meta["first_pid"] + meta["paragraphs"]):
        matches = similar_paragraphs(reuse_index, pid)
        assert all(m.report_id != rid for m in matches)  # the paragraph copied twice does not list itself
        sims = [m.similarity for m in matches]
        assert sims == sorted(sims, reverse=True)


def test_the_estimate_follows_the_exact_similarity():
    """MinHash agreement over HASHES values estimates the Jaccard index (sd ≤ 0.044)."""
    paragraphs = [p.text for prefix in ("000", "003", "004") for p in long_body(prefix, 6)]
    variants = [t[: len(t) * k // 4] + t for t in paragraphs for k in (1, 2, 3)]
    norms = [normalize(t) for t in paragraphs + variants]
    sig, _ = similar.signatures(norms)
    errors = []
    for i in range(len(norms)):
        for j in range(i + 1, len(norms)):
            errors.append(np.mean(sig[i] == sig[j]) - jaccard(norms[i], norms[j]))
    errors = np.array(errors)
    assert abs(errors.mean()) < 0.01 and errors.std() < 0.044 and np.abs(errors).max() < 0.2


def test_shingles_are_five_characters_of_the_normalised_text_without_marks():
    assert shingles(normalize("法治政府，建设。")) == {"法治政府建", "治政府建设"}
    assert shingles(normalize("法治政府")) == set()


def test_shared_spans_mark_the_original_text():
    text = "我乡坚持“依法行政”，推进法治政府建设。另有一句无关的话。"
    other = normalize("县里坚持依法行政,推进法治政府建设,成效明显")
    spans = shared_spans(text, other)
    assert [text[s:e] for s, e in spans] == ["坚持“依法行政”，推进法治政府建设"]


# -- bounded work ----------------------------------------------------------------------------------


def test_a_crowded_bucket_pairs_each_paragraph_with_its_neighbours_only():
    n = 3 * SPAN
    keys = np.zeros((2, n), np.uint64)  # every paragraph in one bucket, in both bands
    ids = np.arange(n, dtype=np.int32)
    pairs, more = candidate_pairs(keys, ids)
    a, b = pairs >> 32, pairs & 0xFFFFFFFF
    assert len(pairs) == sum(min(SPAN, n - 1 - i) for i in range(n))
    assert np.all(b - a <= SPAN) and np.all(a < b)
    assert more.tolist() == [i for i in range(n) if i > SPAN or n - 1 - i > SPAN]


def test_small_buckets_pair_completely():
    keys = np.arange(100, 122, dtype=np.uint64)[None, :]  # one band; a key per paragraph 0-21
    keys[0, [2, 5, 13, 16]] = 5
    keys[0, [3, 21]] = 7
    pairs, more = candidate_pairs(keys, np.array([2, 3, 5, 8, 13, 21], np.int32))  # 16 is not compared
    assert sorted((int(p >> 32), int(p & 0xFFFFFFFF)) for p in pairs) == [(2, 5), (2, 13), (3, 21), (5, 13)]
    assert len(more) == 0


def test_each_paragraph_keeps_its_best_matches_only():
    a = np.zeros(MAX_MATCHES + 5, np.int32)
    b = np.arange(1, MAX_MATCHES + 6, dtype=np.int32)
    agree = np.arange(MAX_MATCHES + 5, dtype=np.uint8)
    offsets, pids, kept, more = match_lists(MAX_MATCHES + 6, a, b, agree)
    assert offsets[1] == MAX_MATCHES and pids[:3].tolist() == [MAX_MATCHES + 5, MAX_MATCHES + 4, MAX_MATCHES + 3]
    assert more[0] and not more[1:].any()
    assert np.diff(offsets)[1:].tolist() == [1] * (MAX_MATCHES + 5)


# -- API, CLI and pages agree ----------------------------------------------------------------------


def test_api_lists_the_matches_best_first(reuse_client, reuse_index):
    rid = report_id(reuse_index, "900")
    paragraph, source_id, source_paragraph = copied(reuse_index)[0]
    data = reuse_client.get(f"/api/similar/{rid}/{paragraph}").get_json()
    assert {k: data[k] for k in ("report_id", "paragraph", "compared")} == {
        "report_id": rid,
        "paragraph": paragraph,
        "compared": True,
    }
    expected = similar_paragraphs(reuse_index, lookup.paragraph_id(reuse_index, rid, paragraph))
    assert [(m["report_id"], m["paragraph"]) for m in data["similar"]] == [(m.report_id, m.paragraph) for m in expected]
    first = data["similar"][0]
    assert set(first) >= {"report_id", "paragraph", "township", "year", "similarity", "url"}
    assert (first["report_id"], first["paragraph"], first["township"], first["year"]) == (
        source_id,
        source_paragraph,
        "东和乡",
        2023,
    )
    assert first["url"] == f"/reports/{source_id}#p{source_paragraph}"


@pytest.mark.parametrize(
    "path, code",
    [
        ("/api/similar/nope/1", "unknown_report"),
        ("/api/similar/000_90e80c64c1df8a22/0", "unknown_paragraph"),
        ("/api/similar/000_90e80c64c1df8a22/999", "unknown_paragraph"),
        ("/api/similar/000_90e80c64c1df8a22/x", "not_found"),
    ],
)
def test_api_unknown_report_or_paragraph_is_a_404_with_a_code(client, path, code):
    response = client.get(path)
    assert response.status_code == 404
    body = response.get_json()
    assert body["code"] == code and body["status"] == 404 and body["error"]


def test_pages_for_an_unknown_paragraph_say_so_in_chinese(client):
    response = client.get("/similar/000_90e80c64c1df8a22/999")
    assert response.status_code == 404
    assert "共有 25 段，没有第 999 段" in response.get_data(as_text=True)
    assert client.get("/reports/nope/reuse").status_code == 404


def test_a_heading_is_not_compared(client):
    data = client.get("/api/similar/000_90e80c64c1df8a22/6").get_json()  # 一、基本情况：
    assert data["compared"] is False and data["similar"] == []
    assert "不参与相似比较" in client.get("/similar/000_90e80c64c1df8a22/6").get_data(as_text=True)


def test_cli_prints_what_the_api_returns(reuse_dir, reuse_client, reuse_index):
    rid = report_id(reuse_index, "900")
    paragraph = copied(reuse_index)[3][0]
    proc = subprocess.run(
        [sys.executable, "-m", "indexer", "similar", rid, str(paragraph), "--index", str(reuse_dir), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    api = reuse_client.get(f"/api/similar/{rid}/{paragraph}").get_json()
    cli = json.loads(proc.stdout)
    assert cli == api
    plain = subprocess.run(
        [sys.executable, "-m", "indexer", "similar", rid, str(paragraph), "--index", str(reuse_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert f"{len(api['similar'])} similar paragraphs" in plain and "熊背乡" in plain


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope", "1"], "No report with id 'nope'"),
        (["000_90e80c64c1df8a22", "999"], "has paragraphs 1 to 25, not 999"),
        (["000_90e80c64c1df8a22", "x"], "invalid int value"),
    ],
)
def test_cli_errors_are_one_line(index_dir, args, message):
    proc = subprocess.run(
        [sys.executable, "-m", "indexer", "similar", *args, "--index", str(index_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and message in proc.stderr and proc.stderr.startswith("error: ")


def test_report_page_links_each_paragraph_with_similar_ones(reuse_client, reuse_index):
    rid = report_id(reuse_index, "900")
    html = reuse_client.get(f"/reports/{rid}").get_data(as_text=True)
    links = dict(re.findall(rf'href="/similar/{rid}/(\d+)">相似段落 (\d+)</a>', html))
    meta = reuse_index.report(rid)
    expected = {
        str(n): str(len(similar_paragraphs(reuse_index, meta["first_pid"] + n - 1)))
        for n in range(1, meta["paragraphs"] + 1)
        if similar_paragraphs(reuse_index, meta["first_pid"] + n - 1)
    }
    assert links == expected and len(links) == 7
    assert f'href="/reports/{rid}/reuse"' in html
    source_html = reuse_client.get(f"/reports/{report_id(reuse_index, '001')}").get_data(as_text=True)
    assert "相似段落" not in source_html.replace("与其他报告相似的段落", "")


def test_side_by_side_page_marks_the_shared_text(reuse_client, reuse_index):
    rid = report_id(reuse_index, "900")
    paragraph, source_id, source_paragraph = copied(reuse_index)[0]
    html = reuse_client.get(f"/similar/{rid}/{paragraph}").get_data(as_text=True)
    pairs = re.findall(r'<li class="pair">(.*?)</li>', html, re.S)
    assert len(pairs) == len(similar_paragraphs(reuse_index, lookup.paragraph_id(reuse_index, rid, paragraph)))
    first = pairs[0]
    assert f'href="/reports/{source_id}#p{source_paragraph}"' in first
    percent = float(re.search(r"相似度 ([\d.]+)%", first).group(1))
    assert percent >= 80
    source_text = reuse_index.report_paragraphs(reuse_index.report(source_id))[source_paragraph - 1].text
    right = re.search(r'<p class="right">.*?</span>(.*?)</p>', first, re.S).group(1)
    marked = "".join(html_lib.unescape(m) for m in re.findall(r"<mark>(.*?)</mark>", right))
    assert len(marked) >= 0.9 * len(source_text)  # a copy is marked nearly whole
    assert html_lib.unescape(re.sub(r"</?mark>", "", right)) == source_text
    assert "/search?q=" in first  # the longest shared wording, as a search


def test_reuse_page_lists_partner_townships_with_links(reuse_client, reuse_index):
    rid = report_id(reuse_index, "900")
    html = reuse_client.get(f"/reports/{rid}/reuse").get_data(as_text=True)
    rows = re.findall(r'<tr[^>]*>\s*<th scope="row">(.*?)</th>\s*<td class="n">(\d+)</td>', html, re.S)
    assert [(re.sub(r"<.*?>", " ", t).split()[0], int(n)) for t, n in rows] == [("东和乡", 4), ("熊背乡", 3)]
    assert f'href="/reports/{report_id(reuse_index, "000")}/reuse"' in html
    assert 'id="matched">7<' in html
    assert html.count('class="similar-link"') == 7


def test_the_cost_benchmark_runs_on_a_small_corpus(tmp_path):
    from indexer.bench.similar_cost import format_report, run

    results = run(10_000, 1, tmp_path / "work", baseline=False)
    assert results["counts"]["compared"] > 8000 and results["counts"]["listed"] > 0
    assert results["recall"]["0.8+"]["pairs"] > 0 and results["recall"]["0.8+"]["recall"] == 1.0
    assert results["lookup_ms"]["p95"] < 50
    assert "index size added" in format_report(results)


def test_an_index_without_its_lists_asks_for_a_rebuild(data_dir, tmp_path):
    from indexer.engine.search import IndexNotFound

    target = tmp_path / "index"
    build(data_dir, target)
    generation = current_generation(target)
    (generation / "similar.offsets.npy").unlink()
    with pytest.raises(IndexNotFound, match="rebuild it"):
        _ = ReportIndex.open(target).similar
