"""A report's source URL (原文链接): where it was published, never a guess.

Only an absolute http(s) address is kept. A saved page names its own address in three ways,
trusted in this order (SOURCES):

- `<!-- saved from url=(0042)http://… -->`, which the browser writes when it saves the page
  (the number is the address's length, and must match it): where the page was actually read;
- `<link rel="canonical" href="…">`, the site's own name for the page;
- `<meta property="og:url" content="…">`, the same for sharing.

A canonical or og:url that is only a site's home page (no path) is a template's, not the
article's, and is not used. manifest.toml's `url` wins over all of them (metadata.apply_manifest).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

#: Where a report's URL can come from, the page's own most trusted first (ReportMeta.sources["url"]).
SOURCES = ("manifest", "saved-from", "canonical", "og:url")
#: The longest address kept (browsers and servers refuse much longer ones).
MAX_LENGTH = 2000

_SAVED_FROM = re.compile(r"<!--\s*saved from url=\((\d{1,4})\)\s*(\S+?)\s*-->", re.IGNORECASE)
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f<>\"'`\\]")


def absolute_url(text: object) -> str | None:
    """text as an absolute http(s) address with a host, or None (relative, javascript:, garbage)."""
    if not isinstance(text, str):
        return None
    url = text.strip()
    if not url or len(url) > MAX_LENGTH or _UNSAFE.search(url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  a port that is not a number raises ValueError
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or "." not in host and host != "localhost":
        return None
    return url


def saved_from(text: str) -> str | None:
    """The address in a saved page's `<!-- saved from url=(NNNN)… -->` comment (at its top), if usable.

    The number is the address's length: a comment whose address is not that long was cut or edited
    by hand, and is not trusted (manifest.toml's `url` can say where the page is)."""
    match = _SAVED_FROM.search(text[:4096])
    if not match or int(match.group(1)) != len(match.group(2)):
        return None
    return absolute_url(match.group(2))


def page_url(text: str, tree) -> tuple[str | None, str | None]:
    """(URL, its source in SOURCES) a saved page gives for itself; (None, None) when none is usable.

    text is the page's source as decoded, tree its lxml tree."""
    found = saved_from(text)
    if found:
        return found, "saved-from"
    candidates = (
        ("canonical", tree.xpath("//link[contains(concat(' ', normalize-space(@rel), ' '), ' canonical ')]/@href")),
        ("og:url", tree.xpath("//meta[@property='og:url']/@content")),
    )
    for source, values in candidates:
        for value in values:
            url = absolute_url(value)
            if url and urlsplit(url).path.strip("/"):
                return url, source
    return None, None
