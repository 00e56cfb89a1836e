"""Report metadata: township and its hierarchy, year, date and title, each with its source.

Every value records where it came from (`title`, `letterhead`, `opening`, `signature`,
`body`, `heading`, `document number`, `date`, `page metadata`, `issuer`, `table`,
`manifest`, `folder`). A value that rests on a weak clue, or on which the sources disagree,
comes with a warning naming the field and the candidates, so no filter hides a
report silently.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from indexer.documents.formats.furniture import ISSUER_LABELS, NUMBER_LABELS
from indexer.documents.levels import (
    LEVEL_NAMES,
    LEVELS,
    OWN_PLACE,
    TOWNSHIP_LEVEL,
    UNSETTLED,
    report_level,
)
from indexer.documents.paragraphs import closing_block_start
from indexer.documents.places import (
    COUNTY,
    LEVEL_FIELDS,
    PREFECTURE,
    PROVINCE,
    TOWNSHIP,
    Gazetteer,
    Place,
    gazetteer,
)
from indexer.documents.sections import PROBLEMS_AND_PLANS, keyword_category, shape_of
from indexer.documents.source_url import absolute_url
from indexer.text.normalize import simplify

MANIFEST_NAME = "manifest.toml"
MANIFEST_FIELDS = {"township", "county", "prefecture", "province", "year", "date", "title", "level", "url"}
PLACE_FIELDS = ("province", "prefecture", "county", "township")

#: What the site calls each source of a value.
SOURCE_NAMES = {
    "title": "据标题",
    "letterhead": "据文头",
    "signature": "据落款",
    "opening": "据开头段",
    "body": "据正文",
    "heading": "据小标题",
    "document number": "据文号",
    "date": "据成文日期",
    "page metadata": "据网页信息",
    "issuer": "据发布机构",
    "table": "据行政区划表",
    "manifest": "据 manifest.toml",
    "folder": "据文件夹名",
    "saved-from": "据网页保存地址",
    "canonical": "据网页的规范链接",
    "og:url": "据网页的 og:url",
}

#: How much a mention of a township counts in each part of the report.
#: The issuer is the page's 发布机构 (page metadata): the author, as a signature is, but not the text.
ZONE_WEIGHTS = {"title": 10, "letterhead": 8, "signature": 8, "issuer": 8, "opening": 3, "body": 1}
#: Zones in the order their evidence is trusted, for naming the source of a value.
ZONE_TRUST = ("title", "letterhead", "signature", "issuer", "opening", "body")

_TITLE_END = re.compile(r"(报告|总结|汇报|情况)$")
_MARKS = re.compile(r"[，。；：！？,;:!?]")
_ORGAN_AFTER = re.compile(r"^(人民政府|党委|委员会|党工委|办事处|政府|人大|法治|关于|\d{4}|二[〇○零])")
_ANCHOR_BEFORE = ("中共", "关于", "我们")
_CN_DIGITS = dict(zip("〇零○一二三四五六七八九", "000123456789"))
_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_YEAR_TEXT = r"((?:19|20)\d{2}|[二][〇○零][一二三四五六七八九〇○零][〇○零一二三四五六七八九])"
_YEAR = re.compile(_YEAR_TEXT + r"\s*年")
_RANGE = re.compile(r"(?:19|20)\d{2}\s*[-－—–~～至到]\s*" + _YEAR_TEXT + r"\s*年|" + _YEAR_TEXT + r"\s*[-－—–~～至到]")
_QUOTED = re.compile(r"《[^》]*》|“[^”]*”")
_OPENING_YEAR = re.compile(
    r"(?:^|现将|关于|^在|[，,。；;]\s*)" + _YEAR_TEXT + r"\s*年(?:度)?(?=以来|来|[，,]|是|我|全|，)"
)
_REPORT_ON = re.compile(r"现(?:将|对|就|把)(.{0,40}?)(?:报告|汇报|总结|通报)如下")
_NUMBER_LINE = re.compile(r"[\u4e00-\u9fff]{1,12}[〔\[［【(（]\s*(?:19|20)\d{2}\s*[〕\]］】)）]\s*\d{1,4}\s*号")
_DOC_NUMBER = re.compile(r"[〔\[［【(（]\s*((?:19|20)\d{2})\s*[〕\]］】)）]\s*\d{1,4}\s*号")
_DATE = re.compile(
    r"^([0-9０-９〇零○一二三四五六七八九]{4})\s*年\s*([0-9０-９十一二三四五六七八九]{1,3})\s*月\s*"
    r"([0-9０-９十一二三四五六七八九]{1,3})\s*日$"
)
_ISO_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_STATED = re.compile(
    r"^(?:中共)?([\u4e00-\u9fff]{2,10}?(?:乡|镇|街道|苏木))(?:人民政府|党委|委员会|党工委|办事处|政府|关于|"
    r"\d{4}|二[〇○零]|法治)"
)


@dataclass
class Metadata:
    """What is known about one report; None where it could not be found."""

    township: str | None = None
    county: str | None = None
    prefecture: str | None = None
    province: str | None = None
    code: str | None = None
    year: int | None = None
    date: str | None = None
    title: str | None = None
    #: The division code of each place found (province_code … township_code), from the table.
    province_code: str | None = None
    prefecture_code: str | None = None
    county_code: str | None = None
    township_code: str | None = None
    level: str = UNSETTLED  # levels.LEVELS: whose report it is
    #: The page's 发布机构 and 发文字号, when a saved page shows them (or the text states a number).
    issuer: str | None = None
    document_number: str | None = None
    #: The report's source URL (原文链接): manifest.toml's, else the saved page's own (source_url.py).
    url: str | None = None
    sources: dict[str, str] = field(default_factory=dict)
    #: (field, message) for each value that is missing, doubtful or disputed.
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def set(self, name: str, value, source: str) -> None:
        setattr(self, name, value)
        self.sources[name] = source

    def warn(self, name: str, message: str) -> None:
        self.warnings.append((name, message))


@dataclass
class Zones:
    """A report's lines (simplified characters) grouped by the part of the report they are in."""

    lines: list[str]
    title: list[int]
    letterhead: list[int]
    opening: list[int]
    addressee: list[int]
    headings: list[int]
    signature: list[int]
    #: The page's 发布机构, as a line after the report's own (see add_issuer).
    issuer: list[int] = field(default_factory=list)

    def text(self, zone: str) -> list[str]:
        if zone == "body":
            return self.lines
        return [self.lines[i] for i in getattr(self, zone)]


# -- zones and title ----------------------------------------------------------------------


def find_zones(lines: list[str]) -> Zones:
    """Title, letterhead, addressee, opening, headings and signature of a report's lines."""
    lines = [simplify(line.lstrip("#").strip()) for line in lines]
    title = _title_lines(lines)
    start = title[-1] + 1 if title else 0
    headings = [i for i, line in enumerate(lines) if i >= start and _is_top_heading(line)]
    first_heading = next((i for i in headings), len(lines))
    closing = closing_block_start(lines)
    addressee, opening = [], []
    for i in range(start, min(first_heading, closing, start + 6)):
        line = lines[i]
        if line.endswith(("：", ":")) and len(line) <= 30 and "如下" not in line and not opening:
            addressee.append(i)
        elif len(opening) < 3:
            opening.append(i)
    signature = list(range(max(closing, first_heading + 1 if headings else start), len(lines)))
    letterhead = list(range(0, title[0])) if title else []
    return Zones(lines, title, letterhead, opening, addressee, headings, signature)


def add_issuer(zones: Zones, issuer: str | None) -> None:
    """Put the page's 发布机构 among the lines, as a zone of its own: a clue to the place."""
    if issuer:
        zones.issuer = [len(zones.lines)]
        zones.lines.append(simplify(issuer))


def _is_top_heading(line: str) -> bool:
    shape = shape_of(line)
    return shape.level == 1 and shape.pure


def _title_lines(lines: list[str]) -> list[int]:
    """Indexes of the title's line or lines (a title may be split over two)."""
    for i, line in enumerate(lines[:10]):
        text = line.rstrip("。")
        if not _TITLE_END.search(text) or _MARKS.search(text) or len(text) > 70 or shape_of(text).level:
            continue
        if len(text) < 6 or text.endswith("情况") and "法治" not in text:
            continue
        if i > 0 and _continues_into(lines[i - 1], text):
            return [i - 1, i]
        return [i]
    return []


def _continues_into(previous: str, line: str) -> bool:
    """Whether the line before a title is its first half (a title split over two lines)."""
    if _MARKS.search(previous) or len(previous) > 40 or previous.endswith(("文件", "号", "〕", "]", "）")):
        return False
    if "关于" in previous and "关于" not in line or previous.endswith(("年", "年度", "关于")):
        return True
    return "法治" in previous and "法治" not in line and not previous.endswith(("人民政府", "委员会", "办事处"))


def title_of(zones: Zones, raw_lines: list[str]) -> str | None:
    """The title as written (joined when split over two lines)."""
    if not zones.title:
        return None
    return "".join(raw_lines[i].lstrip("#").strip() for i in zones.title)


# -- places -------------------------------------------------------------------------------


def _township_mentions(gaz: Gazetteer, text: str) -> list:
    """Township names in text: three characters or more anywhere, two only where anchored."""
    return [m for m in gaz.mentions(text, TOWNSHIP) if len(m.name) >= 3 or _anchored(gaz, text, m.start)]


def _anchored(gaz: Gazetteer, text: str, start: int) -> bool:
    """A name starts a line, follows a non-Chinese character, 中共/关于, or a higher-level place name."""
    if start == 0 or not ("\u3400" <= text[start - 1] <= "\u9fff"):
        return True
    before = text[max(0, start - 12) : start]
    if before.endswith(_ANCHOR_BEFORE):
        return True
    return any(m.end == len(before) for lvl in (COUNTY, PREFECTURE, PROVINCE) for m in gaz.mentions(before, lvl))


def find_township(gaz: Gazetteer, zones: Zones) -> tuple[str | None, str | None, list[str]]:
    """The township's name, the zone it is best attested in, and notes on weak evidence."""
    scores: dict[str, float] = defaultdict(float)
    best_zone: dict[str, str] = {}
    body_counts: dict[str, int] = defaultdict(int)
    for zone in ZONE_TRUST:
        for line in zones.text(zone):
            for m in _township_mentions(gaz, line):
                if zone == "body":
                    body_counts[m.name] += 1
                    continue
                bonus = 3 if _ORGAN_AFTER.match(line[m.end :]) else 0
                scores[m.name] += ZONE_WEIGHTS[zone] + bonus
                best_zone.setdefault(m.name, zone)
    for name, count in body_counts.items():
        scores[name] += min(count, 10) * ZONE_WEIGHTS["body"]
        best_zone.setdefault(name, "body")
    stated = _stated_name(gaz, zones)
    strong = {n for n, z in best_zone.items() if z in ("title", "letterhead", "signature", "issuer")}
    if stated and stated not in scores and not strong:
        return (
            stated,
            _zone_of(zones, stated),
            [f"township {stated} is not in the division table ({gaz.edition}); new or renamed?"],
        )
    if not scores:
        return _slogan_name(gaz, zones)
    name = max(scores, key=lambda n: (scores[n], len(n)))
    notes = []
    if best_zone[name] == "body" and body_counts[name] < 2:
        notes.append(f"township {name} rests on one mention in the body")
    elif best_zone[name] in ("opening", "body"):
        rivals = sorted((n for n in scores if n != name and scores[n] >= scores[name] / 2), key=lambda n: -scores[n])
        if rivals:
            notes.append(
                f"township {name} is not named in the title or signature; candidates: " + ", ".join([name] + rivals[:4])
            )
    return name, best_zone[name], notes


_SLOGAN = re.compile(r"法治([\u4e00-\u9fff]{2,4}?)(?:建设|”|\")")
_SELF = re.compile(r"(?:我|本|全)(镇|乡)|(街道)(?:党工委|办事处)")


def _slogan_name(gaz: Gazetteer, zones: Zones) -> tuple[str | None, str | None, list[str]]:
    """A township named only in a slogan (推进“法治东里”建设) and a self-reference (我镇): weak."""
    text = "\n".join(zones.lines)
    suffixes = {m.group(1) or m.group(2) for m in _SELF.finditer(text)}
    found = {m.group(1) + suffix for m in _SLOGAN.finditer(text) for suffix in suffixes}
    names = sorted(n for n in found if gaz.places_named(n, TOWNSHIP))
    if len(names) != 1:
        return None, None, []
    return (
        names[0],
        "body",
        [
            f"township {names[0]} is inferred from the slogan 法治{names[0][:-1]} "
            "and is not named in the title or signature"
        ],
    )


def _stated_name(gaz: Gazetteer, zones: Zones) -> str | None:
    """A township named as the author in the title, letterhead or signature, table or not."""
    for zone in ("title", "letterhead", "signature", "issuer"):
        for line in zones.text(zone):
            rest = line.removeprefix("中共").removeprefix("关于")
            while True:  # strip the higher-level places written before the township
                lead = [
                    m for lvl in (PROVINCE, PREFECTURE, COUNTY) for m in gaz.mentions(rest[:12], lvl) if m.start == 0
                ]
                if not lead:
                    break
                rest = rest[max(m.end for m in lead) :]
            m = _STATED.match(rest)
            if m:
                return m.group(1)
    return None


def _zone_of(zones: Zones, name: str) -> str:
    for zone in ZONE_TRUST:
        if any(name in line for line in zones.text(zone)):
            return zone
    return "body"


def place_clues(gaz: Gazetteer, zones: Zones, folder: str | None) -> list[tuple[Place, str]]:
    """Provinces, prefectures and counties named in the text or the folder path, with their source."""
    clues: list[tuple[Place, str]] = []
    for zone in ZONE_TRUST:
        for line in zones.text(zone) + (zones.text("addressee") if zone == "opening" else []):
            # a county's name inside a township's (西城区 in 西城区街道) names no county
            towns = [(t.start, t.end) for t in gaz.mentions(line, TOWNSHIP, min_chars=3)]
            for level in (PROVINCE, PREFECTURE, COUNTY):
                for m in gaz.mentions(line, level, min_chars=3):
                    if not any(a <= m.start and m.end <= b and b - a > m.end - m.start for a, b in towns):
                        clues.extend((p, zone) for p in m.places)
    for part in PurePosixPath(folder or "").parts[:-1]:
        part = simplify(part)
        for level in (PROVINCE, PREFECTURE, COUNTY):
            for places in (gaz.places_named(part, level), *(m.places for m in gaz.mentions(part, level))):
                clues.extend((p, "folder") for p in places)
    return clues


def resolve_place(
    gaz: Gazetteer, name: str, clues: list[tuple[Place, str]], level: int = TOWNSHIP
) -> tuple[Place | None, list[Place], str]:
    """The division a name of the level refers to, settled by the places named around it.

    Each place named counts once per part of the report (or the folder path) it is named in,
    by its level (a county says more than a province), so a county named again and again in
    the body does not outweigh the folder the user filed the report in.
    Returns (place or None, the candidates, the source that settled it).
    """
    candidates = list(gaz.places_named(name, level))
    if len(candidates) <= 1:
        return (candidates[0] if candidates else None), candidates, "table"
    weight = {COUNTY: 4, PREFECTURE: 2, PROVINCE: 1}
    scored = []
    clues = list(dict.fromkeys((clue, where) for clue, where in clues if clue.level < level))
    for place in candidates:
        score, source = 0, ""
        for clue, where in clues:
            if gaz.is_within(place, clue):
                score += weight[clue.level]
                source = source or where
        scored.append((score, place, source))
    scored.sort(key=lambda s: -s[0])
    if scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        return scored[0][1], candidates, scored[0][2]
    return None, candidates, ""


def _describe(gaz: Gazetteer, place: Place) -> str:
    lineage = gaz.lineage(place)
    return "".join(lineage[f].name for f in PLACE_FIELDS if f in lineage and f != "township")


def stated_county(gaz: Gazetteer, zones: Zones, clues: list[tuple[Place, str]]) -> tuple[Place | None, str]:
    """A county the report names as its own (in the title, letterhead, addressee or signature), if one."""
    own = [(p, z) for p, z in clues if p.level == COUNTY and z in ("title", "letterhead", "signature", "issuer")]
    for i in zones.addressee:
        own += [(p, "opening") for m in gaz.mentions(zones.lines[i], COUNTY, 3) for p in m.places]
    names = {p.name for p, _ in own}
    if len(names) != 1:
        return None, ""
    places = {p.code: (p, z) for p, z in own}
    if len(places) == 1:
        return next(iter(places.values()))
    higher = [c for c, _ in clues if c.level in (PREFECTURE, PROVINCE)]
    settled = [(p, z) for p, z in places.values() if any(gaz.is_within(p, h) for h in higher)]
    return settled[0] if len(settled) == 1 else (None, "")


def apply_place(meta: Metadata, gaz: Gazetteer, place: Place, source: str, down_to: str = "township") -> None:
    """Set province … down_to (names and codes) from a division of the table; a township sets the
    report's code."""
    lineage = gaz.lineage(place)
    for name in PLACE_FIELDS:
        if name in lineage:
            meta.set(name, lineage[name].name, source if name == down_to else "table")
            setattr(meta, f"{name}_code", lineage[name].code)
        if name == down_to:
            break
    if down_to == "township":
        meta.set("code", place.code, "table")


def find_places(
    meta: Metadata, gaz: Gazetteer, zones: Zones, folder: str | None, page_meta: dict[str, str] | None = None
) -> None:
    """Level, township, county, prefecture, province and code, from the text, the folder and the table."""
    level, named, source = report_level(gaz, zones, page_meta)
    if level not in (TOWNSHIP_LEVEL, UNSETTLED):
        meta.set("level", level, source)
        find_own_place(meta, gaz, zones, folder, level, named)
        return
    find_township_places(meta, gaz, zones, folder)
    if level == UNSETTLED and meta.township:
        source = meta.sources["township"]
    meta.set("level", TOWNSHIP_LEVEL if meta.township else UNSETTLED, source or "table")


def find_own_place(meta: Metadata, gaz: Gazetteer, zones: Zones, folder: str | None, level: str, named: str) -> None:
    """The place of a report that is not a township's: the one its issuer names (a county's, a
    city's), settled like a township name by the places around it, else the finest place its
    folder names; no township. The warning says whose report it is."""
    clues = place_clues(gaz, zones, folder)
    place = None
    for place_level in (OWN_PLACE.get(level), COUNTY, PREFECTURE):
        if named and place_level and place is None:
            place, _, _ = resolve_place(gaz, named, clues, place_level)
    if place is not None:
        apply_place(meta, gaz, place, meta.sources["level"], down_to=LEVEL_FIELDS[place.level])
    else:
        _apply_folder_place(meta, gaz, clues)
    if place is None and level in OWN_PLACE and not meta.county and not meta.prefecture:
        meta.warn("county", f"the place of this {LEVEL_NAMES[level]} ({named or '?'}) is not settled; set county")
    own = meta.county_code or meta.prefecture_code or meta.province_code
    if own:
        meta.set("code", own, "table")
    whose = named or meta.county or meta.prefecture or "?"
    meta.warn("level", f"not a township report: {LEVEL_NAMES[level]} of {whose}")


def _apply_folder_place(meta: Metadata, gaz: Gazetteer, clues: list[tuple[Place, str]]) -> bool:
    """Set the finest place the folder path names alone (a county, else a prefecture or province)."""
    for level in (COUNTY, PREFECTURE, PROVINCE):
        named = {p.code: p for p, where in clues if where == "folder" and p.level == level}
        if len(named) > 1:  # a name shared by several: the higher folders may settle it
            higher = [p for p, where in clues if where == "folder" and p.level < level]
            named = {c: p for c, p in named.items() if all(gaz.is_within(p, h) for h in higher)} if higher else named
        if len(named) == 1:
            apply_place(meta, gaz, next(iter(named.values())), "folder", down_to=LEVEL_FIELDS[level])
            return True
    return False


def find_township_places(meta: Metadata, gaz: Gazetteer, zones: Zones, folder: str | None) -> None:
    """Township, county, prefecture, province and code of a township's report."""
    name, zone, notes = find_township(gaz, zones)
    for note in notes:
        meta.warn("township", note)
    clues = place_clues(gaz, zones, folder)
    candidates: list[Place] = []
    if name:
        place, candidates, _ = resolve_place(gaz, name, clues)
        if place is not None:
            apply_place(meta, gaz, place, zone)
            _check_county_agrees(meta, gaz, place, zones, clues)
            return
        meta.set("township", name, zone)
    county, where = stated_county(gaz, zones, clues)
    if county is not None:
        apply_place(meta, gaz, county, where, down_to="county")
    elif _apply_folder_place(meta, gaz, clues):
        county = gaz.by_code.get(meta.county_code or "")
    if len(candidates) > 1:
        listed = "; ".join(_describe(gaz, p) + name for p in candidates[:6])
        more = f" and {len(candidates) - 6} more" if len(candidates) > 6 else ""
        if county is not None:
            meta.warn(
                "township",
                f"none of the {len(candidates)} places named {name} in the table is in "
                f"{county.name}: {listed}{more}; check the name",
            )
        else:
            meta.warn(
                "county",
                f"township {name} is shared by {len(candidates)} places and nothing in the "
                f"text settles which: {listed}{more}; set county",
            )


def _check_county_agrees(meta: Metadata, gaz: Gazetteer, place: Place, zones: Zones, clues) -> None:
    county, _ = stated_county(gaz, zones, clues)
    who = "the report names"
    if county is None:  # the county the report is filed under, when its folders name one
        filed = {p.code: p for p, where in clues if where == "folder" and p.level == COUNTY}
        county, who = (next(iter(filed.values())), "its folder names") if len(filed) == 1 else (None, who)
    if county is not None and not gaz.is_within(place, county):
        meta.warn(
            "county",
            f"{who} {county.name}, but the table puts {meta.township} "
            f"in {meta.county}; candidates: {meta.county}, {county.name}",
        )


# -- year and date ------------------------------------------------------------------------


def _year_value(text: str) -> int:
    return int("".join(_CN_DIGITS.get(c, c) for c in text).translate(_DIGITS))


def _years_in(text: str) -> list[int]:
    """Years written as 2023年 / 二〇二三年, leaving out ranges and quoted titles (《…2021-2025年》)."""
    text = _QUOTED.sub("", text)
    text = _RANGE.sub("", text)
    return [_year_value(m.group(1)) for m in _YEAR.finditer(text)]


def year_candidates(zones: Zones, date: str | None, page_meta: dict[str, str]) -> list[tuple[int, str]]:
    """(year covered, source) from every place a report states it, most trusted first."""
    found: list[tuple[int, str]] = []
    for line in zones.text("title"):
        found += [(y, "title") for y in _years_in(line)[:1]]
    for line in zones.text("opening"):
        clean = _RANGE.sub("", _QUOTED.sub("", line))
        report_on = _REPORT_ON.search(clean)
        years = _years_in(report_on.group(1)) if report_on else []
        years += [_year_value(m.group(1)) for m in _OPENING_YEAR.finditer(clean)]
        found += [(years[0], "opening")] if years else []
    heading_years = []
    for line in zones.text("headings"):
        if keyword_category(line) in ("rectification", "plans", PROBLEMS_AND_PLANS):
            continue  # these name last year's inspection or next year's plans
        heading_years += _years_in(line)[:1]
    if heading_years:
        found.append((max(set(heading_years), key=heading_years.count), "heading"))
    numbers = zones.text("letterhead") + zones.text("title") + [page_value(page_meta, NUMBER_LABELS) or ""]
    for line in numbers:
        m = _DOC_NUMBER.search(line)
        if m:
            issued = int(m.group(1))
            same_year = date is not None and int(date[:4]) == issued
            found.append((_covered_by(date) if same_year else issued - 1, "document number"))
            break
    if date:
        found.append((_covered_by(date), "date"))
    page_date = page_metadata_date(page_meta, ("成文日期", "发布日期", "发布时间", "日期"))
    if page_date:
        found.append((_covered_by(page_date), "page metadata"))
    return found


def page_value(page_meta: dict[str, str], keys: tuple[str, ...]) -> str | None:
    """The first non-empty value under keys of a page's metadata list."""
    return next((page_meta[key].strip() for key in keys if page_meta.get(key, "").strip()), None)


def document_number(lines: list[str], page_meta: dict[str, str]) -> tuple[str | None, str]:
    """The document number (某政发〔2026〕3号): the page's 发文字号, else a letterhead line's."""
    number = page_value(page_meta, NUMBER_LABELS)
    if number:
        return number, "page metadata"
    for line in lines[:6]:  # a line of its own above the title, as a letterhead prints it
        m = _NUMBER_LINE.fullmatch(line.strip())
        if m:
            return m.group(0), "letterhead"
    return None, ""


def page_metadata_date(page_meta: dict[str, str], keys: tuple[str, ...]) -> str | None:
    """The first date (YYYY-MM-DD) found under keys of a web page's metadata list."""
    for key in keys:
        m = _ISO_DATE.search(page_meta.get(key, ""))
        if m:
            return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    return None


def _covered_by(date: str) -> int:
    """The year a report written on date most likely covers: that year from September, else the year before."""
    year, month = int(date[:4]), int(date[5:7])
    return year if month >= 9 else year - 1


#: Sources that state the year; the others infer it (a report written in 2025 usually covers 2024).
STATED_YEAR_SOURCES = ("title", "opening", "heading", "manifest")


def choose_year(meta: Metadata, candidates: list[tuple[int, str]]) -> None:
    if not candidates:
        return
    year, source = candidates[0]
    meta.set("year", year, source)
    stated = [(y, s) for y, s in candidates if s in STATED_YEAR_SOURCES]
    listed = ", ".join(f"{y} ({s})" for y, s in candidates)
    if not stated:
        meta.warn("year", f"year {year} is inferred from the {source}, not stated; candidates: {listed}")
        return
    disagree = {y for y, s in stated} - {year}
    if disagree:
        meta.warn("year", f"sources disagree; took {year} from the {source}; candidates: {listed}")
    elif meta.date and int(meta.date[:4]) not in (year, year + 1):
        meta.warn("year", f"year {year} ({source}) does not fit the date {meta.date}")


def _cn_number(text: str) -> int:
    text = "".join(_CN_DIGITS.get(c, c) for c in text).translate(_DIGITS)
    if text.isdigit():
        return int(text)
    if "十" in text:  # 十, 十二, 二十, 二十五
        tens, _, ones = text.partition("十")
        return int(tens or 1) * 10 + int(ones or 0)
    raise ValueError(text)


def find_date(lines: list[str]) -> str | None:
    """The date the report was written, from its closing lines, as YYYY-MM-DD."""
    for line in reversed(lines[-6:]):
        m = _DATE.match(line.strip())
        if m:
            try:
                year = _year_value(m.group(1))
                month, day = _cn_number(m.group(2)), _cn_number(m.group(3))
            except ValueError:
                continue
            if 1 <= month <= 12 and 1 <= day <= 31:
                return f"{year:04d}-{month:02d}-{day:02d}"
    return None


# -- the whole ----------------------------------------------------------------------------


def extract_metadata(lines: list[str], folder: str | None = None, page_meta: dict[str, str] | None = None) -> Metadata:
    """Metadata of a report from its non-empty lines, the path it was found at and its page metadata."""
    gaz = gazetteer()
    page_meta = page_meta or {}
    zones = find_zones(lines)
    meta = Metadata()
    title = title_of(zones, lines)
    if title:
        meta.set("title", title, "title")
    elif page_value(page_meta, ("标题", "名称")):
        meta.set("title", page_value(page_meta, ("标题", "名称")), "page metadata")
    issuer = page_value(page_meta, ISSUER_LABELS)
    if issuer:
        meta.set("issuer", issuer, "page metadata")
    number, where = document_number(lines, page_meta)
    if number:
        meta.set("document_number", number, where)
    add_issuer(zones, issuer)
    find_places(meta, gaz, zones, folder, page_meta)
    date = find_date(lines)
    if date:
        meta.set("date", date, "date")
    elif page_metadata_date(page_meta, ("成文日期",)):
        meta.set("date", page_metadata_date(page_meta, ("成文日期",)), "page metadata")
    choose_year(meta, year_candidates(zones, meta.date if date else None, page_meta))
    if meta.year is None:
        for part in PurePosixPath(folder or "").parts[:-1]:
            if re.fullmatch(r"(19|20)\d{2}", part):
                meta.set("year", int(part), "folder")
                meta.warn("year", f"year {part} is taken from the folder name only")
    return meta


def apply_manifest(meta: Metadata, entry: dict) -> None:
    """Manifest values win; a township or county given there is looked up in the table. A `url`
    that is not an absolute http(s) address is not used, with a warning (the page's own stays)."""
    gaz = gazetteer()
    entry = dict(entry)
    url = entry.pop("url", None)
    for key, value in entry.items():
        meta.set(key, value, "manifest")
    if "township" in entry:
        meta.set("level", entry.get("level", TOWNSHIP_LEVEL), "manifest")
    elif meta.level not in (TOWNSHIP_LEVEL, UNSETTLED):  # a report not a township's has none
        meta.township = None
        meta.sources.pop("township", None)
    if "township" in entry or "county" in entry:
        _resolve_manifest_place(meta, gaz, entry)
    if set(entry) & set(PLACE_FIELDS + ("level",)):
        _codes_from_names(meta, gaz)
    settled = set(entry) | ({"county"} if "township" in entry and meta.code else set())
    if meta.level not in (TOWNSHIP_LEVEL, UNSETTLED):
        settled.add("township")
    if "level" in entry:
        settled.add("level")
    meta.warnings = [(f, w) for f, w in meta.warnings if f not in settled]
    if url is not None:
        apply_manifest_url(meta, url)


def apply_manifest_url(meta: Metadata, value) -> None:
    """manifest.toml's `url` for a report, when it is an absolute http(s) address; else a warning."""
    url = absolute_url(value)
    if url:
        meta.set("url", url, "manifest")
    else:
        shown = " ".join(str(value).split())[:80]
        meta.warn("url", f"{MANIFEST_NAME} gives {shown!r}, not an absolute http(s) address (https://…); not used")


def _codes_from_names(meta: Metadata, gaz: Gazetteer) -> None:
    """Each place's code from its name, the finest name the table settles (with the places named
    above it) giving the codes above it; and the report's code: its own place's."""
    for name in PLACE_FIELDS:
        setattr(meta, f"{name}_code", None)
    levels = dict(zip(PLACE_FIELDS, (PROVINCE, PREFECTURE, COUNTY, TOWNSHIP)))
    for i in range(len(PLACE_FIELDS) - 1, -1, -1):
        name = getattr(meta, PLACE_FIELDS[i])
        if not name:
            continue
        higher = [getattr(meta, f) and gaz.places_named(getattr(meta, f), levels[f]) for f in PLACE_FIELDS[:i]]
        places = [
            p for p in gaz.places_named(name, levels[PLACE_FIELDS[i]]) if all(_inside_any(gaz, p, h) for h in higher)
        ]
        if len(places) == 1:
            for field_name, place in gaz.lineage(places[0]).items():
                if getattr(meta, field_name) in (None, place.name):
                    setattr(meta, f"{field_name}_code", place.code)
            break
    own = meta.township_code if meta.level in (TOWNSHIP_LEVEL, UNSETTLED) else None
    if meta.level not in (TOWNSHIP_LEVEL, UNSETTLED):
        own = meta.county_code or meta.prefecture_code or meta.province_code
    meta.set("code", own, "table" if own else "manifest")


def _inside_any(gaz: Gazetteer, place: Place, higher) -> bool:
    """Whether place lies in one of the places of a higher name (any place when none is named)."""
    return not higher or any(gaz.is_within(place, h) for h in higher)


def _resolve_manifest_place(meta: Metadata, gaz: Gazetteer, entry: dict) -> None:
    higher = [
        p
        for f, lvl in (("county", COUNTY), ("prefecture", PREFECTURE), ("province", PROVINCE))
        if meta.__dict__.get(f)
        for p in gaz.places_named(meta.__dict__[f], lvl)
    ]
    if meta.township:
        places = [
            p
            for p in gaz.places_named(meta.township, TOWNSHIP)
            if not higher or any(gaz.is_within(p, h) for h in higher)
        ]
        if len(places) == 1:
            for name in ("province", "prefecture", "county"):
                if name not in entry:
                    value = gaz.lineage(places[0]).get(name)
                    meta.set(name, value.name if value else None, "table")
            meta.set("code", places[0].code, "table")
            return
    meta.set("code", None, "manifest")
    if "township" in entry and "county" not in entry:
        for name in ("county", "prefecture", "province"):
            if name not in entry and meta.sources.get(name, "").startswith("table"):
                meta.set(name, None, "manifest")


def manifest_entry(report: dict) -> list[str]:
    """The lines of manifest.toml that would settle a report's missing or doubtful fields (its
    record: ReportMeta), [] when nothing is left to settle. The warning that says whose report it
    is (level) asks for nothing; an unsettled county is asked for (the place facets show it as 未定)."""
    problems = [w for w in report.get("warnings") or [] if not w.startswith("level:")]
    fields = sorted({w.split(":", 1)[0].split()[0] for w in problems} & MANIFEST_FIELDS)
    if not (report.get("county_code") or report.get("township_code")) and report.get("level") in (
        TOWNSHIP_LEVEL,
        UNSETTLED,
        "县级",
    ):
        fields += [] if "county" in fields else ["county"]
    if not fields:
        return []
    lines = [f'[files."{report["source"]}"]']
    for name in fields:
        value = report.get(name)
        lines.append(f"{name} = " + (json.dumps(value, ensure_ascii=False) if value else "…"))
    return lines


class ManifestError(ValueError):
    """The manifest cannot be used; the message names the problem."""


def load_manifest(data_dir: Path) -> dict[str, dict]:
    """Metadata overrides per file name from data_dir/manifest.toml (empty if absent)."""
    path = data_dir / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read: {exc.strerror or exc}") from None
    unknown_top = set(raw) - {"files"}
    if unknown_top:
        raise ManifestError(f'{path}: unknown table {sorted(unknown_top)[0]!r}; use [files."NAME"]')
    entries = raw.get("files", {})
    for name, entry in entries.items():
        if not isinstance(entry, dict):
            raise ManifestError(f"{path}: files.{name!r} must be a table of fields")
        unknown = set(entry) - MANIFEST_FIELDS
        if unknown:
            raise ManifestError(
                f"{path}: files.{name!r} has unknown field {sorted(unknown)[0]!r} "
                f"(allowed: {', '.join(sorted(MANIFEST_FIELDS))})"
            )
        if "level" in entry and entry["level"] not in LEVELS:
            raise ManifestError(f"{path}: files.{name!r} level must be one of {', '.join(LEVELS)}")
        if "year" in entry and not (isinstance(entry["year"], int) and 1900 <= entry["year"] <= 2100):
            raise ManifestError(f"{path}: files.{name!r} year must be a number such as 2023")
        if "date" in entry:
            entry["date"] = str(entry["date"])
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry["date"]):
                raise ManifestError(f"{path}: files.{name!r} date must look like 2023-12-05")
        for key in ("township", "county", "prefecture", "province", "title"):
            if key in entry and not isinstance(entry[key], str):
                raise ManifestError(f"{path}: files.{name!r} {key} must be text")
    return entries
