"""The site's links to reports: the one place that knows their shape (the engine builds no URLs)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from werkzeug.datastructures import MultiDict

from indexer.engine.facets import PLACE_KEYS

#: Paragraphs per page of a report on the site and in the API (a few reports run to tens of thousands).
REPORT_PAGE_SIZE = 1000


def report_page(paragraph: int) -> int:
    """The page of a report that shows its 1-based paragraph number."""
    return (max(paragraph, 1) - 1) // REPORT_PAGE_SIZE + 1


def report_url(report_id: str, paragraph: int | None = None, q: str | None = None, back: str | None = None) -> str:
    """The site's link to a report, at a paragraph (on its page), with a query marked and,
    as `back`, the query string of the results page it was reached from."""
    params = [("q", q)] if q else []
    if paragraph and report_page(paragraph) > 1:
        params.append(("page", str(report_page(paragraph))))
    if back:
        params.append(("back", back))
    return (
        f"/reports/{quote(report_id)}"
        + ("?" + urlencode(params) if params else "")
        + (f"#p{paragraph}" if paragraph else "")
    )


#: The site's tools, as the nav lists them: each reads the same query and filters.
TOOLS = (
    ("检索", "/search"),
    ("对比", "/compare"),
    ("语境", "/concordance"),
    ("趋势", "/trends"),
    ("报告列表", "/reports"),
)
#: The URL parameters every tool shares: the query and the filters (each tool reads the rest itself).
SHARED = ("q", "whole", *PLACE_KEYS, "year", "year_from", "year_to", "section", "dups")


def tool_url(path: str, args: MultiDict) -> str:
    """A tool's link that carries the query and filters of the page it is on (args: that page's URL
    parameters). Trends compare several terms (q repeated); the other tools take the first."""
    pairs = []
    for key in SHARED:
        values = [v for v in args.getlist(key) if v.strip()]
        if key == "q" and path != "/trends":
            values = values[:1]
        pairs += [(key, v) for v in values]
    return path + ("?" + urlencode(pairs) if pairs else "")
