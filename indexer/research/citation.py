"""A reference to a report, or to one of its paragraphs, in GB/T 7714-2015 form: the one citation
the site, the API, the exports and the command line give.

With a source URL it is an electronic resource:
    东和乡人民政府. 关于2023年度法治政府建设情况的报告[EB/OL]. (2023-12-05)[2026-12-02]: 第12段. http://….
without one, a report:
    东和乡人民政府. 关于2023年度法治政府建设情况的报告[R]. 2023: 第12段.

The date in parentheses is the report's own (成文日期), the one in brackets the day it was cited
(today); a [R] reference gives the year of the report's date, never the year it reports on. The
paragraph (第12段, this index's numbering) comes where the standard puts a page number: after the
date. A part the metadata lacks is left out, never guessed; a missing title is the file's name.
"""

from __future__ import annotations

import re
from datetime import date

from indexer.documents.levels import CITY_LEVEL, COUNTY_LEVEL, TOWNSHIP_LEVEL, UNSETTLED

#: What a place's government is called, by how its name ends (a name of no kind here has none).
_GOVERNMENT = (
    (re.compile(r"街道$"), "办事处"),
    (re.compile(r"(?:乡|镇|苏木)$"), "人民政府"),
    (re.compile(r"(?:地区|盟)$"), "行政公署"),  # before 区
    (re.compile(r"(?:县|旗|区|市|州)$"), "人民政府"),
)


def government_of(place: str | None) -> str | None:
    """The body that governs a place, by its name: 城关街道 → 城关街道办事处, 东和乡 → 东和乡人民政府,
    上党区 → 上党区人民政府; None for a name of another kind (a farm, a zone …)."""
    place = (place or "").strip()
    for ending, body in _GOVERNMENT:
        if place and ending.search(place):
            return place + body
    return None


def author(report: dict) -> str | None:
    """The issuing body: the page's 发布机构 when it names the report's own place (a county site may
    name the office that posted a township's report), else the government of the report's own place
    (a township's, a county's or a city's report); None when neither is known."""
    level = report.get("level") or UNSETTLED
    own = {
        TOWNSHIP_LEVEL: report.get("township"),
        UNSETTLED: report.get("township"),
        COUNTY_LEVEL: report.get("county"),
        CITY_LEVEL: report.get("prefecture"),
    }.get(level)
    issuer = (report.get("issuer") or "").strip()
    if issuer and (not own or own in issuer):
        return issuer
    return government_of(own)


def citation(report: dict, paragraph: int | None = None, accessed: date | None = None) -> str:
    """The GB/T 7714-2015 reference to a report's record (ReportMeta: title, date, url, places,
    issuer …), or to its paragraph; accessed is the citing day (default today) for one with a URL."""
    body = author(report)
    title = (report.get("title") or "").strip() or _file_name(report.get("source"))
    url = report.get("url")
    issued = report.get("date") or ""
    issued = issued if re.fullmatch(r"\d{4}-\d{2}-\d{2}", issued) else ""
    where = f": 第{paragraph}段" if paragraph else ""
    head = f"{body}. " if body else ""
    if url:
        day = (accessed or date.today()).isoformat()
        dates = (f"({issued})" if issued else "") + f"[{day}]"
        return f"{head}{title}[EB/OL]. {dates}{where}. {url}."
    year = f". {issued[:4]}" if issued else ""
    return f"{head}{title}[R]{year}{where}."


def _file_name(source: str | None) -> str:
    return (source or "").replace("\\", "/").rsplit("/", 1)[-1]
