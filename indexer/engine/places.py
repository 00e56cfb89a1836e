"""Place values: every place in the index is keyed by its division code, and shown with its name.

A report's place at each level (province … township) is its code (places.CODE_DIGITS long), so
two townships of one name are two values. The values of a level are kept in code order (a
column of paragraphs holds indexes into them), which is the table's order: province, then
prefecture, county, township. A place the table does not settle is UNSETTLED (未定), one value
that can be chosen (a place the table lacks altogether is kept by its name); the township of a county's report, or the county of a city's, is
NOT_APPLICABLE (不适用). A name shared by several values of a level is labelled with the place
above it (城南街道（渝水区）). A filter takes a code (exact), a label, 未定, or a bare name, which
chooses every place of that name (place_notices says so).
"""

from __future__ import annotations

from dataclasses import dataclass

from indexer.documents.levels import TOWNSHIP_LEVEL, UNSETTLED
from indexer.documents.metadata import PLACE_FIELDS
from indexer.documents.places import COUNTY, PREFECTURE, PROVINCE, TOWNSHIP, gazetteer

#: What an unsettled place is called in facets, filters and URLs (?county=未定); stored as "".
UNSETTLED_VALUE = "未定"
#: The place of a level a report has none at (a county's report has no township); stored so.
NOT_APPLICABLE = "无"
NOT_APPLICABLE_LABEL = "不适用"
PLACE_LEVELS = {"province": PROVINCE, "prefecture": PREFECTURE, "county": COUNTY, "township": TOWNSHIP}
#: The place above each level, whose name tells apart places of one name.
PARENTS = {"prefecture": ("province",), "county": ("prefecture", "province"), "township": ("county",)}


def _get(report, name: str):
    return report.get(name) if isinstance(report, dict) else getattr(report, name, None)


def place_key(report, key: str) -> str:
    """The value of a report (a Report or its record) at place level key: its code; NOT_APPLICABLE
    below the place of a report that is not a township's; the name of a place the table does not
    have at all (new or renamed: the report warns of it); else "" (unsettled: a shared name that
    nothing settled, or no place found)."""
    code = _get(report, f"{key}_code")
    if code:
        return code
    if any(_get(report, f"{k}_code") for k in PLACE_FIELDS[PLACE_FIELDS.index(key) + 1 :]):
        return NOT_APPLICABLE  # a place with no unit at this level (儋州市's towns have no county)
    level = _get(report, "level") or UNSETTLED
    if level not in (TOWNSHIP_LEVEL, UNSETTLED):
        finest = next((k for k in reversed(PLACE_FIELDS) if _get(report, f"{k}_code")), None)
        if key == "township" or (finest and PLACE_FIELDS.index(key) > PLACE_FIELDS.index(finest)):
            return NOT_APPLICABLE
    name = _get(report, key)
    if name and name != NOT_APPLICABLE and not gazetteer().places_named(name, PLACE_LEVELS[key]):
        return name
    return ""


def place_values(reports) -> dict[str, list[str]]:
    """For each place level, the values the reports have, in code order ("" first, NOT_APPLICABLE last)."""
    return {key: sorted({place_key(r, key) for r in reports}) for key in PLACE_FIELDS}


def place_names(reports) -> dict[str, list[str]]:
    """code → [name, the name of the place above it] for every place of the reports."""
    out: dict[str, list[str]] = {}
    for r in reports:
        for key in PLACE_FIELDS:
            code = _get(r, f"{key}_code")
            if code and code not in out:
                parent = next((_get(r, p) for p in PARENTS.get(key, ()) if _get(r, p)), "") or ""
                out[code] = [_get(r, key) or code, parent]
    return out


@dataclass(frozen=True)
class PlaceValue:
    """One value of a place facet: its key (code, "" or NOT_APPLICABLE), code, name and label."""

    key: str
    code: str | None
    name: str
    label: str

    @property
    def value(self) -> str:
        """What a URL or the API uses for it: the code, 未定, 无, or the name of a place not in the table."""
        return self.code or (UNSETTLED_VALUE if self.key == "" else self.key)

    def to_json(self) -> dict:
        return {"value": self.value, "code": self.code, "name": self.name, "label": self.label}


class PlaceLabels:
    """The values of each place level with their names and labels, and the lookup of filter values."""

    def __init__(self, values: dict[str, list[str]], names: dict[str, list[str]]):
        self.values: dict[str, list[PlaceValue]] = {}
        self._lookup: dict[str, dict[str, list[int]]] = {}
        self._named: dict[str, dict[str, list[int]]] = {}
        for key, keys in values.items():
            items = [self._value(k, names) for k in keys]
            by_name: dict[str, list[int]] = {}
            for i, item in enumerate(items):
                if item.code:
                    by_name.setdefault(item.name, []).append(i)
            shared = {name for name, at in by_name.items() if len(at) > 1}
            labels = [
                f"{item.name}（{names[item.code][1]}）" if item.name in shared and names[item.code][1] else item.name
                for item in items
            ]
            repeated = {label for label in labels if labels.count(label) > 1}
            items = [
                PlaceValue(item.key, item.code, item.name, f"{label}［{item.code}］" if label in repeated else label)
                for item, label in zip(items, labels)
            ]
            lookup: dict[str, list[int]] = {}
            for i, item in enumerate(items):
                for text in {item.value, item.label}:
                    lookup.setdefault(text, []).append(i)
            self.values[key] = items
            self._lookup[key] = lookup
            self._named[key] = by_name

    @staticmethod
    def _value(key: str, names: dict[str, list[str]]) -> PlaceValue:
        if key == "":
            return PlaceValue("", None, UNSETTLED_VALUE, UNSETTLED_VALUE)
        if key == NOT_APPLICABLE:
            return PlaceValue(key, None, NOT_APPLICABLE_LABEL, NOT_APPLICABLE_LABEL)
        if not key.isdigit():  # a place the table does not have, by its name
            return PlaceValue(key, None, key, key)
        name = names.get(key, [key, ""])[0]
        return PlaceValue(key, key, name, name)

    def find(self, key: str, text: str) -> list[int]:
        """Indexes of the values a filter value chooses: a code, label, 未定 or 无 exactly; a bare
        name every place of that name; none for a value no report has."""
        text = text.strip().replace("(", "（").replace(")", "）")
        found = self._lookup[key].get(text)
        if found is not None:
            return found
        return self._named[key].get(text, [])

    def shared(self, key: str, text: str) -> list[PlaceValue]:
        """The places a bare name chooses when it names several (else [])."""
        text = text.strip()
        if text in self._lookup[key]:
            return []
        at = self._named[key].get(text, [])
        return [self.values[key][i] for i in at] if len(at) > 1 else []

    def label(self, key: str, value: str) -> str:
        """How a chosen filter value is shown: the label of the one place it chooses, else as given."""
        at = self.find(key, value)
        return self.values[key][at[0]].label if len(at) == 1 else value
