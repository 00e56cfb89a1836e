"""File names as they come: not UTF-8 (a GBK name from a zip made on Windows), or holding a tab.

The index keeps one display name per file (folder.display_name); only reading uses the name on disk.
"""

import os
import urllib.parse

import pytest

from indexer.documents.folder import display_name
from indexer.documents.report import report_id_for
from indexer.engine.query import parse_query
from indexer.engine.search import ReportIndex
from search_app import create_app
from tests.conftest import SEED_FILES

GBK_NAME = "镇.txt".encode("gbk")  # b"\xd5\xf2.txt": not UTF-8


def write_bytes_named(folder, name: bytes, data: bytes) -> None:
    """A file whose name is exactly these bytes, as unzip leaves a Windows zip's names."""
    fd = os.open(os.path.join(os.fsencode(folder), name), os.O_CREAT | os.O_WRONLY, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


@pytest.mark.parametrize(
    "on_disk, shown",
    [
        (b"\xd5\xf2.txt", "镇.txt"),
        (b"\xc4\xcf\xbe\xa9/\xd5\xf2.txt", "南京/镇.txt"),
        ("乡镇/报告.txt".encode(), "乡镇/报告.txt"),
        (b"\xff\xfe.txt", "\\xff\\xfe.txt"),  # bytes that are not GB18030 either: shown escaped
        (b"a\tb.txt", "a\tb.txt"),
    ],
)
def test_a_name_on_disk_is_shown_decoded(on_disk, shown):
    assert display_name(os.fsdecode(on_disk)) == shown


def test_the_report_id_of_a_name_that_is_not_utf8_is_stable_and_plain():
    first = report_id_for(os.fsdecode(GBK_NAME))
    assert first == report_id_for(os.fsdecode(GBK_NAME))
    assert first != report_id_for(os.fsdecode(b"\xd5\xf3.txt"))
    assert first.isascii() and first.isalnum()


@pytest.fixture()
def odd_names(data_dir):
    """The seed reports plus two copies of the first under a GBK name and a name with a tab."""
    data = (data_dir / SEED_FILES[0]).read_bytes()
    write_bytes_named(data_dir, GBK_NAME, data)
    write_bytes_named(data_dir, b"a\tb.txt", data)
    return data_dir


def test_build_search_and_reports_read_the_names(odd_names, tmp_path, cli):
    index_dir = tmp_path / "index"
    code, out, err = cli("build", "--data", odd_names, "--index", index_dir)
    assert code == 0, err
    assert out.startswith(f"indexed {len(SEED_FILES) + 2} reports")

    code, out, err = cli("search", "法治", "--index", index_dir, "--all")
    assert code == 0, err
    assert "镇.txt ¶" in out and "a\tb.txt ¶" in out

    code, out, err = cli("reports", "--index", index_dir)
    assert code == 0, err
    rows = [line.split("\t") for line in out.splitlines()]
    assert {len(row) for row in rows} == {len(rows[0])}  # the tab in a name does not add a column
    sources = [row[1] for row in rows[1:]]
    assert "镇.txt" in sources and "a\\tb.txt" in sources


def test_update_reads_an_added_and_a_changed_name_that_is_not_utf8(data_dir, tmp_path, cli):
    index_dir = tmp_path / "index"
    assert cli("build", "--data", data_dir, "--index", index_dir)[0] == 0
    write_bytes_named(data_dir, GBK_NAME, (data_dir / SEED_FILES[0]).read_bytes())
    code, out, err = cli("update", "--data", data_dir, "--index", index_dir)
    assert code == 0, err
    assert out.startswith("updated: 1 added, 0 replaced, 0 removed")
    changed = (data_dir / SEED_FILES[0]).read_bytes() + "\n新增一段：名称乱码的文件也照常更新。\n".encode()
    write_bytes_named(data_dir, GBK_NAME, changed)
    code, out, err = cli("update", "--data", data_dir, "--index", index_dir)
    assert code == 0, err
    assert out.startswith("updated: 0 added, 1 replaced, 0 removed")
    index = ReportIndex.open(index_dir, warm=False)
    assert "镇.txt" in [r["source"] for r in index.reports]
    assert [h.source for h in index.search(parse_query("名称乱码的文件也照常更新"), limit=None).hits] == ["镇.txt"]


def test_the_site_shows_and_serves_a_report_whose_name_is_not_utf8(odd_names, tmp_path, cli):
    index_dir = tmp_path / "index"
    assert cli("build", "--data", odd_names, "--index", index_dir)[0] == 0
    report = next(r for r in ReportIndex.open(index_dir, warm=False).reports if r["source"] == "镇.txt")
    client = create_app({"INDEX_DIR": index_dir, "TESTING": True}).test_client()
    page = client.get(f"/reports/{urllib.parse.quote(report['report_id'])}")
    assert page.status_code == 200
    assert "镇.txt" in page.get_data(as_text=True)
    download = client.get(f"/reports/{report['report_id']}/source")
    assert download.status_code == 200
    assert download.data == (odd_names / SEED_FILES[0]).read_bytes()
