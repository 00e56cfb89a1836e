"""The level of a report: whose report it is, read from the body that issued it.

A township's report (乡镇: a 镇, 乡, 民族乡, 街道 or 苏木) is what the collection is about, but
users' folders hold others too: a county's (县级: a county, district, banner or county-level
city), a city's (地市级), a bureau's or office's of any level (部门: a 局, 办, 委员会 …) and a
development zone's (园区: 开发区, 管委会, 园区). The issuing body is named before 关于 in the
title, as the letterhead, in the signature, or as the page's 发布机构; the first that names
one decides. A report whose issuer is not found is 未定 (the township search may still make
it a township report).
"""

from __future__ import annotations

import re

from indexer.documents.places import COUNTY, PREFECTURE, PROVINCE, TOWNSHIP, Gazetteer

TOWNSHIP_LEVEL, COUNTY_LEVEL, CITY_LEVEL, DEPARTMENT, ZONE, UNSETTLED = "乡镇", "县级", "地市级", "部门", "园区", "未定"
#: Every level, in the order facets list them.
LEVELS = (TOWNSHIP_LEVEL, COUNTY_LEVEL, CITY_LEVEL, DEPARTMENT, ZONE, UNSETTLED)
#: How warnings name a report that is not a township's.
LEVEL_NAMES = {
    COUNTY_LEVEL: "county-level report",
    CITY_LEVEL: "prefecture-level report",
    DEPARTMENT: "department report",
    ZONE: "development-zone report",
}
#: The place level each report level's own place is at (a department's or zone's: the finest found).
OWN_PLACE = {TOWNSHIP_LEVEL: TOWNSHIP, COUNTY_LEVEL: COUNTY, CITY_LEVEL: PREFECTURE}

_ZONE = re.compile(r"开发区|园区|管委会|管理委员会|高新区|保税区|合作区|试验区|产业园|示范区")
#: A department's name ends so (县委 and 镇委员会 are party committees: a place's, not a department's).
_DEPARTMENT = re.compile(r"(?:局|办公室|办|中心|厅|委员会|委)$")
_ORGAN = re.compile(r"(?:人民政府|政府|党委|党工委|委员会|办事处|委|人大常委会|人大|公所)$")
_PLACE_END = re.compile(r"(?:镇|乡|街道|苏木|县|旗|区|市|州|盟|地区)$")
_AUTHOR_END = re.compile(r"关于|法治|依法")
_YEAR = re.compile(r"(?:19|20)\d{2}\s*年度?|二[〇○零][〇○零一二三四五六七八九]{2}\s*年度?")
_NOISE = re.compile(r"^中共|文件$|（[^）]*）$|\s+")
_LEVEL_OF = {TOWNSHIP: TOWNSHIP_LEVEL, COUNTY: COUNTY_LEVEL, PREFECTURE: CITY_LEVEL}


def issuers(zones, page_meta: dict[str, str] | None) -> list[tuple[str, str]]:
    """(issuing body as written, source) candidates, most trusted first: the title's author,
    the letterhead, the signature, the page's 发布机构, then the title's subject (关于XX县…)."""
    found: list[tuple[str, str]] = []
    subjects: list[tuple[str, str]] = []
    for line in zones.text("title"):
        line = _YEAR.sub(" ", line)
        cut = _AUTHOR_END.search(line)
        head = line[: cut.start()] if cut else line
        found += [(part, "title") for part in reversed(head.split())]
        if cut and cut.group() == "关于":
            rest = line[cut.end() :]
            after = _AUTHOR_END.search(rest)
            subjects += [(part, "title") for part in (rest[: after.start()] if after else rest).split()[:1]]
    found += [(line, "letterhead") for line in zones.text("letterhead")]
    found += [(line, "signature") for line in zones.text("signature") if len(line) <= 30]
    organ = (page_meta or {}).get("发布机构", "").strip()
    if organ:
        found.append((organ, "page metadata"))
    return found + subjects


def level_of_issuer(gaz: Gazetteer, text: str) -> tuple[str, str]:
    """(level, the place the issuer names, '' if none) of one issuing body; UNSETTLED when it names none."""
    text = _NOISE.sub("", text.strip())
    text = _NOISE.sub("", text)  # 中共XX文件: both ends
    if not text or len(text) > 30:
        return UNSETTLED, ""
    if _ZONE.search(text):
        return ZONE, _place_in(gaz, text)[1]
    organ = _ORGAN.search(text)
    place_text = text[: organ.start()] if organ else text
    level, place = _place_level(gaz, place_text)
    if level != UNSETTLED:
        return level, place
    if _DEPARTMENT.search(text):
        return DEPARTMENT, _place_in(gaz, text)[1]
    return UNSETTLED, ""


def _place_level(gaz: Gazetteer, text: str) -> tuple[str, str]:
    """The level of the place that text ends with (XX县 → 县级), and its name."""
    for level in (COUNTY, TOWNSHIP, PREFECTURE):
        ends = [m for m in gaz.mentions(text, level) if m.end == len(text)]
        if ends:
            name = max(ends, key=lambda m: len(m.name)).name
            if level == TOWNSHIP and len(name) == 2 and len(text) > 2:
                continue  # 城区, 新区: a two-character name inside a longer one is no township
            return _LEVEL_OF[level], name
    if gaz.mentions(text, PROVINCE) and any(m.end == len(text) for m in gaz.mentions(text, PROVINCE)):
        return UNSETTLED, ""
    suffix = _PLACE_END.search(text)
    if not suffix or len(text) < 2:
        return UNSETTLED, ""
    end = suffix.group()
    if end in ("镇", "乡", "街道", "苏木"):
        return TOWNSHIP_LEVEL, text
    if end in ("县", "旗", "区"):
        return COUNTY_LEVEL, text
    return CITY_LEVEL, text


def _place_in(gaz: Gazetteer, text: str) -> tuple[int, str]:
    """The finest place named in text (level, name): a department's or a zone's."""
    for level in (COUNTY, PREFECTURE):
        mentions = gaz.mentions(text, level, min_chars=3)
        if mentions:
            return level, mentions[-1].name
    return 0, ""


def report_level(gaz: Gazetteer, zones, page_meta: dict[str, str] | None = None) -> tuple[str, str, str]:
    """(level, the place its issuer names, source) of a report, from the first issuer that names a level."""
    for text, source in issuers(zones, page_meta):
        level, place = level_of_issuer(gaz, text)
        if level != UNSETTLED:
            return level, place, source
    return UNSETTLED, "", ""
