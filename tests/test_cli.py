"""The command line: build, search (readable and JSON), reports, and one-line errors."""

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from indexer.engine.search import ReportIndex
from tests.conftest import ROOT, SEED_FILES, run_cli

JSON_FIELDS = {
    "query",
    "report_id",
    "source",
    "paragraph",
    "township",
    "county",
    "year",
    "section",
    "heading",
    "text",
    "url",
    "score",
}


run = run_cli


def test_search_json_contract(index_dir):
    code, out, err = run("search", "法律明白人", "--index", index_dir, "--json")
    assert code == 0, err
    hits = [json.loads(line) for line in out.splitlines()]
    assert len(hits) == 3
    for hit in hits:
        assert JSON_FIELDS <= set(hit)
        assert hit["query"] == "法律明白人"
        assert "法律明白人" in hit["text"]
        assert hit["url"] == f"/reports/{hit['report_id']}#p{hit['paragraph']}"
        assert hit["source"] in SEED_FILES
        assert isinstance(hit["paragraph"], int) and hit["paragraph"] >= 1


def test_search_filters_on_the_command_line(index_dir):
    code, out, _ = run(
        "search",
        "法律明白人",
        "--index",
        index_dir,
        "--json",
        "--year",
        "2023",
        "--township",
        "国宝乡",
        "熊背乡",
        "--section",
        "measures",
    )
    hits = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and {h["township"] for h in hits} == {"国宝乡", "熊背乡"}
    code, out, _ = run("search", "法律明白人", "--index", index_dir, "--json", "--year", "2020-2022")
    assert [json.loads(line)["township"] for line in out.splitlines()] == ["青山乡"]


def hits_of(index_dir, *args):
    """The (report_id, paragraph, township) of each hit of `search ARGS --json --all`."""
    code, out, err = run("search", *args, "--index", index_dir, "--json", "--all")
    assert code == 0, err
    return [(h["report_id"], h["paragraph"], h["township"]) for h in map(json.loads, out.splitlines())]


@pytest.mark.parametrize(
    "command_lines",
    [
        [
            ["法治", "--township", "国宝乡"],
            ["--township", "国宝乡", "法治"],
            ["--year", "2023", "--township", "国宝乡", "法治"],
            ["--township", "国宝乡", "法治", "--sort", "relevance"],
        ],
        [
            ["法治", "--township", "国宝乡", "熊背乡"],
            ["--township", "国宝乡", "熊背乡", "法治"],
            ["--township", "国宝乡,熊背乡", "法治"],
            ["法治", "--township", "国宝乡、熊背乡"],
            ["--township", "国宝乡", "--township", "熊背乡", "法治"],
        ],
        [
            ["法治", "--section", "measures", "problems"],
            ["--section", "measures", "problems", "法治"],
            ["--section", "measures,problems", "法治"],
            ["--township", "国宝乡,熊背乡,青山乡,东和乡,景毛乡", "--section", "measures", "problems", "法治"],
        ],
    ],
    ids=["one township", "two townships", "two sections"],
)
def test_query_and_options_in_any_order_give_the_same_hits(index_dir, command_lines):
    first, *others = [hits_of(index_dir, *args) for args in command_lines]
    assert first
    for hits in others:
        assert hits == first


def test_query_after_a_list_option_is_taken_back(index_dir):
    townships = {township for _, _, township in hits_of(index_dir, "--township", "国宝乡", "熊背乡", "法治")}
    assert townships == {"国宝乡", "熊背乡"}


def test_with_batch_every_word_after_a_list_option_is_a_name(index_dir, tmp_path):
    terms = tmp_path / "terms.txt"
    terms.write_text("法律明白人\n", encoding="utf-8")
    code, out, err = run("search", "--batch", terms, "--township", "国宝乡", "熊背乡", "--index", index_dir, "--json")
    assert code == 0, err
    assert {json.loads(line)["township"] for line in out.splitlines()} == {"国宝乡", "熊背乡"}


def test_readable_output_marks_the_match(index_dir):
    code, out, _ = run("search", "血桃", "--index", index_dir)
    assert code == 0
    assert "1 paragraphs match 血桃" in out
    assert "【血桃】" in out
    assert "/reports/003_" in out


def test_limit_and_all(index_dir):
    _, out, _ = run("search", "法治", "--index", index_dir, "--json", "--limit", "5")
    assert len(out.splitlines()) == 5
    _, out, _ = run("search", "法治", "--index", index_dir, "--json", "--all")
    assert len(out.splitlines()) > 20


def test_batch_runs_every_line(index_dir, tmp_path):
    terms = tmp_path / "terms.txt"
    terms.write_text("# term list\n法律明白人\n\n血桃\n", encoding="utf-8")
    code, out, _ = run("search", "--batch", terms, "--index", index_dir, "--json")
    hits = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [h["query"] for h in hits].count("法律明白人") == 3
    assert [h["query"] for h in hits].count("血桃") == 1


def test_batch_names_a_bad_line_on_stderr_and_runs_the_rest(index_dir, tmp_path):
    terms = tmp_path / "terms.txt"
    terms.write_text("# term list\n法律明白人\n" + "法" * 300 + "\n*\n血桃\n", encoding="utf-8")
    for mode in ([], ["--json"]):
        code, out, err = run("search", "--batch", terms, "--index", index_dir, *mode)
        assert code == 1
        assert err.strip().splitlines() == [
            f"error: {terms} line 3: '{'法' * 40}…': The query is 300 characters long; the limit is 200."
        ]
        assert "法" * 40 not in out
        assert "血桃" in out and "法律明白人" in out


def test_batch_json_gives_a_line_for_a_query_without_hits(index_dir, tmp_path):
    terms = tmp_path / "terms.txt"
    terms.write_text("血桃\n无此词语\n*\n", encoding="utf-8")
    code, out, err = run("search", "--batch", terms, "--index", index_dir, "--json")
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(line["query"], line.get("total")) for line in lines] == [("血桃", None), ("无此词语", 0), ("*", 0)]
    assert lines[1] == {"query": "无此词语", "total": 0}


def test_a_single_query_without_hits_prints_nothing_in_json(index_dir):
    assert run("search", "无此词语", "--index", index_dir, "--json")[:2] == (0, "")


def test_reports_lists_metadata(index_dir):
    code, out, _ = run("reports", "--index", index_dir, "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 5
    assert {r["township"]: r["year"] for r in rows} == {
        "东和乡": 2023,
        "景毛乡": 2024,
        "青山乡": 2022,
        "熊背乡": 2023,
        "国宝乡": 2023,
    }
    assert all(r["paragraphs"] > 10 for r in rows)


REPORT_COLUMNS = [
    "report_id",
    "source",
    "province",
    "prefecture",
    "county",
    "township",
    "code",
    "level",
    "year",
    "date",
    "title",
    "paragraphs",
    "duplicate_of",  # the original's report id for a duplicate copy (README: Duplicate reports)
]


def test_reports_plain_output_starts_with_a_header(index_dir):
    code, out, _ = run("reports", "--index", index_dir)
    header, *rows = out.splitlines()
    assert code == 0
    assert header.split("\t") == REPORT_COLUMNS
    assert len(rows) == 5 and all(len(row.split("\t")) == len(REPORT_COLUMNS) for row in rows)


def test_reports_csv_has_a_row_per_report(index_dir):
    proc = subprocess.run(
        [sys.executable, "-m", "indexer", "reports", "--index", str(index_dir), "--csv"],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
    )  # UTF-8 all the same
    assert proc.returncode == 0, proc.stderr
    reader = csv.DictReader(io.StringIO(proc.stdout.decode("utf-8"), newline=""))
    rows = list(reader)
    assert reader.fieldnames == REPORT_COLUMNS
    expected = ReportIndex.open(index_dir).reports_by_path
    assert [(r["report_id"], r["township"], r["year"]) for r in rows] == [
        (r["report_id"], r["township"], str(r["year"])) for r in expected
    ]
    assert {r["township"] for r in rows} == {"东和乡", "景毛乡", "青山乡", "熊背乡", "国宝乡"}


@pytest.mark.parametrize(
    "args, hint",
    [
        ([], "(see: python -m indexer --help)"),
        (["frobnicate"], "(see: python -m indexer --help)"),
        (["search", "法治", "--sort", "nope"], "(see: python -m indexer search --help)"),
        (["search", "法治", "--bogus"], "(see: python -m indexer search --help)"),
        (["reports", "--csv", "--json"], "(see: python -m indexer reports --help)"),
    ],
)
def test_usage_errors_point_to_the_right_help(args, hint):
    code, _, err = run(*args)
    assert code == 2
    assert err.strip().endswith(hint)


@pytest.mark.parametrize(
    "args, message",
    [
        (["search", "法治", "--year", "abc"], "Year must look like"),
        (["search", "法治", "--section", "nope"], "invalid choice"),
        (["search", "法治", "--township", "无此乡"], "no report from township"),
        (["search", "法治", "--limit", "0"], "--limit must be"),
        (["search", "法" * 300], "limit is 200"),
        (["search"], "give a QUERY"),
        (["search", "法治", "--batch", "/nonexistent/terms.txt"], "cannot read batch file"),
        (["frobnicate"], "invalid choice"),
        (["search", "--township", "国宝乡", "熊背乡", "--section", "measures", "problems"], "give the QUERY first"),
        (["search", "--section", "measures", "nope", "法治"], "invalid choice: 'nope'"),
        (["reports", "--csv", "--check"], "not allowed with argument"),
    ],
)
def test_errors_are_one_line_without_traceback(index_dir, args, message):
    code, _, err = run(*args, "--index", index_dir) if args[0] == "search" else run(*args)
    assert code != 0
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_missing_index_says_how_to_build(tmp_path):
    code, _, err = run("search", "法治", "--index", tmp_path / "none")
    assert code == 2 and "python -m indexer build" in err and len(err.strip().splitlines()) == 1


def test_build_names_skipped_files_and_exits_nonzero(data_dir, tmp_path):
    (data_dir / "empty.txt").write_bytes(b"")
    (data_dir / "scan.pdf").write_bytes(b"%PDF-1.4")
    code, out, err = run("build", "--data", data_dir, "--index", tmp_path / "index")
    assert code == 1
    assert "skipped: empty.txt: empty file" in err
    assert "skipped: scan.pdf: corrupt or truncated PDF" in err
    assert "indexed 5 reports" in out and "skipped 2" in out


def test_build_of_missing_folder_is_one_line(tmp_path):
    code, _, err = run("build", "--data", tmp_path / "nope", "--index", tmp_path / "index")
    assert code == 2 and "report folder not found" in err and len(err.strip().splitlines()) == 1


def test_large_folders_get_a_progress_bar(tmp_path):
    from tests.conftest import report_path

    data = tmp_path / "many"
    data.mkdir()
    text = report_path("003").read_text(encoding="utf-8")
    for i in range(55):
        (data / f"r{i:03d}.txt").write_text(text, encoding="utf-8")
    code, out, err = run("build", "--data", data, "--index", tmp_path / "index")
    assert code == 0, err
    assert "reading" in err and "indexing" in err and "55/55" in err
    assert "indexed 55 reports" in out
