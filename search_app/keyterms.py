"""Key terms of a report, a township, a county, a year or a query's paragraphs: /keyterms (page)
and /api/keyterms (JSON)."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from indexer.messages import NotFound
from indexer.research.keyterms import (
    DEFAULT_MIN_FREQ,
    DEFAULT_TERMS,
    MAX_TERMS,
    STOP_WORDS,
    key_terms,
    keyterms_body,
    parse_stop_words,
    selection,
)

from .params import ParamError, int_param, parse_params
from .protect import heavy
from .store import get_index


def _key_terms():
    """What was asked for (a report, or the search parameters of a selection), its paragraph ids and
    its terms; 400/404 when unusable."""
    report_id = request.args.get("report", "").strip() or None
    params = parse_params(request.args)
    if (report_id is None) == (not params.q and not params.has_filters):
        raise ParamError("keyterms_target")
    number = int_param(request.args, "n", 1, MAX_TERMS) or DEFAULT_TERMS
    min_freq = int_param(request.args, "min_freq", 1, 1000) or DEFAULT_MIN_FREQ
    stop = request.args.get("stop", "")[:500]
    index = get_index()
    if report_id:
        pids = selection(index, report_id=report_id)
        if pids is None:
            raise NotFound("unknown_report", report_id=report_id[:80])
    else:
        for name in params.townships:
            if not index.places.find("township", name):
                raise NotFound("unknown_township", township=name[:80])
        pids = index.select_counted(params.query(), params.filters)
    terms = key_terms(index, pids, number, min_freq, parse_stop_words(stop), duplicates=params.dups)
    return index, index.report(report_id) if report_id else None, params, pids, terms, stop, min_freq


bp = Blueprint("keyterms", __name__)


@bp.route("/api/keyterms")
@heavy
def api_keyterms():
    """The terms a report (report=) or a selection (township=, county=, year=, q= … as in /search) uses
    more than the rest of the reports, best first (n=, min_freq=, stop=)."""
    _, report, params, pids, terms, _, _ = _key_terms()
    township = params.townships[0] if len(params.townships) == 1 else None
    return jsonify(keyterms_body(terms, len(pids), report=report["report_id"] if report else None, township=township))


@bp.route("/keyterms")
@heavy
def page():
    index, report, params, pids, terms, stop, min_freq = _key_terms()
    township = params.townships[0] if len(params.townships) == 1 else (report or {}).get("township")
    return render_template(
        "keyterms.html",
        report=report,
        params=params,
        township=township,
        paragraphs=len(pids),
        terms=terms,
        sampled=terms.sampled,
        read=terms.read,
        stop=stop,
        min_freq=min_freq,
        stop_words="、".join(sorted(STOP_WORDS)[:40]),
    )
