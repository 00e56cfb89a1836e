"""Search parameters from a URL: validated once, shared by the pages, the API and exports."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import current_app
from werkzeug.datastructures import MultiDict

from indexer.documents.levels import TOWNSHIP_LEVEL
from indexer.documents.sections import SECTIONS
from indexer.engine.errors import IndexNotFound
from indexer.engine.facets import LEVEL_LABEL, PLACE_FACETS
from indexer.engine.filters import FilterError, Filters, check_levels, check_sections, parse_year_range
from indexer.engine.query import Query, QueryError, check_length, parse_query, parse_scope
from indexer.engine.ranking import check_sort
from indexer.messages import UserError

from .store import get_index

#: `level=全部` chooses every level (on /compare and /trends, which count township reports by default).
ALL_LEVELS = "全部"


class ParamError(UserError):
    """A URL parameter that cannot be used; the message (English, or .chinese) says what to send instead."""


@dataclass
class SearchParams:
    """What a search URL asks for."""

    q: str = ""
    townships: list[str] = field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None
    sections: list[str] = field(default_factory=list)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    provinces: list[str] = field(default_factory=list)
    prefectures: list[str] = field(default_factory=list)
    counties: list[str] = field(default_factory=list)
    whole: bool = False  # match terms as whole jieba words (整词)
    near: str = ""  # the scope of terms separated by spaces: "" (paragraph), "s" (sentence) or a distance
    levels: list[str] = field(default_factory=list)  # report levels (级别), any of
    all_levels: bool = False  # level=全部: every level, said outright (where township reports are the default)
    #: Township reports only because no level was chosen (/compare, /trends: township_reports_by_default).
    township_only: bool = False
    dups: bool = False  # count duplicate copies of a report too (计入重复报告; engine/duplicates.py)

    @property
    def filters(self) -> Filters:
        return Filters(
            year_from=self.year_from,
            year_to=self.year_to,
            sections=tuple(self.sections),
            levels=tuple(self.levels) or ((TOWNSHIP_LEVEL,) if self.township_only else ()),
            duplicates=self.dups,
            **{f.plural: tuple(getattr(self, f.plural)) for f in PLACE_FACETS},
        )

    def chosen(self, key: str) -> list[str]:
        """The chosen values of the place facet `key` (province … township)."""
        return next(getattr(self, f.plural) for f in PLACE_FACETS if f.key == key)

    def toggled(self, key: str, value: str | dict) -> list[str]:
        """The chosen values of a place facet with value added, or removed if it was chosen; a facet
        item (code, name, label) is chosen when any of them is (?township=城南街道 chooses every 城南街道)."""
        chosen = self.chosen(key)
        forms = {value["value"], value["label"], value["name"]} if isinstance(value, dict) else {value}
        value = value["value"] if isinstance(value, dict) else value
        return [v for v in chosen if v not in forms] if forms & set(chosen) else chosen + [value]

    def is_chosen(self, key: str, item: dict) -> bool:
        """Whether a place facet's item is chosen, by its code, name or label."""
        return bool({item["value"], item["label"], item["name"]} & set(self.chosen(key)))

    @property
    def has_filters(self) -> bool:
        return bool(
            self.sections
            or self.levels
            or self.all_levels
            or self.year_from
            or self.year_to
            or any(getattr(self, f.plural) for f in PLACE_FACETS)
        )

    def unfiltered_url(self, endpoint: str = "/search", **changes) -> str:
        """This search without any filter."""
        cleared = {f.key: None for f in PLACE_FACETS}
        cleared.update(section=None, level=None, year_from=None, year_to=None)
        cleared.update(changes)
        return self.url(endpoint, **cleared)

    def year_toggled(self, year: int) -> dict:
        """URL changes that narrow to one year, or widen again if only that year is chosen."""
        if self.year_from == year and self.year_to == year:
            return {"year_from": None, "year_to": None}
        return {"year_from": year, "year_to": year}

    def level_toggled(self, level: str) -> list[str]:
        chosen = self.levels + ([ALL_LEVELS] if self.all_levels else [])
        return [v for v in chosen if v != level] if level in chosen else chosen + [level]

    def section_toggled(self, key: str) -> list[str]:
        return [s for s in self.sections if s != key] if key in self.sections else self.sections + [key]

    def chips(self) -> list[dict]:
        """Every chosen filter as a removable chip: a label and the URL without it."""
        chips = []
        for facet in PLACE_FACETS:
            for value in self.chosen(facet.key):
                chips.append(
                    {
                        "label": f"{facet.label}：{_place_label(facet.key, value)}",
                        "url": self.url(**{facet.key: self.toggled(facet.key, value)}),
                    }
                )
        for level in self.levels + ([ALL_LEVELS] if self.all_levels else []):
            chips.append({"label": f"{LEVEL_LABEL}：{level}", "url": self.url(level=self.level_toggled(level))})
        if self.year_from or self.year_to:
            span = (
                str(self.year_from)
                if self.year_from == self.year_to
                else f"{self.year_from or ''}–{self.year_to or ''}"
            )
            chips.append({"label": f"年份：{span}", "url": self.url(year_from=None, year_to=None)})
        for key in self.sections:
            chips.append(
                {"label": f"章节：{SECTIONS.get(key, key)}", "url": self.url(section=self.section_toggled(key))}
            )
        if self.dups:
            chips.append({"label": "计入重复报告", "url": self.url(dups=None)})
        return chips

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def browsing(self) -> bool:
        """No query but some filter: list every paragraph the filters pass, in report order."""
        return not self.q and self.has_filters

    def query(self) -> Query | None:
        """The parsed query; None when browsing."""
        return parse_query(self.q, self.whole, parse_scope(self.near)) if self.q else None

    def pairs(self, **changes) -> list[tuple[str, str]]:
        """URL parameters of this search, with some changed (None removes one)."""
        values = {
            "q": self.q,
            "whole": 1 if self.whole else None,
            "near": self.near or None,
            **{f.key: getattr(self, f.plural) for f in PLACE_FACETS},
            "level": self.levels + ([ALL_LEVELS] if self.all_levels else []),
            "year_from": self.year_from,
            "year_to": self.year_to,
            "section": self.sections,
            "dups": 1 if self.dups else None,
            "sort": None if self.sort == "relevance" else self.sort,
            "page": None if self.page == 1 else self.page,
            "per_page": None if self.per_page == current_app.config["PAGE_SIZE"] else self.per_page,
        }
        values.update(changes)
        out = []
        for key, value in values.items():
            if value is None or value == "" or value == []:
                continue
            for v in value if isinstance(value, list) else [value]:
                out.append((key, str(v)))
        return out

    def url(self, endpoint: str = "/search", **changes) -> str:
        """A link to this search with some parameters changed; a filter change goes back to page 1."""
        if any(k != "page" for k in changes) and "page" not in changes:
            changes["page"] = None
        return endpoint + "?" + urlencode(self.pairs(**changes))


def _place_label(key: str, value: str) -> str:
    """How a chosen place is shown: its label when the live index has it (a code → 城南街道（渝水区）)."""
    try:
        return get_index().places.label(key, value)
    except IndexNotFound:
        return value


def township_reports_by_default(params: SearchParams) -> SearchParams:
    """Township counts (/compare, /trends) count township reports unless a level is chosen
    (level=全部 chooses every level); `township_only` tells the page to say so."""
    params.township_only = not params.levels and not params.all_levels
    return params


@contextmanager
def as_param_error():
    """Report a query or filter the engine refuses as a ParamError (a 400 for the user)."""
    try:
        yield
    except (QueryError, FilterError) as exc:
        raise ParamError(exc.code, **exc.details) from None


#: What the site calls each numeric or switch parameter, and an example of a good value: messages
#: name the field a person sees (起始年份), not the URL parameter (year_from).
FIELDS: dict[str, tuple[str, str]] = {
    "year_from": ("起始年份", "2023"),
    "year_to": ("截止年份", "2024"),
    "page": ("页码", "2"),
    "per_page": ("每页条数", "50"),
    "offset": ("起始位置", "0"),
    "width": ("每侧字数", "20"),
    "span": ("搭配窗口（词数）", "5"),
    "n": ("关键词个数", "20"),
    "whole": ("整词", "1"),
    "min_reuse": ("复用率下限（%）", "50"),
    "dups": ("计入重复报告", "1"),
}


def field_label(name: str) -> tuple[str, str]:
    """The label and an example value of a URL parameter (its name, for one not listed)."""
    return FIELDS.get(name, (f"参数 {name}", "1"))


def int_param(args: MultiDict, name: str, low: int, high: int) -> int | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    label, example = field_label(name)
    try:
        value = int(raw)
    except ValueError:
        raise ParamError("not_a_number", name=name, label=label, example=example, value=raw[:20]) from None
    if not low <= value <= high:
        raise ParamError("number_out_of_range", name=name, label=label, low=low, high=high)
    return value


#: How a URL switch (`whole`) may be written.
SWITCH = {"": False, "0": False, "false": False, "off": False, "1": True, "true": True, "on": True}


def switch_param(args: MultiDict, name: str) -> bool:
    raw = args.get(name, "").strip()
    if raw.lower() not in SWITCH:
        raise ParamError("not_a_switch", name=name, label=field_label(name)[0], value=raw[:20])
    return SWITCH[raw.lower()]


def page_number(args: MultiDict, pages: int) -> int:
    """The page a URL asks for among pages (default 1)."""
    return int_param(args, "page", 1, max(pages, 1)) or 1


def offset_param(args: MultiDict, count: int) -> int:
    """The 0-based `offset` a URL asks for among count items (default 0)."""
    return int_param(args, "offset", 0, max(count - 1, 0)) or 0


def parse_params(args: MultiDict) -> SearchParams:
    """Validate request arguments; raises ParamError with a message a person can act on."""
    config = current_app.config
    q = args.get("q", "").strip()
    sections = [s for s in args.getlist("section") if s]
    sort = args.get("sort", "relevance") or "relevance"
    near = args.get("near", "").strip().lower()
    with as_param_error():
        check_length(q)
        near = "" if parse_scope(near) is None else near
        check_sections(sections)
        check_sort(sort)
        year_from, year_to = parse_year_range(args.get("year", ""))
        levels = list(dict.fromkeys(v.strip() for v in args.getlist("level") if v.strip()))
        all_levels = ALL_LEVELS in levels
        levels = [] if all_levels else levels
        check_levels(levels)
    low = int_param(args, "year_from", 1900, 2100)
    high = int_param(args, "year_to", 1900, 2100)
    year_from = low if low is not None else year_from
    year_to = high if high is not None else year_to
    if year_from is not None and year_to is not None and year_from > year_to:
        year_from, year_to = year_to, year_from  # as year=2024-2022 is read
    page = int_param(args, "page", 1, 100_000) or 1
    per_page = int_param(args, "per_page", 1, config["MAX_PAGE_SIZE"]) or config["PAGE_SIZE"]
    places = {}
    for facet in PLACE_FACETS:
        chosen = list(dict.fromkeys(t.strip() for t in args.getlist(facet.key) if t.strip()))
        if len(chosen) > 200 or any(len(t) > 50 for t in chosen):
            raise ParamError("too_many_names", name=facet.key, label=facet.label)
        places[facet.plural] = chosen
    return SearchParams(
        q=q,
        year_from=year_from,
        year_to=year_to,
        sections=list(dict.fromkeys(sections)),
        sort=sort,
        page=page,
        per_page=per_page,
        whole=switch_param(args, "whole"),
        dups=switch_param(args, "dups"),
        near=near,
        levels=levels,
        all_levels=all_levels,
        **places,
    )
