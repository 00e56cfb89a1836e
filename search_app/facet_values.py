"""Every value of a place facet for a search, narrowed by a part of its name or the start of its
division code and paged: the /facets/<key> page and /api/facets/<key> (which the sidebar's
type-to-find box asks as the user types)."""

from __future__ import annotations

from dataclasses import dataclass

from indexer.engine.facets import PLACE_FACETS, PlaceFacet
from indexer.messages import NotFound

from .params import SearchParams, as_param_error

#: Values a page lists; values the sidebar shows before its "全部 N 项" link and find box.
FACET_PAGE, SIDEBAR_VALUES = 100, 10
#: The longest `find` text read (a name or a 12-digit code fits).
FIND_LENGTH = 50


@dataclass
class FacetPage:
    """One page of a facet's values (each a facet count: value, name, label, code, count)."""

    facet: PlaceFacet
    find: str
    items: list[dict]
    total: int
    page: int
    pages: int


def place_facet(key: str) -> PlaceFacet:
    """The place facet named by a URL, or 404."""
    facet = next((f for f in PLACE_FACETS if f.key == key), None)
    if facet is None:
        raise NotFound(
            "unknown_facet",
            value=key[:20],
            choices=", ".join(f.key for f in PLACE_FACETS),
            choices_zh="、".join(f.label for f in PLACE_FACETS),
        )
    return facet


def matches_find(item: dict, find: str) -> bool:
    """A value is found by a part of its name or label, or by the start of its division code."""
    return find in item["label"] or find in item["name"] or (item.get("code") or "").startswith(find)


def facet_page(index, params: SearchParams, key: str, find: str) -> FacetPage:
    """The values of facet `key` for the search's query and filters, by count, narrowed by `find`."""
    facet = place_facet(key)
    find = find.strip()[:FIND_LENGTH]
    with as_param_error():
        matched = index.match(params.query())
    items = index.facets(matched, params.filters)[key]
    if find:
        items = [f for f in items if matches_find(f, find)]
    pages = max(1, -(-len(items) // FACET_PAGE))
    page = min(params.page, pages)
    return FacetPage(facet, find, items[(page - 1) * FACET_PAGE : page * FACET_PAGE], len(items), page, pages)
