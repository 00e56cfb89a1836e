"""The JSON bodies of hits, similar paragraphs and concordance lines, shared by the API, the exports
and the command line's --json (the engine returns records; what they look like outside is decided here)."""

from __future__ import annotations

from indexer.engine.search import HIT_REPORT_FIELDS, Hit, ReportIndex
from indexer.engine.similar import THRESHOLD
from indexer.research.citation import citation
from indexer.research.concordance import Line
from indexer.research.similar import Match, paragraph_id, similar_paragraphs

from .urls import report_url

#: The fields of a hit's JSON body, in order (the columns of the CSV export).
HIT_FIELDS = (
    "query",
    "report_id",
    "source",
    "paragraph",
    *(name for name in HIT_REPORT_FIELDS if name not in ("report_id", "source")),
    "section",
    "section_name",
    "heading",
    "text",
    "url",
    "source_url",
    "citation",
    "score",
)


def hit_body(hit: Hit, query_text: str | None = None) -> dict:
    """A hit as the API, the exports and `search --json` give it (HIT_FIELDS): `url` is the paragraph
    on this site, `source_url` the report's source URL (原文链接), `citation` the paragraph's reference."""
    report = {name: getattr(hit, name) for name in HIT_REPORT_FIELDS}
    return {
        "query": query_text,
        "report_id": report.pop("report_id"),
        "source": report.pop("source"),
        "paragraph": hit.paragraph,
        **report,
        "section": hit.section,
        "section_name": hit.section_name,
        "heading": hit.heading,
        "text": hit.text,
        "url": report_url(hit.report_id, hit.paragraph),
        "source_url": hit.report.get("url"),
        "citation": citation(hit.report, hit.paragraph),
        "score": round(hit.score, 6),
    }


def match_body(match: Match) -> dict:
    return {
        "report_id": match.report_id,
        "paragraph": match.paragraph,
        "township": match.township,
        "county": match.county,
        "year": match.year,
        "similarity": round(match.similarity, 4),
        "url": report_url(match.report_id, match.paragraph),
    }


def similar_body(index: ReportIndex, report_id: str, paragraph: int) -> dict:
    """A paragraph's similar paragraphs as the API and the CLI give them (UnknownParagraph when there
    is no such paragraph): whether it was compared at all, whether there may be more than listed,
    and the matches, best first."""
    pid = paragraph_id(index, report_id, paragraph)
    report = index.report(report_id)
    return {
        "report_id": report_id,
        "paragraph": paragraph,
        "township": report.get("township"),
        "county": report.get("county"),
        "year": report.get("year"),
        "threshold": THRESHOLD,
        "compared": bool(index.similar.compared([pid])[0]),
        "more": bool(index.similar.more([pid])[0]),
        "similar": [match_body(m) for m in similar_paragraphs(index, pid)],
    }


def line_body(line: Line, q: str | None = None, report: dict | None = None) -> dict:
    """A concordance line as the API and the CSV give it; with its report, its citation too."""
    body = {
        "left": line.left,
        "match": line.match,
        "right": line.right,
        "report_id": line.report_id,
        "paragraph": line.paragraph,
        "township": line.township,
        "year": line.year,
        "url": report_url(line.report_id, line.paragraph, q),
    }
    if report is not None:
        body["citation"] = citation(report or {}, line.paragraph)
    return body


def pair_body(pair) -> dict:
    """A pair of reports that share paragraphs (research/reuse.ReportPair), as /api/reuse gives it."""

    def side(report: dict) -> dict:
        return {k: report.get(k) for k in ("report_id", "source", "township", "county", "year", "date", "title")}

    return {
        "earlier": side(pair.earlier),
        "later": side(pair.later),
        "shared_paragraphs": pair.shared,
        "compared_paragraphs": pair.compared,
        "share": round(pair.share, 4),
        "same_date": pair.same_date,
    }
