"""Reuse across the corpus: pairs of reports that share paragraphs, the direction by date, and
each report's share of text already written in earlier reports."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from indexer.engine.query import parse_query
from indexer.engine.search import ReportIndex
from indexer.research.reuse import corpus_reuse, pairs_of


def by_source(index: ReportIndex) -> dict:
    return {(p.later["source"], p.earlier["source"]): (p.shared, p.compared) for p in corpus_reuse(index).pairs}


def expected_pairs(index: ReportIndex) -> dict:
    """From each paragraph's own list: for every report, its paragraphs with a match in each other report."""
    when = {r["report_id"]: r.get("date") or f"{r.get('year')}-99" for r in index.reports}
    shared: dict = {}
    for report in index.reports:
        for n in range(report["paragraphs"]):
            pid = report["first_pid"] + n
            for other in {
                index.reports[int(index.columns["report"][q])]["report_id"] for q in index.similar.listed(pid)
            }:
                if when[other] <= when[report["report_id"]]:
                    shared.setdefault((report["report_id"], other), set()).add(pid)
    return shared


def when(report: dict) -> str:
    return report.get("date") or f"{report.get('year')}-99"


def test_the_copying_report_is_paired_with_each_report_it_shares_with_earlier_first(living, fresh):
    pairs = corpus_reuse(living).pairs
    assert {frozenset((p.later["source"], p.earlier["source"])) for p in pairs} == {
        frozenset(("copied.txt", name)) for name in SHARED_WITH
    }
    for p in pairs:
        assert when(p.earlier) <= when(p.later)
        assert p.same_date is (when(p.earlier) == when(p.later))
        assert 1 <= p.shared <= p.compared
    assert by_source(living) == by_source(fresh)  # an updated index pairs reports as a fresh build does


#: copied.txt is the fifth report with paragraphs of the first two written into it (conftest.copied_report).
SHARED_WITH = ("000_90e80c64c1df8a22.txt", "001_306774baeec4f768.txt", "004_820d76132354570c.txt")


def test_pairs_count_the_paragraphs_each_list_gives(living):
    expected = expected_pairs(living)
    got = {(p.later["report_id"], p.earlier["report_id"]): p.shared for p in corpus_reuse(living).pairs}
    assert got == {key: len(pids) for key, pids in expected.items() if key in got}
    assert got  # something to compare


def test_the_share_of_text_in_earlier_reports(living):
    reuse = corpus_reuse(living)
    lengths = living.texts.lengths()
    by_id = {r["report_id"]: r for r in living.reports}
    for report in living.reports:
        ids = np.arange(report["first_pid"], report["first_pid"] + report["paragraphs"])
        compared = ids[living.similar.compared(ids)]
        borrowed = [
            p
            for p in compared.tolist()
            if any(
                when(living.reports[int(living.columns["report"][q])]) < when(report) for q in living.similar.listed(p)
            )
        ]
        expected = lengths[borrowed].sum() / lengths[compared].sum() if len(compared) else 0.0
        assert reuse.shares[report["report_id"]] == pytest.approx(expected)
    assert sum(share > 0 for share in reuse.shares.values()) >= 2
    assert max(reuse.shares.values()) < 1 and set(reuse.shares) == set(by_id)


def test_the_reuse_pages_and_api(living_client, living):
    page = living_client.get("/reuse").get_data(as_text=True)
    pairs = corpus_reuse(living).pairs
    assert f'data-total="{len(pairs)}"' in page and len(pairs) == 3
    body = living_client.get("/api/reuse").get_json()
    assert body["total"] == 3
    assert all("copied.txt" in (p["later"]["source"], p["earlier"]["source"]) for p in body["pairs"])
    assert [p["share"] for p in body["pairs"]] == sorted((p["share"] for p in body["pairs"]), reverse=True)
    none = living_client.get("/api/reuse", query_string={"min_share": 100}).get_json()
    assert none["total"] == sum(p.share >= 1 for p in pairs)
    assert living_client.get("/api/reuse", query_string={"min_share": 101}).status_code == 400
    copied = next(r for r in living.reports if r["source"] == "copied.txt")
    report_page = living_client.get(f"/reports/{copied['report_id']}/reuse").get_data(as_text=True)
    assert 'id="pairs"' in report_page and "可能的来源（较早）" in report_page and "同日" in report_page
    assert len(pairs_of(corpus_reuse(living), copied["report_id"])) == 3


def reuse_cells(html: str) -> list[tuple[str, str]]:
    """(report id, reuse cell) of each row of the report table."""
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r'<td class="col-reuse n"><a href="/reports/([^"/]+)/reuse"[^>]*>(\d+%)</a>', body)


def test_the_report_table_shows_each_reports_reuse_share_and_sorts_by_it(living_client, living):
    shares = corpus_reuse(living).shares
    html = living_client.get("/reports", query_string={"sort": "-reuse"}).get_data(as_text=True)
    shown = reuse_cells(html)
    assert dict(shown) == {r["report_id"]: f"{shares[r['report_id']] * 100:.0f}%" for r in living.reports}
    ordered = [shares[i] for i, _ in shown]
    assert ordered == sorted(ordered, reverse=True)
    assert shares[shown[0][0]] > 0 and shares[shown[-1][0]] == 0
    assert 'aria-sort="descending"' in html.split('class="col-reuse')[1][:80]


@pytest.mark.parametrize("least", [1, 5, 50, 100])
def test_the_report_table_filters_by_a_least_reuse_share(living_client, living, least):
    shares = corpus_reuse(living).shares
    expected = {r["report_id"] for r in living.reports if shares[r["report_id"]] * 100 >= least}
    html = living_client.get("/reports", query_string={"min_reuse": least}).get_data(as_text=True)
    body = html.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in html else ""
    shown = set(re.findall(r'href="/reports/([^"?/]+)[?"]', body))
    assert shown == expected and f'data-total="{len(expected)}"' in html
    assert f"复用率：≥{least}%" in html  # a chip that removes it
    years = re.search(r'<section class="facet-group facet-year">(.*?)</section>', html, re.S).group(1)
    counted = sum(int(n) for n in re.findall(r'<span class="count">(\d+)</span>', years))
    assert counted == len(expected)  # the facets count only the reports that pass


def test_a_least_reuse_share_combines_with_a_query(living_client, living):
    shares = corpus_reuse(living).shares
    with_query = living_client.get("/reports", query_string={"min_reuse": 1, "q": "法治"}).get_data(as_text=True)
    expected = {
        h.report_id for h in living.hits(living.match(parse_query("法治")).tolist()) if shares[h.report_id] >= 0.01
    }
    body = with_query.split("<tbody>")[1].split("</tbody>")[0]
    assert set(re.findall(r'href="/reports/([^"?/]+)[?"]', body)) == expected and expected


@pytest.mark.parametrize("value", ["0", "101", "半"])
def test_a_bad_least_reuse_share_names_the_field(living_client, value):
    response = living_client.get("/reports", query_string={"min_reuse": value})
    assert response.status_code == 400 and "复用率下限" in response.get_data(as_text=True)


def test_a_report_page_links_to_the_reports_it_shares_most_with(living_client, living):
    reuse = corpus_reuse(living)
    copied = next(r for r in living.reports if r["source"] == "copied.txt")
    html = living_client.get(f"/reports/{copied['report_id']}").get_data(as_text=True)
    listed = re.search(r'<ul class="partners" id="partners">(.*?)</ul>', html, re.S).group(1)
    pairs = pairs_of(reuse, copied["report_id"])[:3]
    others = [p.earlier if p.later["report_id"] == copied["report_id"] else p.later for p in pairs]
    assert re.findall(r'<li><a href="/reports/([^"]+)">', listed) == [o["report_id"] for o in others]
    assert [int(n) for n in re.findall(r"(\d+) 段见于", listed)] == [p.shared for p in pairs]
    assert f"本报告 {reuse.shares[copied['report_id']] * 100:.0f}% 的文字见于更早的报告" in html
    source = others[0]
    back = living_client.get(f"/reports/{source['report_id']}").get_data(as_text=True)
    assert f'<li><a href="/reports/{copied["report_id"]}">' in back  # the source lists its copy too
    alone = next(r for r in living.reports if not pairs_of(reuse, r["report_id"]))
    assert 'id="partners"' not in living_client.get(f"/reports/{alone['report_id']}").get_data(as_text=True)


def test_the_cli_lists_the_pairs_as_the_api_does(living_dir, living, living_client, capsys):
    from indexer.cli import main

    assert main(["reuse", "--index", str(living_dir[1]), "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    api = living_client.get("/api/reuse").get_json()
    assert body["pairs"] == api["pairs"] and body["total"] == api["total"] == 3
    assert main(["reuse", "--index", str(living_dir[1])]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and lines[-1] == "3 pairs of reports share paragraphs"
    first = corpus_reuse(living).pair(0)
    assert lines[0].split()[:3] == [f"{first.share:.1%}", f"{first.shared}/{first.compared}", first.later["report_id"]]


def test_the_cli_gives_one_reports_share_and_partners(living_dir, living, capsys):
    from indexer.cli import main

    reuse = corpus_reuse(living)
    copied = next(r for r in living.reports if r["source"] == "copied.txt")
    assert main(["reuse", "--index", str(living_dir[1]), "--report", copied["report_id"], "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["earlier_share"] == round(reuse.shares[copied["report_id"]], 4)
    assert [(p["later"]["report_id"], p["earlier"]["report_id"]) for p in body["pairs"]] == [
        (p.later["report_id"], p.earlier["report_id"]) for p in pairs_of(reuse, copied["report_id"])
    ]
    assert main(["reuse", "--index", str(living_dir[1]), "--report", "nope"]) == 2
    assert "no report with id 'nope'" in capsys.readouterr().err
    assert main(["reuse", "--index", str(living_dir[1]), "--min-share", "101"]) == 2
    assert "--min-share must be between 0 and 100" in capsys.readouterr().err
