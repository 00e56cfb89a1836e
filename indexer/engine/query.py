"""The query language: a small, documented syntax where anything else is literal text.

- Terms separated by spaces must all occur in the paragraph.
- `A OR B` matches either (OR in capitals, between two terms).
- `-term` excludes paragraphs that contain the term.
- `"…"` keeps spaces and operator words literal.
- `A /s B`: in one sentence; `A /N B`: at most N characters apart; `A /p B`: in one
  paragraph (what `A B` means). They bind looser than OR and chain: `A /s B /s C`.
Each term is matched as a substring after normalisation (text/normalize.py), so
spaces and most punctuation inside a term do not matter. In whole-word mode (整词) a
term matches only where its jieba words stand as consecutive words of the paragraph:
法治 in 法治建设, not in 执法治理.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.engine.proximity import MAX_DISTANCE, SENTENCE, Chain
from indexer.messages import UserError, message
from indexer.text.normalize import normalize

MAX_QUERY_CHARS = 200
MAX_TERMS = 16


class QueryError(UserError):
    """A query that cannot be run; the message tells the user what to change."""


@dataclass(frozen=True)
class Query:
    """A parsed query: every group must match (any term in a group), no excluded term may."""

    text: str
    groups: tuple[tuple[str, ...], ...]
    excluded: tuple[str, ...] = ()
    notice_code: str | None = None  # why a query matches nothing before it is run
    whole_words: bool = False
    chains: tuple[Chain, ...] = ()  # proximity chains over some of the groups (proximity.py)
    advice_code: str | None = None  # a hint about how the query was read (it still runs)

    @property
    def advice(self) -> str | None:
        return message(self.advice_code) if self.advice_code else None

    @property
    def advice_zh(self) -> str | None:
        return message(self.advice_code, "zh") if self.advice_code else None

    @property
    def notice(self) -> str | None:
        return message(self.notice_code) if self.notice_code else None

    @property
    def notice_zh(self) -> str | None:
        return message(self.notice_code, "zh") if self.notice_code else None

    @property
    def terms(self) -> list[str]:
        """The normalised terms to find and highlight."""
        return [t for group in self.groups for t in group]


def _tokens(text: str) -> list[tuple[str, bool, bool]]:
    """Split a query into (text, quoted, negated) tokens. Unbalanced quotes are literal."""
    tokens = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negated = False
        if text[i] == "-" and i + 1 < n and not text[i + 1].isspace():
            negated = True
            i += 1
        if text[i] == '"' and '"' in text[i + 1 :]:
            end = text.index('"', i + 1)
            tokens.append((text[i + 1 : end], True, negated))
            i = end + 1
            continue
        start = i
        while i < n and not text[i].isspace():
            i += 1
        tokens.append((text[start:i], False, negated))
    return tokens


_OPERATOR = re.compile(r"/(s|p|\d+)", re.IGNORECASE)
PARAGRAPH = "p"


def _operator(raw: str) -> str | int | None:
    """The proximity operator a token writes (SENTENCE, PARAGRAPH or a distance), or None."""
    found = _OPERATOR.fullmatch(raw)
    if found is None:
        return None
    word = found.group(1).lower()
    if word in (SENTENCE, PARAGRAPH):
        return word
    distance = int(word)
    if not 1 <= distance <= MAX_DISTANCE:
        raise QueryError("proximity_range", operator=raw, limit=MAX_DISTANCE)
    return distance


def _chains(groups: list[tuple[str, ...]], links: list[str | int | None]) -> tuple[Chain, ...]:
    """The runs of groups joined by /s or /N (links[i] joins group i to the one before)."""
    chains, run, ops = [], [groups[0]], []
    for group, op in zip(groups[1:], links[1:]):
        if op in (None, PARAGRAPH):
            if ops:
                chains.append(Chain(tuple(run), tuple(ops)))
            run, ops = [group], []
        else:
            run.append(group)
            ops.append(op)
    if ops:
        chains.append(Chain(tuple(run), tuple(ops)))
    return tuple(chains)


def check_length(text: str) -> None:
    """Raise QueryError for a query over MAX_QUERY_CHARS."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError("query_too_long", length=len(text), limit=MAX_QUERY_CHARS)


def parse_scope(raw: str) -> str | int | None:
    """A scope for terms separated by spaces (`near=` on the site, `--near` on the command line):
    "" or p (one paragraph), s (one sentence) or a distance 1-200; QueryError otherwise."""
    raw = raw.strip().lower()
    if raw in ("", PARAGRAPH):
        return None
    if raw == SENTENCE or (raw.isdigit() and len(raw) < 6):
        return _operator("/" + raw)
    raise QueryError("unknown_scope", value=raw[:20], limit=MAX_DISTANCE)


def parse_query(text: str, whole_words: bool = False, scope: str | int | None = None) -> Query:
    """Parse user query text (terms matched as whole words if asked); raises QueryError for a query over the limits.

    scope (SENTENCE or a distance) joins terms separated by spaces as /s or /N would.

    A query with nothing to search for is not an error: it matches nothing and
    carries a notice saying why.
    """
    check_length(text)
    tokens = _tokens(text)
    groups: list[list[str]] = []
    links: list[str | int | None] = []  # the operator joining each group to the one before
    excluded: list[str] = []
    join_next = False
    pending: tuple[str, str | int] | None = None  # a proximity operator waiting for its right side
    after_group = False  # the last token read was a term of a group
    for i, (raw, quoted, negated) in enumerate(tokens):
        op = _operator(raw) if not quoted and not negated else None
        if op is not None:
            if not after_group or pending is not None:
                raise QueryError("proximity_needs_terms", operator=raw)
            pending, after_group = (raw, op), False
            continue
        is_operator = raw == "OR" and not quoted and not negated
        if is_operator and groups and not join_next and i + 1 < len(tokens):
            join_next = True
            continue
        term = normalize(raw)
        if not term:
            continue
        if negated:
            if pending is not None:
                raise QueryError("proximity_needs_terms", operator=pending[0])
            excluded.append(term)
            after_group = False
            continue
        if join_next:
            groups[-1].append(term)
        else:
            groups.append([term])
            links.append(pending[1] if pending else scope)
            pending = None
        join_next, after_group = False, True
    if pending is not None:
        raise QueryError("proximity_needs_terms", operator=pending[0])
    inner = tokens[1:-1]
    advice = "lowercase_or" if any(r.lower() == "or" and r != "OR" and not q and not n for r, q, n in inner) else None
    if len(excluded) + sum(len(g) for g in groups) > MAX_TERMS:
        raise QueryError("too_many_terms", limit=MAX_TERMS)
    if not groups:
        return Query(
            text=text,
            groups=(),
            excluded=tuple(excluded),
            notice_code="only_excluded" if excluded else "nothing_to_search",
            whole_words=whole_words,
        )
    unique = [tuple(dict.fromkeys(g)) for g in groups]
    return Query(
        text=text,
        groups=tuple(unique),
        excluded=tuple(dict.fromkeys(excluded)),
        whole_words=whole_words,
        chains=_chains(unique, links),
        advice_code=advice,
    )
