"""Filters: the places, years and sections a search is narrowed to, validated, and the mask they make."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexer.documents.levels import LEVELS
from indexer.documents.sections import SECTIONS
from indexer.engine.facets import PLACE_FACETS
from indexer.messages import UserError


class FilterError(UserError):
    """A filter value that cannot be used; the message names it and the valid choices."""


@dataclass(frozen=True)
class Filters:
    """Narrowing of a search: places at each level (any of), a year range, sections (any of)."""

    townships: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    sections: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    prefectures: tuple[str, ...] = ()
    counties: tuple[str, ...] = ()
    #: Report levels (documents/levels.LEVELS), any of.
    levels: tuple[str, ...] = ()
    #: Count the paragraphs of duplicate copies too (engine/duplicates.py); narrows nothing: hits
    #: always include them, counts leave them out unless this is set (ReportIndex.counted).
    duplicates: bool = False

    def places(self, facet) -> tuple[str, ...]:
        """The chosen values of a place facet."""
        return getattr(self, facet.plural)


def check_sections(sections) -> None:
    """Raise FilterError for a section key that does not exist."""
    for s in sections:
        if s not in SECTIONS:
            raise FilterError(
                "unknown_section", value=s[:30], choices=", ".join(SECTIONS), choices_zh="、".join(SECTIONS.values())
            )


def check_levels(levels) -> None:
    """Raise FilterError for a level that does not exist."""
    for level in levels:
        if level not in LEVELS:
            raise FilterError("unknown_level", value=level[:30], choices="、".join(LEVELS))


def parse_year_range(text: str) -> tuple[int | None, int | None]:
    """'2023' → (2023, 2023); '2022-2024' → (2022, 2024); '' → (None, None)."""
    text = text.strip().replace("–", "-").replace("—", "-").replace("至", "-")
    if not text:
        return None, None
    lo, sep, hi = text.partition("-")
    try:
        low = int(lo) if lo.strip() else None
        high = int(hi) if hi.strip() else None
        if not sep:
            high = low
    except ValueError:
        raise FilterError("bad_year", value=text[:30]) from None
    for y in (low, high):
        if y is not None and not 1900 <= y <= 2100:
            raise FilterError("year_out_of_range", value=y)
    if low is not None and high is not None and low > high:
        low, high = high, low
    return low, high


def filter_mask(index, ids: np.ndarray, filters: Filters, skip: str | None = None) -> np.ndarray:
    """Boolean mask over ids for the filters (leaving out one dimension, for its facet)."""
    mask = np.ones(len(ids), bool)
    ids = ids.astype(np.intp)  # NumPy's own index type: int32 indexes cost a conversion per gather
    for facet in PLACE_FACETS:
        chosen = filters.places(facet)
        if chosen and skip != facet.key:  # a code, a label, 未定 or a name (every place of that name)
            found = [i for v in chosen for i in index.places.find(facet.key, v)]
            keep = np.isin(index.columns[facet.key][ids], found)
            # a name also chooses the reports that name it but whose place is unsettled (未定)
            reports = [r for v in chosen for r in index.unsettled_named(facet.key, v)]
            if reports:
                keep |= np.isin(index.columns["report"][ids], reports)
            mask &= keep
    if filters.levels and skip != "level":
        mask &= np.isin(index.columns["level"][ids], [LEVELS.index(v) for v in filters.levels if v in LEVELS])
    if skip != "year" and (filters.year_from is not None or filters.year_to is not None):
        years = index.columns["year"][ids]
        if filters.year_from is not None:
            mask &= years >= filters.year_from
        if filters.year_to is not None:
            mask &= years <= filters.year_to
    if filters.sections and skip != "section":
        codes = [index.section_keys.index(s) for s in filters.sections]
        mask &= np.isin(index.columns["section"][ids], codes)
    return mask


def narrows(filters: Filters, facet: str) -> bool:
    """Whether the facet's own filter narrows the paragraphs."""
    if facet == "year":
        return filters.year_from is not None or filters.year_to is not None
    if facet == "section":
        return bool(filters.sections)
    if facet == "level":
        return bool(filters.levels)
    return any(filters.places(f) for f in PLACE_FACETS if f.key == facet)


def filtered(filters: Filters, skip: str | None) -> bool:
    """Whether any filter other than the one on `skip` narrows the paragraphs."""
    if any(filters.places(f) for f in PLACE_FACETS if f.key != skip):
        return True
    if skip != "year" and (filters.year_from is not None or filters.year_to is not None):
        return True
    if filters.levels and skip != "level":
        return True
    return bool(filters.sections) and skip != "section"
