"""Key terms of a report or a township: /keyterms (page) and /api/keyterms (JSON)."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from indexer.messages import NotFound
from indexer.research.keyterms import DEFAULT_TERMS, MAX_TERMS, key_terms, selection

from .params import ParamError, int_param
from .protect import heavy
from .store import get_index

bp = Blueprint("keyterms", __name__)


def _key_terms():
    """The index, what was asked for (report meta or township name) and its terms; 400/404 when unusable."""
    report_id = request.args.get("report", "").strip() or None
    township = request.args.get("township", "").strip() or None
    if (report_id is None) == (township is None):
        raise ParamError("keyterms_target")
    number = int_param(request.args, "n", 1, MAX_TERMS) or DEFAULT_TERMS
    index = get_index()
    pids = selection(index, report_id=report_id, township=township)
    if pids is None:
        if report_id:
            raise NotFound("unknown_report", report_id=report_id[:80])
        raise NotFound("unknown_township", township=township[:80])
    return index, index.report(report_id) if report_id else None, township, pids, key_terms(index, pids, number)


@bp.route("/api/keyterms")
@heavy
def api_keyterms():
    """The words that set a report (report=) or a township (township=) apart, best first (n=, default 20)."""
    _, report, township, pids, terms = _key_terms()
    return jsonify(
        {
            "report": report["report_id"] if report else None,
            "township": township,
            "paragraphs": len(pids),
            "paragraphs_read": terms.read,
            "sampled": terms.sampled,
            "terms": [t.to_json() for t in terms],
        }
    )


@bp.route("/keyterms")
@heavy
def page():
    index, report, township, pids, terms = _key_terms()
    return render_template(
        "keyterms.html",
        report=report,
        township=township or (report or {}).get("township"),
        paragraphs=len(pids),
        terms=terms,
        sampled=terms.sampled,
        read=terms.read,
        own_township=township is not None,
    )
