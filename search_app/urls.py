"""The site's links to reports: the one place that knows their shape (the engine builds no URLs)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

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
