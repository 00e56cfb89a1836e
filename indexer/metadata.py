"""Report metadata found in the text: township, county, year, date and title; and the manifest."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

MANIFEST_NAME = "manifest.toml"
MANIFEST_FIELDS = {"township", "county", "year", "date", "title"}

_TITLE = re.compile(r"(报告|总结)$")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_CN_DIGITS = dict(zip("〇零○一二三四五六七八九", "00012345678 9".replace(" ", "")))
_DATE = re.compile(r"^([0-9０-９〇零○一二三四五六七八九]{4})\s*年\s*([0-9０-９十一二三四五六七八九]{1,3})\s*月\s*"
                   r"([0-9０-９十一二三四五六七八九]{1,3})\s*日$")
# A township is 1-4 name characters before 乡, 镇 or 街道; these characters cannot start one.
_TOWNSHIP = re.compile(r"(?=([\u4e00-\u9fff]{1,4}?(?:乡|镇|街道)))")
_NOT_NAME_START = set("我全本各该每此这其城下送中共市区县省州的和与及在于对向到为个乡镇村、")
# County or district names: right before the township, before 委/人民政府, or after a
# boundary (start, punctuation, 中共, 按照 …). Bare "XX区" is too often 景区/片区 to trust.
_BOUNDARY = r"(?:^|[^\u4e00-\u9fff]|中共|按照|根据|在|与|对|向|由)"
_COUNTY_ORGAN = re.compile(_BOUNDARY + r"([\u4e00-\u9fff]{2,3}?(?:县|区|旗))(?:委|人民政府)", re.M)
_COUNTY_ANY = re.compile(_BOUNDARY + r"([\u4e00-\u9fff]{2,3}?(?:县|旗))", re.M)
_NOT_COUNTY_START = set("我全本各该每此这其县区市省乡镇村的和与及在于对向到为个、")
_NOT_COUNTY_WORDS = {"根据", "按照", "依照", "依据", "对照", "围绕", "结合", "配合", "落实", "参加", "所在", "上级"}


@dataclass
class Metadata:
    """What is known about one report; None where it could not be found."""

    township: str | None = None
    county: str | None = None
    year: int | None = None
    date: str | None = None
    title: str | None = None


def find_title(lines: list[str]) -> str | None:
    """The report's title: the first line near the top that ends in 报告 or 总结."""
    for line in lines[:8]:
        text = line.lstrip("#").strip()
        if _TITLE.search(text):
            return text
    return None


def find_year(title: str | None, lines: list[str]) -> int | None:
    """The year the report covers: from the title, else from the opening paragraph."""
    if title:
        m = _YEAR.search(title)
        if m:
            return int(m.group(1))
    for line in lines[:8]:
        if "报告" in line or "文件" in line or "号" in line[-3:]:
            continue
        m = _YEAR.match(line.lstrip("#").strip())
        if m:
            return int(m.group(1))
    return None


def _cn_number(text: str) -> int:
    text = "".join(_CN_DIGITS.get(c, c) for c in text)
    text = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
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
                year = int("".join(_CN_DIGITS.get(c, c) for c in m.group(1))
                           .translate(str.maketrans("０１２３４５６７８９", "0123456789")))
                month, day = _cn_number(m.group(2)), _cn_number(m.group(3))
            except ValueError:
                continue
            if 1 <= month <= 12 and 1 <= day <= 31:
                return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def find_township(lines: list[str], title: str | None) -> str | None:
    """The township the report is about: the most mentioned name, preferring the header."""
    text = "\n".join(lines)
    counts: Counter[str] = Counter()
    for m in _TOWNSHIP.finditer(text):
        name = m.group(1)
        if name[0] in _NOT_NAME_START or len(name) < 3:
            continue
        counts[name] += 1
    if not counts:
        return None
    header = "\n".join(lines[:4] + ([title] if title else []) + lines[-3:])
    in_header = [n for n in counts if n in header]
    pool = in_header or [n for n, c in counts.items() if c >= 2]
    if not pool:
        return None
    # Most mentions wins; on a tie the longer name ("大石桥镇" over "石桥镇").
    return max(pool, key=lambda n: (counts[n], len(n)))


def find_county(lines: list[str], township: str | None) -> str | None:
    """The county or district named in the text, if any."""
    text = "\n".join(lines)
    if township:
        for m in re.finditer(r"([\u4e00-\u9fff]{2,4}?(?:县|区|旗|市))" + re.escape(township), text):
            name = _trim_county(m.group(1))
            if name:
                return name
    for pattern in (_COUNTY_ORGAN, _COUNTY_ANY):
        counts = Counter(n for n in (_trim_county(m.group(1)) for m in pattern.finditer(text)) if n)
        if counts:
            return counts.most_common(1)[0][0]
    return None


def _trim_county(name: str) -> str | None:
    # "长治市上党区" → "上党区": keep the last administrative unit.
    parts = re.findall(r"[^县区旗市]+[县区旗市]", name)
    name = parts[-1] if parts else name
    if len(name) < 3 or name[0] in _NOT_COUNTY_START or name[:2] in _NOT_COUNTY_WORDS:
        return None
    return name


def extract_metadata(lines: list[str]) -> Metadata:
    """Metadata of a report from its non-empty lines."""
    title = find_title(lines)
    township = find_township(lines, title)
    return Metadata(
        township=township,
        county=find_county(lines, township),
        year=find_year(title, lines),
        date=find_date(lines),
        title=title,
    )


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
    unknown_top = set(raw) - {"files"}
    if unknown_top:
        raise ManifestError(f"{path}: unknown table {sorted(unknown_top)[0]!r}; use [files.\"NAME\"]")
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
        if "year" in entry and not (isinstance(entry["year"], int) and 1900 <= entry["year"] <= 2100):
            raise ManifestError(f"{path}: files.{name!r} year must be a number such as 2023")
        if "date" in entry:
            entry["date"] = str(entry["date"])
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry["date"]):
                raise ManifestError(f"{path}: files.{name!r} date must look like 2023-12-05")
        for key in ("township", "county", "title"):
            if key in entry and not isinstance(entry[key], str):
                raise ManifestError(f"{path}: files.{name!r} {key} must be text")
    return entries
