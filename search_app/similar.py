"""Reused text: /api/similar/<report>/<paragraph> (JSON), /similar/<report>/<paragraph> (side by side)
and /reports/<report>/reuse (how much of a report other reports share, and with which townships)."""

from __future__ import annotations

from difflib import SequenceMatcher

import numpy as np
from flask import Blueprint, jsonify, render_template, request

from indexer.engine.search import ReportIndex
from indexer.engine.similar import MAX_MATCHES, MIN_CHARS, THRESHOLD
from indexer.research.reuse import corpus_reuse, pairs_of
from indexer.research.similar import (
    Match,
    paragraph_id,
    report_reuse,
    shared_spans,
    similar_paragraphs,
)

from .bodies import pair_body, similar_body
from .params import int_param, switch_param
from .results import marked
from .store import get_index, get_report

bp = Blueprint("similar", __name__)

#: The shortest and longest shared phrase offered as a search.
PHRASE_MIN, PHRASE_MAX = 8, 40
#: Characters of each paragraph searched for that phrase.
PHRASE_SEARCH = 3000


def _lookup(report_id: str, paragraph: int) -> tuple[ReportIndex, int, list[Match]]:
    index = get_index()
    pid = paragraph_id(index, report_id, paragraph)
    return index, pid, similar_paragraphs(index, pid)


@bp.route("/api/similar/<report_id>/<int:paragraph>")
def api_similar(report_id: str, paragraph: int):
    """The paragraphs of other reports that share most of this one's text, best first."""
    return jsonify(similar_body(get_index(), report_id, paragraph))


@bp.route("/similar/<report_id>/<int:paragraph>")
def side_by_side(report_id: str, paragraph: int):
    """The paragraph beside each similar one, the text they share marked in both."""
    index, pid, matches = _lookup(report_id, paragraph)
    hits = index.hits([pid] + [m.pid for m in matches])
    norms = index.texts.many(np.array([pid] + [m.pid for m in matches]))
    source, rows = hits[0], []
    for match, hit, norm in zip(matches, hits[1:], norms[1:]):
        rows.append(
            {
                "match": match,
                "hit": hit,
                "left": marked(source.text, shared_spans(source.text, norm)),
                "right": marked(hit.text, shared_spans(hit.text, norms[0])),
                "phrase": _shared_phrase(norms[0], norm),
            }
        )
    return render_template(
        "similar.html",
        report=index.report(report_id),
        source=source,
        rows=rows,
        compared=bool(index.similar.compared([pid])[0]),
        more=bool(index.similar.more([pid])[0]),
        threshold=THRESHOLD,
        min_chars=MIN_CHARS,
        max_matches=MAX_MATCHES,
    )


@bp.route("/reports/<report_id>/reuse")
def reuse(report_id: str):
    """Which share of a report's text other reports share, with which townships, paragraph by paragraph."""
    index, meta = get_report(report_id)
    data = report_reuse(index, meta)
    corpus = corpus_reuse(index, switch_param(request.args, "dups"))
    rows = index.hits([meta["first_pid"] + i for i, n in enumerate(data.counts) if n])
    return render_template(
        "reuse.html",
        report=meta,
        data=data,
        pairs=pairs_of(corpus, report_id, 20),
        earlier_share=corpus.shares.get(report_id, 0.0),
        rows=rows,
        threshold=THRESHOLD,
        min_chars=MIN_CHARS,
    )


@bp.app_template_global()
def similar_counts(paragraphs) -> list[tuple[int, bool]]:
    """For the hits of a page, how many similar paragraphs each has, and whether there may be more."""
    if not paragraphs:
        return []
    similar = get_index().similar
    pids = np.array([p.pid for p in paragraphs])
    return list(zip(similar.counts_of(pids).tolist(), similar.more(pids).tolist()))


def _shared_phrase(norm_a: str, norm_b: str) -> str | None:
    """The longest stretch of normalised text both paragraphs contain (cut to PHRASE_MAX), as a query
    that finds every paragraph with that wording; None when it is shorter than PHRASE_MIN."""
    a, b = norm_a[:PHRASE_SEARCH], norm_b[:PHRASE_SEARCH]  # bounds the time on very long paragraphs
    found = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    phrase = norm_a[found.a : found.a + min(found.size, PHRASE_MAX)]
    return phrase if len(phrase) >= PHRASE_MIN else None


#: Report pairs a page of /reuse shows.
REUSE_PAGE = 50


def _reuse_page(args) -> tuple[list, int, int, int]:
    """The pairs of a /reuse page: (pairs on it, all pairs over the minimum share, page, min share %)."""
    least = int_param(args, "min_share", 0, 100) or 0
    page = int_param(args, "page", 1, 100_000) or 1
    reuse = corpus_reuse(get_index(), switch_param(args, "dups"))
    total = reuse.at_least(least / 100)
    rows = range((page - 1) * REUSE_PAGE, min(total, page * REUSE_PAGE))
    return [reuse.pair(row) for row in rows], total, page, least


@bp.route("/reuse")
def corpus():
    """Pairs of reports that share paragraphs, the likely copy's share first."""
    pairs, total, page, least = _reuse_page(request.args)
    return render_template(
        "corpus_reuse.html", pairs=pairs, total=total, page=page, least=least, size=REUSE_PAGE, threshold=THRESHOLD
    )


@bp.route("/api/reuse")
def api_corpus():
    """The same as JSON: {total, page, pairs: [{earlier, later, shared_paragraphs, share …}]}."""
    pairs, total, page, least = _reuse_page(request.args)
    return jsonify({"total": total, "page": page, "min_share": least, "pairs": [pair_body(p) for p in pairs]})
