"""Trends of up to eight terms over the years: /trends (chart and tables), /api/trends, /trends.csv."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from flask import Blueprint, Response, jsonify, render_template, request
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from indexer.engine.places import NOT_APPLICABLE, UNSETTLED_VALUE
from indexer.research.trends import (
    BREAKDOWNS,
    COUNTS,
    MAX_PLACES,
    MAX_TREND_TERMS,
    MEASURES,
    Line,
    Trends,
    check_breakdown,
    check_measure,
    check_terms,
    trends,
)

from . import chart
from .params import ParamError, SearchParams, as_param_error, parse_params, township_reports_by_default
from .protect import heavy
from .results import name_parts
from .spreadsheet import attachment, csv_stream, file_name
from .store import get_index

bp = Blueprint("trends", __name__)

#: The chart's default: the share of each year's reports that mention a term, so years of many reports
#: and years of few compare fairly; the counts are a click away.
DEFAULT_MEASURE = "report_share"
#: The columns of /trends.csv (key → Chinese header).
CSV_FIELDS = {
    "term": "词语",
    "place": "地区",
    "code": "区划代码",
    "year": "年份",
    "reports": "提及的报告数",
    "year_reports": "当年报告数",
    "report_share": "报告占比",
    "paragraphs": "提及的段落数",
    "occurrences": "出现次数",
    "year_chars": "当年字数",
    "per10k": "每万字次数",
    "url": "链接",
}


@dataclass
class TrendParams(SearchParams):
    """A trends URL: the search filters, the terms (each a `q`), the breakdown and the chart's measure."""

    terms: list[str] = field(default_factory=list)
    by: str | None = None
    measure: str = DEFAULT_MEASURE

    def pairs(self, **changes) -> list[tuple[str, str]]:
        own = {
            "q": self.terms,
            "sort": None,
            "page": None,
            "per_page": None,
            "by": self.by,
            "measure": None if self.measure == DEFAULT_MEASURE else self.measure,
        }
        return super().pairs(**{**own, **changes})

    def url(self, endpoint: str = "/trends", **changes) -> str:
        return super().url(endpoint, **changes)

    def hits_url(self, term: str, year: int | None = None, place: str | None = None) -> str:
        """The search page with a term's hits under these filters, in one year and one place if given."""
        changes: dict = {"q": term, "by": None, "measure": None}
        if year:
            changes.update(year_from=year, year_to=year)
        if place and self.by:
            changes[self.by] = [place]
        return self.url("/search", **changes)


def parse_trend_params(args: MultiDict) -> TrendParams:
    """The trends URL's parameters; township reports only unless a level is chosen (see _parse_trend_params)."""
    return township_reports_by_default(_parse_trend_params(args))


def _parse_trend_params(args: MultiDict) -> TrendParams:
    """The search filters of the URL, plus its terms, `by` and `measure`; raises ParamError."""
    # Occurrences here are substrings: whole-word mode (`whole`) belongs to the search page.
    base = parse_params(MultiDict([(k, v) for k, v in args.items(multi=True) if k != "whole"]))
    measure = args.get("measure", "").strip() or DEFAULT_MEASURE
    by = args.get("by", "").strip() or None
    with as_param_error():
        terms = check_terms(args.getlist("q"))
        check_measure(measure)
        if by is not None:
            check_breakdown(by)
    return TrendParams(
        **{f.name: getattr(base, f.name) for f in fields(SearchParams)}, terms=terms, by=by, measure=measure
    )


def _compute(params: TrendParams) -> Trends:
    if not params.terms:
        raise ParamError("trends_need_terms", limit=MAX_TREND_TERMS)
    with as_param_error():
        return trends(get_index(), params.terms, params.filters, params.by)


def trends_json(data: Trends, params: TrendParams) -> dict:
    """The /api/trends body: years, what each year holds, and a series per term (lists aligned with years)."""
    series = []
    for s in data.series:
        entry = {
            "term": s.term,
            "notice": s.query.notice,
            "notice_code": s.query.notice_code,
            **s.to_json(),
            "urls": [params.hits_url(s.term, y) for y in data.years],
            "search_url": params.hits_url(s.term),
        }
        if data.by:
            entry["places"] = [
                {
                    "place": p.label,
                    "value": p.value,  # the code (or 未定, 无) filters take
                    **p.to_json(),
                    "urls": [params.hits_url(s.term, y, p.value) for y in data.years],
                }
                for p in s.places
            ]
            entry["places_more"] = s.places_more
        series.append(entry)
    return {
        "terms": params.terms,
        "default_measure": DEFAULT_MEASURE,
        "years": data.years,
        "reports_per_year": data.reports_per_year,
        "paragraphs_per_year": data.paragraphs_per_year,
        "chars_per_year": data.chars_per_year,
        "undated": data.undated,
        "by": data.by,
        "places_limit": MAX_PLACES if data.by else None,
        "series": series,
    }


def csv_rows(data: Trends, params: TrendParams):
    """One row per term and year (and per place, with `by`); `year` is empty for paragraphs without one."""

    def rows_of(term: str, line: Line, place: str | None, value: str | None = None):
        for year, cell in data.cells(line):
            measures = {k: round(v, 6) if isinstance(v, float) else v for k, v in cell.to_json().items()}
            yield {
                "term": term,
                "place": place or "",
                "code": value if value not in (None, UNSETTLED_VALUE, NOT_APPLICABLE) else "",
                "year": year or "",
                **measures,
                "year_reports": cell.of_reports,
                "year_chars": cell.of_chars,
                "url": params.hits_url(term, year, value) if year and value != "" else "",
            }

    for s in data.series:
        yield from rows_of(s.term, s, None)
        for p in s.places:
            yield from rows_of(s.term, p, p.label, p.value)


def chart_svg(data: Trends, params: TrendParams) -> Markup:
    """The chart of the chosen measure, one line per term, each point linking to its hits."""
    name, axis = MEASURES[params.measure]
    percent = params.measure == "report_share"
    lines = []
    for s in data.series:
        values = s.values(params.measure)
        lines.append(
            chart.Line(
                label=s.term,
                values=[v * 100 if percent and v is not None else v for v in values],
                links=[params.hits_url(s.term, y) for y in data.years],
                tooltips=[f"{s.term} · {y} 年：{format_value(v, params.measure)}" for y, v in zip(data.years, values)],
            )
        )
    title = f"趋势折线图：{'、'.join(params.terms)}，{data.years[0]}–{data.years[-1]} 年{name}"
    return chart.line_chart(
        data.years,
        lines,
        y_label=axis,
        x_label="年份（报告年度；括号内为当年报告数）",
        title=title,
        integer=params.measure in COUNTS,
        x_notes=[f"（{n} 份）" for n in data.reports_per_year],
    )


UNITS = {"reports": " 份报告", "paragraphs": " 个段落", "occurrences": " 次", "report_share": "", "per10k": " 次/万字"}


@bp.app_template_global()
def format_value(value, measure: str, unit: bool = True) -> str:
    """A measure as tooltips show it (with its unit) and tables (without: the caption has it)."""
    if value is None:
        return "—"
    if measure == "report_share":
        return f"{value * 100:.1f}%"
    text = f"{value:.2f}" if measure == "per10k" else str(value)
    return text + UNITS[measure] if unit else text


@bp.route("/trends")
@heavy
def page():
    params = parse_trend_params(request.args)
    index = get_index()
    data = svg = facets = None
    notices: list[dict] = []
    if params.terms:
        data = _compute(params)
        svg = chart_svg(data, params) if data.years else None
        facets = index.facets(index.match(None), params.filters)  # over every paragraph, as for browsing
        notices = index.place_notices(params.filters)
    years = sorted({r["year"] for r in index.reports if r["year"]})
    return render_template(
        "trends.html",
        params=params,
        data=data,
        svg=svg,
        facets=facets,
        notices=notices,
        years=years,
        MEASURES=MEASURES,
        BREAKDOWNS=BREAKDOWNS,
        MAX_TREND_TERMS=MAX_TREND_TERMS,
        MAX_PLACES=MAX_PLACES,
        swatch=chart.swatch,
    )


@bp.route("/api/trends")
@heavy
def api():
    params = parse_trend_params(request.args)
    return jsonify(trends_json(_compute(params), params))


@bp.route("/trends.csv")
@heavy
def export():
    params = parse_trend_params(request.args)
    data = _compute(params)
    response = Response(
        "".join(csv_stream(csv_rows(data, params), CSV_FIELDS, request.host_url)),
        content_type="text/csv; charset=utf-8",
    )
    name = file_name("、".join(params.terms), *name_parts(params), "趋势")
    response.headers["Content-Disposition"] = attachment(name, "csv", "trends")
    return response
