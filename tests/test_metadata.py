"""Report metadata found in the five real reports, and the manifest that corrects it."""

import pytest

from indexer.documents.metadata import ManifestError, load_manifest
from indexer.documents.report import parse_report
from indexer.engine.build import BuildSummary, read_reports
from tests.conftest import report_path


@pytest.mark.parametrize(
    "prefix, township, county, prefecture, province, year, date",
    [
        ("000", "东和乡", "上党区", "长治市", "山西省", 2023, "2023-12-05"),
        ("001", "景毛乡", "襄汾县", "临汾市", "山西省", 2024, None),  # numbered 〔2025〕 but covers 2024
        ("002", "青山乡", "盐池县", "吴忠市", "宁夏回族自治区", 2022, None),  # 8 青山乡; 盐池县 is named
        ("003", "熊背乡", "鲁山县", "平顶山市", "河南省", 2023, None),
        ("004", "国宝乡", "德化县", "泉州市", "福建省", 2023, "2023-12-25"),
    ],
)
def test_metadata_of_each_report(prefix, township, county, prefecture, province, year, date):
    report = parse_report(report_path(prefix))
    assert (report.township, report.county, report.prefecture, report.province, report.year, report.date) == (
        township,
        county,
        prefecture,
        province,
        year,
        date,
    )
    assert report.code and report.code.startswith(report.code[:6])
    assert report.warnings == []


@pytest.mark.parametrize(
    "prefix, sources",
    [
        ("000", {"township": "letterhead", "county": "table", "year": "title", "date": "date", "title": "title"}),
        ("001", {"township": "title", "county": "table", "year": "title", "title": "title"}),
        ("002", {"township": "signature", "county": "table", "year": "title", "title": "title"}),
    ],
)
def test_each_value_records_its_source(prefix, sources):
    report = parse_report(report_path(prefix))
    assert {k: report.sources[k] for k in sources} == sources
    assert "date" in report.sources or report.date is None


@pytest.mark.parametrize(
    "prefix, title",
    [
        ("000", "关于 2023 年度法治政府建设情况的报告"),
        ("001", "中共景毛乡委员会 景毛乡人民政府 2024年法治政府建设年度报告"),
        ("003", "鲁山县熊背乡人民政府关于2023年法治政府建设情况的报告"),
        ("004", "国宝乡 2023 年法治政府建设年度报告"),
    ],
)
def test_title(prefix, title):
    assert parse_report(report_path(prefix)).title == title


def test_report_id_is_the_file_stem():
    assert parse_report(report_path("000")).report_id == report_path("000").stem


def test_missing_township_and_year_warn_with_the_file_name(tmp_path):
    (tmp_path / "unknown.txt").write_text(
        "一、工作情况\n\n我们认真做好了各项工作，取得了一定成效。\n", encoding="utf-8"
    )
    summary = BuildSummary()
    read_reports(tmp_path, summary)
    assert ("unknown.txt", "township not found; set it in manifest.toml") in summary.warnings
    assert ("unknown.txt", "year not found; set it in manifest.toml") in summary.warnings


def test_manifest_overrides_metadata(data_dir):
    name = report_path("001").name
    (data_dir / "manifest.toml").write_text(
        f'[files."{name}"]\ncounty = "泽州县"\ndate = "2025-01-10"\nyear = 2024\n', encoding="utf-8"
    )
    summary = BuildSummary()
    reports = {r.source: r for r in read_reports(data_dir, summary)}
    assert (reports[name].county, reports[name].date, reports[name].year) == ("泽州县", "2025-01-10", 2024)
    assert reports[name].township == "景毛乡"


@pytest.mark.parametrize(
    "content, message",
    [
        ('[files."a.txt"]\ncountry = "x"\n', "unknown field 'country'"),
        ('[files."a.txt"]\nyear = "2023"\n', "year must be a number"),
        ('[files."a.txt"]\ndate = "5 Dec 2023"\n', "date must look like"),
        ('[files."a.txt"\n', "not valid TOML"),
        ("[reports]\n", "unknown table 'reports'"),
    ],
)
def test_manifest_errors_name_the_problem(tmp_path, content, message):
    (tmp_path / "manifest.toml").write_text(content, encoding="utf-8")
    with pytest.raises(ManifestError, match=message):
        load_manifest(tmp_path)


def test_manifest_entry_for_a_missing_file_warns(data_dir):
    (data_dir / "manifest.toml").write_text('[files."gone.txt"]\nyear = 2020\n', encoding="utf-8")
    summary = BuildSummary()
    read_reports(data_dir, summary)
    assert any("gone.txt" in reason for _, reason in summary.warnings)
