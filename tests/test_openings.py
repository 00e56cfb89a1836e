"""Metadata and sections of 32 invented report openings from 22 provinces (tests/fixtures/openings).

Each file covers patterns that real reports show: ethnic townships, names that begin
with 下/中/城/上/新, organ names glued to the front, slogans (依法治镇) that outnumber the
name, street offices, names shared by many places, traditional characters, split
titles, titles with no year, years only in a document number or date, thematic headings,
and responsibility as a sub-heading. expected.toml holds the truth for each field and
its source, and the fields a careful tool must warn about.
"""

import tomllib
from pathlib import Path

import pytest

from indexer.documents.report import parse_report

FOLDER = Path(__file__).parent / "fixtures" / "openings"
EXPECTED = tomllib.loads((FOLDER / "expected.toml").read_text(encoding="utf-8"))
CASES = sorted(EXPECTED)


@pytest.fixture(scope="module")
def parsed():
    return {name: parse_report(FOLDER / name) for name in CASES}


def warned_fields(report) -> set[str]:
    """The metadata fields a report's warnings are about."""
    fields = set()
    for warning in report.warnings:
        field = warning.split(":", 1)[0].split()[0]
        fields.add(field)
    return fields


def test_the_corpus_is_large_and_varied():
    assert len(CASES) >= 25
    assert len({e["province"] for e in EXPECTED.values()}) >= 12


@pytest.mark.parametrize("name", CASES)
def test_place_fields_and_their_sources(parsed, name):
    report, expected = parsed[name], EXPECTED[name]
    got = {f: getattr(report, f) or "" for f in ("township", "county", "prefecture", "province", "code")}
    assert got == {f: expected[f] for f in got}
    assert report.sources.get("township", "") == expected["township_source"]
    if expected["code"]:
        assert report.sources["county"] == "table"


@pytest.mark.parametrize("name", CASES)
def test_year_date_and_their_sources(parsed, name):
    report, expected = parsed[name], EXPECTED[name]
    assert (report.year or 0, report.sources.get("year", ""), report.date or "") == (
        expected["year"],
        expected["year_source"],
        expected["date"],
    )


@pytest.mark.parametrize("name", CASES)
def test_every_unsettled_or_weak_value_is_warned_about(parsed, name):
    assert warned_fields(parsed[name]) == set(EXPECTED[name]["warn"])


@pytest.mark.parametrize("name", CASES)
def test_heading_categories(parsed, name):
    report = parsed[name]
    section_of = {}
    for p in report.paragraphs:
        section_of.setdefault(p.text, p.section)
    for heading, category in EXPECTED[name]["headings"]:
        # A combined 存在问题及下一步 heading opens on its problems half.
        assert section_of[heading] == ("problems" if category == "problems+plans" else category), heading


def test_a_responsibility_sub_heading_makes_its_own_part_responsibility(parsed):
    report = parsed["05_mangshan.txt"]
    at = next(i for i, p in enumerate(report.paragraphs) if "第一责任人" in p.text and p.kind == "heading")
    heading = report.paragraphs[at]
    assert heading.section == "responsibility"
    body = report.paragraphs[at + 1]
    assert body.kind == "body" and body.section == "responsibility"
    before = report.paragraphs[at - 1]
    assert before.section == "measures"


def test_warnings_name_the_candidates_of_a_shared_name(parsed):
    warning = next(w for w in parsed["04_chengguan_bare.txt"].warnings if w.startswith("county"))
    assert "城关镇 is shared by 82 places" in warning
    assert "set county" in warning
