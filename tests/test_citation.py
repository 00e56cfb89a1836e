"""A citation in GB/T 7714-2015 form: [EB/OL] with the source URL, [R] without; the author is the
issuing body; a part the record lacks is left out, never guessed."""

from datetime import date

import pytest

from indexer.research.citation import author, citation, government_of

TODAY = date(2026, 12, 2)
TITLE = "关于2023年度法治政府建设情况的报告"
URL = "http://www.example.gov.cn/art/2024/1/15/art_1.html"


def record(**fields) -> dict:
    """A report's record (ReportMeta) of a township report, with the fields given changed."""
    base = {"township": "东和乡", "county": "上党区", "level": "乡镇", "title": TITLE, "date": "2024-01-15"}
    return {**base, **fields}


@pytest.mark.parametrize(
    "report, paragraph, expected",
    [
        (record(url=URL), None, f"东和乡人民政府. {TITLE}[EB/OL]. (2024-01-15)[2026-12-02]. {URL}."),
        (record(url=URL), 12, f"东和乡人民政府. {TITLE}[EB/OL]. (2024-01-15)[2026-12-02]: 第12段. {URL}."),
        (record(url=URL, date=None), 3, f"东和乡人民政府. {TITLE}[EB/OL]. [2026-12-02]: 第3段. {URL}."),
        (record(), None, f"东和乡人民政府. {TITLE}[R]. 2024."),
        (record(), 5, f"东和乡人民政府. {TITLE}[R]. 2024: 第5段."),
        # the year reported on is not the year of issue: without a date there is no year
        (record(date=None, year=2023), 5, f"东和乡人民政府. {TITLE}[R]: 第5段."),
        (record(township="城关街道"), 1, f"城关街道办事处. {TITLE}[R]. 2024: 第1段."),
        (record(township=None, level="未定"), 2, f"{TITLE}[R]. 2024: 第2段."),
        (record(title=None, source="上党区/东和乡2023.docx"), 2, "东和乡人民政府. 东和乡2023.docx[R]. 2024: 第2段."),
        (record(level="县级", township=None, county="襄汾县"), None, f"襄汾县人民政府. {TITLE}[R]. 2024."),
        (record(level="地市级", township=None, prefecture="长治市"), None, f"长治市人民政府. {TITLE}[R]. 2024."),
        (record(level="部门", township=None, county="襄汾县"), None, f"{TITLE}[R]. 2024."),
        (record(date="2024年1月"), 4, f"东和乡人民政府. {TITLE}[R]: 第4段."),  # not a date as stored: left out
    ],
)
def test_a_citation_has_the_parts_the_record_has(report, paragraph, expected):
    assert citation(report, paragraph, accessed=TODAY) == expected


def test_the_access_date_is_today_for_an_online_report():
    assert f"[{date.today().isoformat()}]" in citation(record(url=URL))
    assert "[" + date.today().isoformat() not in citation(record())


@pytest.mark.parametrize(
    "report, expected",
    [
        (
            record(issuer="长治市上党区东和乡人民政府"),
            "长治市上党区东和乡人民政府",
        ),  # the page's 发布机构, naming its place
        (record(issuer="上党区人民政府办公室"), "东和乡人民政府"),  # the county site's office that posted it
        (record(level="未定", township=None, issuer="某某镇人民政府"), "某某镇人民政府"),
        (record(township="某某苏木"), "某某苏木人民政府"),
        (record(township="某某农场"), None),  # no known body: left out
        (record(level="地市级", township=None, prefecture="阿里地区"), "阿里地区行政公署"),
        (record(level="园区", township=None), None),
    ],
)
def test_the_author_is_the_issuing_body(report, expected):
    assert author(report) == expected


@pytest.mark.parametrize(
    "place, body",
    [
        ("东和乡", "东和乡人民政府"),
        ("城关街道", "城关街道办事处"),
        ("德化县", "德化县人民政府"),
        ("", None),
        (None, None),
    ],
)
def test_government_of_a_place(place, body):
    assert government_of(place) == body
