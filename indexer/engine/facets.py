"""The facets, each defined once: the report field and column it reads, its label, and its filter.

Place facets drill down 省 → 市 → 县 → 乡镇. Each is a per-paragraph column of codes
into a sorted list of values (built in build.py), a filter of any-of values
(Filters), a count over the matches (ReportIndex.facets), a URL and CLI parameter
named after its key, and a column of the JSON and CSV output.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlaceFacet:
    """A facet over one level of the place hierarchy."""

    key: str  # report field, index column, URL parameter (?county=…) and CLI option (--county)
    label: str  # what the site calls it
    plural: str  # the Filters attribute holding the chosen values


PLACE_FACETS: tuple[PlaceFacet, ...] = (
    PlaceFacet("province", "省份", "provinces"),
    PlaceFacet("prefecture", "地市", "prefectures"),
    PlaceFacet("county", "县（市、区）", "counties"),
    PlaceFacet("township", "乡镇", "townships"),
)
PLACE_KEYS = tuple(f.key for f in PLACE_FACETS)
#: Every facet the search counts, in the order pages show them.
FACET_KEYS = PLACE_KEYS + ("year", "section")

#: The fields of a report in listings (CLI `reports --json`, /api/reports), in this order.
REPORT_FIELDS = (
    "report_id",
    "source",
    "province",
    "prefecture",
    "county",
    "township",
    "code",
    "year",
    "date",
    "title",
    "paragraphs",
    "sources",
    "warnings",
    "ocr",
)
