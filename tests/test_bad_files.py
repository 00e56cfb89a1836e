"""No single file stops a build or the site: each bad file is one `skipped:` line, the rest is indexed."""

import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from indexer.documents.formats.html import NO_ARTICLE
from indexer.engine import build as build_module
from indexer.engine.build import build
from indexer.engine.search import ReportIndex
from tests.conftest import ROOT, SEED_FILES

#: Pages with no article: readability-lxml finds no element at all in them.
NO_ARTICLE_PAGES = {
    "list.html": '<html><body><ul><li><a href="/a">通知一</a></li><li><a href="/b">通知二</a></li></ul></body></html>',
    "nav.html": '<html><body><nav><a href="/">首页</a> <a href="/gk">政务公开</a></nav></body></html>',
    "empty.html": "<html><body></body></html>",
}


@pytest.mark.parametrize("name", sorted(NO_ARTICLE_PAGES))
def test_a_page_with_no_article_is_skipped_and_the_rest_indexed(data_dir, tmp_path, name):
    (data_dir / name).write_text(NO_ARTICLE_PAGES[name], encoding="utf-8")
    summary = build(data_dir, tmp_path / "index")
    assert summary.skipped == [(name, NO_ARTICLE)]
    assert NO_ARTICLE.startswith("no article text found")
    assert summary.reports == len(SEED_FILES)


def test_an_unexpected_error_in_one_file_is_a_skip_naming_it(data_dir, tmp_path, monkeypatch):
    real = build_module.parse_report

    def failing(path, entry=None, **given):
        if path.name == SEED_FILES[0]:
            raise RuntimeError("a reader's bug\non two lines")
        return real(path, entry, **given)

    monkeypatch.setattr(build_module, "parse_report", failing)
    summary = build(data_dir, tmp_path / "index")
    assert summary.skipped == [(SEED_FILES[0], "could not be read (RuntimeError: a reader's bug on two lines)")]
    assert summary.reports == len(SEED_FILES) - 1


def test_the_cli_build_names_the_page_and_indexes_the_rest(data_dir, tmp_path, cli):
    (data_dir / "list.html").write_text(NO_ARTICLE_PAGES["list.html"], encoding="utf-8")
    code, out, err = cli("build", "--data", data_dir, "--index", tmp_path / "index")
    assert code == 1, err
    assert f"skipped: list.html: {NO_ARTICLE}" in err.splitlines()
    assert "Traceback" not in err
    assert len(ReportIndex.open(tmp_path / "index", warm=False).reports) == len(SEED_FILES)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_site_starts_on_its_index_when_the_folder_holds_a_bad_page(data_dir, tmp_path):
    index_dir = tmp_path / "index"
    build(data_dir, index_dir)
    (data_dir / "list.html").write_text(NO_ARTICLE_PAGES["list.html"], encoding="utf-8")
    port = _free_port()
    command = [sys.executable, "-m", "search_app", "--data", str(data_dir), "--index", str(index_dir)]
    proc = subprocess.Popen(
        [*command, "--port", str(port), "--workers", "1"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        for _ in range(300):
            if proc.poll() is not None:
                pytest.fail("the site stopped: " + proc.stdout.read().decode(errors="replace"))
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/search?q=%E6%B3%95%E6%B2%BB", timeout=2
                ) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the site did not answer")
    finally:
        proc.terminate()
        output = proc.communicate(timeout=20)[0].decode(errors="replace")
    assert f"skipped: list.html: {NO_ARTICLE}" in output


def test_a_report_whose_text_cannot_be_stored_is_a_skip_not_a_failed_build(data_dir, tmp_path, monkeypatch):
    real = build_module.parse_report

    def lone_surrogate(path, entry=None, **given):
        report = real(path, entry, **given)
        if path.name == SEED_FILES[1]:
            report.paragraphs[-1].text += "\ud83d"  # half of a UTF-16 pair, as a careless reader leaves it
        return report

    monkeypatch.setattr(build_module, "parse_report", lone_surrogate)
    summary = build(data_dir, tmp_path / "index")
    assert [name for name, _ in summary.skipped] == [SEED_FILES[1]]
    assert summary.skipped[0][1].startswith("could not be read (UnicodeEncodeError: ")
    assert len(ReportIndex.open(tmp_path / "index", warm=False).reports) == len(SEED_FILES) - 1
