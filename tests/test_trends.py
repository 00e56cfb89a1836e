"""Trends (/trends, /api/trends, /trends.csv): every count checked against the engine and against a
brute-force count over the texts of the five reports."""

from __future__ import annotations

import csv
import io
import re
import shutil
import xml.etree.ElementTree as ET
from collections import defaultdict
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import numpy as np
import pytest

from indexer.engine.build import build
from indexer.engine.query import parse_query
from indexer.engine.search import Filters
from indexer.research.trends import BREAKDOWNS, MAX_PLACES, MAX_TREND_TERMS, MEASURES, TrendError, check_terms, trends
from indexer.text.normalize import normalize
from search_app import create_app
from search_app.chart import STYLES, Line, line_chart, nice_ticks
from tests.conftest import REPORTS, brute_force

#: 八五普法 and 血桃 occur in 2023 only, 法律明白人 in 2022 and 2023, 调解 and 行政执法 in every year.
TERMS = ["法律明白人", "八五普法", "行政执法", "习近平法治思想", "调解", "血桃"]
SVG = "{http://www.w3.org/2000/svg}"


def api(client, terms, **params):
    response = client.get("/api/trends?" + urlencode([("q", t) for t in terms] + list(params.items()), doseq=True))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


#: The CSV's Chinese headers and the JSON keys they stand for.
CSV_HEADERS = {
    "词语": "term",
    "地区": "place",
    "区划代码": "code",
    "年份": "year",
    "提及的报告数": "reports",
    "当年报告数": "year_reports",
    "报告占比": "report_share",
    "提及的段落数": "paragraphs",
    "出现次数": "occurrences",
    "当年字数": "year_chars",
    "每万字次数": "per10k",
    "链接": "url",
}


def csv_of(client, url: str) -> list[dict]:
    """The rows of a trends CSV (its Chinese headers checked), keyed as the JSON is."""
    response = client.get(url)
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")  # BOM for Excel
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == list(CSV_HEADERS)
    return [dict(zip(CSV_HEADERS.values(), row)) for row in rows[1:]]


@pytest.fixture(scope="module")
def paragraphs(index):
    """Every paragraph of the index as a hit: text as written, year, report, places, section."""
    return index.hits(np.flatnonzero(index.live).tolist())


def reference(paragraphs, term: str, keep=lambda hit: True) -> dict:
    """Brute force over the texts: per year, the reports, paragraphs and occurrences of a one-word term."""
    hits = [paragraphs[i] for i in brute_force([h.text for h in paragraphs], term) if keep(paragraphs[i])]
    out = defaultdict(lambda: {"reports": set(), "paragraphs": 0, "occurrences": 0})
    for hit in hits:
        year = out[hit.year]
        year["reports"].add(hit.report_id)
        year["paragraphs"] += 1
        year["occurrences"] += normalize(hit.text).count(normalize(term))
    return out


def corpus_by_year(paragraphs, keep=lambda hit: True) -> dict:
    """Brute force: per year, the reports and normalised characters of the paragraphs that pass."""
    out = defaultdict(lambda: {"reports": set(), "chars": 0})
    for hit in paragraphs:
        if keep(hit):
            out[hit.year]["reports"].add(hit.report_id)
            out[hit.year]["chars"] += len(normalize(hit.text))
    return out


# -- the contract -------------------------------------------------------------------------------


def test_contract_years_sorted_and_lists_aligned(client, paragraphs):
    body = api(client, TERMS)
    assert body["years"] == sorted({h.year for h in paragraphs if h.year})
    assert [s["term"] for s in body["series"]] == TERMS
    n = len(body["years"])
    assert len(body["reports_per_year"]) == len(body["chars_per_year"]) == n
    for s in body["series"]:
        for key in ("reports", "paragraphs", "occurrences", "report_share", "per10k", "urls"):
            assert len(s[key]) == n, (s["term"], key)


def test_the_terms_occur_in_some_years_only(client):
    """The fixture terms must include ones absent in some year, or the zeros below prove nothing."""
    body = api(client, TERMS)
    partial = [s["term"] for s in body["series"] if 0 in s["paragraphs"] and any(s["paragraphs"])]
    assert {"八五普法", "血桃", "法律明白人"} <= set(partial)


@pytest.mark.parametrize("term", TERMS)
def test_paragraphs_equal_the_cli_hit_count_and_brute_force(client, index, paragraphs, term):
    body = api(client, [term])
    expected = reference(paragraphs, term)
    for year, count in zip(body["years"], body["series"][0]["paragraphs"]):
        assert count == len(index.select(parse_query(term), Filters(year_from=year, year_to=year)))
        assert count == expected[year]["paragraphs"]


@pytest.mark.parametrize("term", TERMS)
def test_reports_and_occurrences_by_brute_force(client, paragraphs, term):
    body = api(client, [term])
    series = body["series"][0]
    expected = reference(paragraphs, term)
    assert series["reports"] == [len(expected[y]["reports"]) for y in body["years"]]
    assert series["occurrences"] == [expected[y]["occurrences"] for y in body["years"]]
    assert series["total"]["paragraphs"] == sum(v["paragraphs"] for v in expected.values())


def test_rates_divide_by_the_reports_and_characters_of_the_year(client, paragraphs):
    body = api(client, TERMS)
    corpus = corpus_by_year(paragraphs)
    assert body["reports_per_year"] == [len(corpus[y]["reports"]) for y in body["years"]]
    assert body["chars_per_year"] == [corpus[y]["chars"] for y in body["years"]]
    for s in body["series"]:
        for i, year in enumerate(body["years"]):
            assert s["report_share"][i] == pytest.approx(s["reports"][i] / len(corpus[year]["reports"]))
            assert s["per10k"][i] == pytest.approx(s["occurrences"][i] * 10_000 / corpus[year]["chars"])
        total_chars = sum(v["chars"] for v in corpus.values())
        assert s["total"]["per10k"] == pytest.approx(sum(s["occurrences"]) * 10_000 / total_chars)


FILTERS = [
    ({"township": "国宝乡"}, lambda h: h.township == "国宝乡"),
    ({"province": "山西省"}, lambda h: h.province == "山西省"),
    ({"section": "measures"}, lambda h: h.section == "measures"),
    ({"year_from": "2023"}, lambda h: (h.year or 0) >= 2023),
    ({"year": "2022-2023", "section": "problems"}, lambda h: h.year in (2022, 2023) and h.section == "problems"),
]


@pytest.mark.parametrize("params,keep", FILTERS, ids=[urlencode(p) for p, _ in FILTERS])
def test_filters_narrow_counts_and_what_rates_divide_by(client, paragraphs, params, keep):
    body = api(client, TERMS, **params)
    corpus = corpus_by_year(paragraphs, keep)
    assert body["years"] == sorted(y for y in corpus if y)
    assert body["reports_per_year"] == [len(corpus[y]["reports"]) for y in body["years"]]
    assert body["chars_per_year"] == [corpus[y]["chars"] for y in body["years"]]
    for s in body["series"]:
        expected = reference(paragraphs, s["term"], keep)
        assert s["paragraphs"] == [expected[y]["paragraphs"] for y in body["years"]]
        assert s["reports"] == [len(expected[y]["reports"]) for y in body["years"]]
        assert s["occurrences"] == [expected[y]["occurrences"] for y in body["years"]]


def test_a_term_takes_the_full_query_syntax(client, index):
    body = api(client, ["法律明白人 OR 八五普法", "法治 -执法", '"普法 OR 宣传"'])
    for s in body["series"]:
        for year, count in zip(body["years"], s["paragraphs"]):
            assert count == len(index.select(parse_query(s["term"]), Filters(year_from=year, year_to=year)))
    either = body["series"][0]
    alone = api(client, ["法律明白人", "八五普法"])["series"]
    assert sum(either["paragraphs"]) > max(sum(s["paragraphs"]) for s in alone)


def test_blank_and_repeated_terms_are_dropped(client):
    body = client.get("/api/trends?q=&q=法律明白人&q=++&q=法律明白人&q=八五普法").get_json()
    assert body["terms"] == ["法律明白人", "八五普法"]


def test_a_term_with_nothing_to_search_says_why(client):
    body = api(client, ["法律明白人", "“”"])
    empty = body["series"][1]
    assert empty["notice_code"] == "nothing_to_search" and not any(empty["paragraphs"])


def test_every_link_lists_as_many_hits_as_it_counts(client):
    body = api(client, ["法律明白人", "行政执法"], section="measures")
    for s in body["series"]:
        for url, count in zip(s["urls"], s["paragraphs"]):
            query = urlsplit(url).query
            assert urlsplit(url).path == "/search" and "section=measures" in query
            assert client.get("/api/search?" + query).get_json()["total"] == count


# -- errors -------------------------------------------------------------------------------------


BAD = [
    ("&".join(f"q=词{i}" for i in range(MAX_TREND_TERMS + 1)), "too_many_trend_terms"),
    ("q=法治&measure=zz", "unknown_trend_measure"),
    ("q=法治&by=village", "unknown_breakdown"),
    ("q=法治&q=" + "法" * 201, "query_too_long"),
    ("q=法治&section=nowhere", "unknown_section"),
    ("q=法治&year=20x3", "bad_year"),
    ("", "trends_need_terms"),
]


@pytest.mark.parametrize("query,code", BAD, ids=[c for _, c in BAD])
def test_bad_parameters_are_400_with_a_code(client, query, code):
    response = client.get("/api/trends?" + query)
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == code and body["status"] == 400 and body["error"]
    assert client.get("/trends.csv?" + query).status_code == 400


def test_too_many_terms_on_the_page_is_explained_in_chinese(client):
    response = client.get("/trends?" + "&".join(f"q=词{i}" for i in range(9)))
    assert response.status_code == 400
    assert "最多比较 8 个词语，现在有 9 个" in response.get_data(as_text=True)


def test_check_terms_refuses_the_ninth():
    assert check_terms([" a ", "", "b", "a"]) == ["a", "b"]
    with pytest.raises(TrendError) as info:
        check_terms([str(i) for i in range(MAX_TREND_TERMS + 1)])
    assert info.value.code == "too_many_trend_terms"


# -- breakdown ----------------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["township", "province"])
def test_breakdown_by_place_by_brute_force(client, paragraphs, by):
    body = api(client, TERMS, by=by)
    assert body["by"] == by and body["places_limit"] == MAX_PLACES
    for s in body["series"]:
        places = s["places"]
        assert [sum(p["paragraphs"]) for p in places] == sorted((sum(p["paragraphs"]) for p in places), reverse=True)
        assert s["places_more"] == 0
        for i in range(len(body["years"])):
            assert sum(p["paragraphs"][i] for p in places) == s["paragraphs"][i]
        for p in places:
            expected = reference(paragraphs, s["term"], lambda h, place=p["place"]: getattr(h, by) == place)
            assert p["paragraphs"] == [expected[y]["paragraphs"] for y in body["years"]]
            assert p["occurrences"] == [expected[y]["occurrences"] for y in body["years"]]
            for url in p["urls"]:
                assert f"{by}=" in url


def test_breakdown_is_bounded(index, monkeypatch):
    import indexer.research.trends

    monkeypatch.setattr(indexer.research.trends, "MAX_PLACES", 2)
    series = trends(index, ["行政执法"], Filters(), by="township").series[0]
    assert len(series.places) == 2 and series.places_more == 3
    assert series.places[0].total.paragraphs >= series.places[1].total.paragraphs


# -- CSV ----------------------------------------------------------------------------------------


def test_csv_rows_match_the_json(client):
    terms = ["法律明白人", "-执法 法治", "=1+1"]
    body = api(client, terms)
    rows = csv_of(client, "/trends.csv?" + urlencode([("q", t) for t in terms]))
    assert len(rows) == len(terms) * len(body["years"])
    for s in body["series"]:
        safe = "'" + s["term"] if s["term"][0] in "-=" else s["term"]
        mine = [r for r in rows if r["term"] == safe]
        assert [int(r["year"]) for r in mine] == body["years"]
        for i, row in enumerate(mine):
            for key in ("reports", "paragraphs", "occurrences"):
                assert int(row[key]) == s[key][i]
            assert int(row["year_reports"]) == body["reports_per_year"][i]
            assert int(row["year_chars"]) == body["chars_per_year"][i]
            assert float(row["report_share"]) == pytest.approx(s["report_share"][i], abs=1e-6)
            assert float(row["per10k"]) == pytest.approx(s["per10k"][i], abs=1e-6)
            assert row["url"].startswith("http://localhost/search?") and row["url"].endswith(s["urls"][i])


def test_csv_is_named_after_its_terms_and_filters(client):
    response = client.get("/trends.csv", query_string={"q": ["法律明白人", "八五普法"], "township": "熊背乡"})
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=\"trends.csv\"; filename*=UTF-8''")
    assert unquote(disposition.split("''")[1]) == "法律明白人、八五普法-熊背乡-趋势.csv"


def test_csv_with_a_breakdown_adds_rows_per_place(client):
    body = api(client, ["法律明白人"], by="county")
    rows = csv_of(client, "/trends.csv?q=法律明白人&by=county")
    places = {p["place"]: p for p in body["series"][0]["places"]}
    assert {r["place"] for r in rows if r["place"]} == set(places)
    for row in rows:
        if row["place"]:
            i = body["years"].index(int(row["year"]))
            assert int(row["paragraphs"]) == places[row["place"]]["paragraphs"][i]


# -- the page and its chart ---------------------------------------------------------------------


def chart_of(html: str) -> ET.Element:
    return ET.fromstring(re.search(r"<svg class=\"trendchart\".*?</svg>", html, re.S).group(0))


def test_page_draws_one_line_per_term_with_legend_and_links(client):
    terms = ["法律明白人", "八五普法", "行政执法"]
    body = api(client, terms)
    html = client.get("/trends?" + urlencode([("q", t) for t in terms])).get_data(as_text=True)
    svg = chart_of(html)
    assert svg.get("role") == "img" and "法律明白人" in svg.get("aria-label")
    lines = svg.findall(f".//{SVG}path[@class='line']")
    assert len(lines) == len(terms)
    assert len({(p.get("stroke"), p.get("stroke-dasharray")) for p in lines}) == len(terms)
    legend = [t.text for t in svg.findall(f".//{SVG}g[@class='legend-item']/{SVG}text")]
    assert legend == terms
    for s, group in zip(body["series"], svg.findall(f".//{SVG}g[@class='series']")):
        links = [a.get("href") for a in group.findall(f"{SVG}a")]
        assert links == s["urls"]
        tips = [a.find(f"{SVG}title").text for a in group.findall(f"{SVG}a")]
        assert all(tip.startswith(s["term"]) for tip in tips)
    # by default the share of each year's reports that mention the term, with each year's reports under it
    text = "".join(svg.itertext())
    assert "年份" in text and "提及的报告占当年报告的比例（%）" in text
    notes = [t.text for t in svg.findall(f".//{SVG}text[@class='xnote']")]
    assert notes == [f"（{n} 份）" for n in body["reports_per_year"]]
    assert body["default_measure"] == "report_share"
    said = re.search(r'<p class="count" id="year-reports">(.*?)</p>', html, re.S).group(1)
    for year, n in zip(body["years"], body["reports_per_year"]):
        assert f"{year} 年 {n} 份" in said
    for s in body["series"]:  # the table beneath: a cell per year, linking to its hits
        for url, count, share in zip(s["urls"], s["paragraphs"], s["report_share"]):
            if count:
                assert f'href="{url.replace("&", "&amp;")}">{share * 100:.1f}%</a>' in html
    # the raw counts are one click away
    counts = re.search(r'<a href="([^"]+)">段落数</a>', html).group(1).replace("&amp;", "&")
    html = client.get(counts).get_data(as_text=True)
    assert "提及的段落数（段）" in "".join(chart_of(html).itertext())
    for s in body["series"]:
        for url, count in zip(s["urls"], s["paragraphs"]):
            if count:
                assert f'href="{url.replace("&", "&amp;")}">{count}</a>' in html


@pytest.mark.parametrize(
    "measure,label,cell",
    [
        ("reports", "提及的报告数（份）", ">2<"),
        ("report_share", "提及的报告占当年报告的比例（%）", ">66.7%<"),
        ("per10k", "每万字出现次数（次/万字）", ">3.01<"),
    ],
)
def test_measure_switch_changes_the_axis_and_the_table(client, measure, label, cell):
    html = client.get(f"/trends?q=法律明白人&q=八五普法&measure={measure}").get_data(as_text=True)
    assert label in "".join(chart_of(html).itertext())
    assert cell in html
    assert re.search(
        r'<span class="chosen" aria-current="true">'
        + re.escape({"reports": "报告数", "report_share": "报告占比", "per10k": "每万字次数"}[measure]),
        html,
    )
    csv_link = re.search(r'id="trends-csv" href="([^"]+)"', html).group(1)
    assert (f"measure={measure}" in csv_link) == (measure != "report_share")  # the default goes unsaid


def test_the_y_axis_has_round_ticks_above_the_highest_point(client):
    html = client.get("/trends?q=行政执法&measure=paragraphs").get_data(as_text=True)
    ticks = [float(t.text) for t in chart_of(html).findall(f".//{SVG}text[@class='ytick']")]
    assert ticks[0] == 0 and ticks[-1] >= 15 and len(set(b - a for a, b in zip(ticks, ticks[1:]))) == 1


def test_page_without_terms_explains_with_an_example(client):
    html = client.get("/trends").get_data(as_text=True)
    example = re.search(r'<a href="(/trends\?q=[^"]+)">', html).group(1).replace("&amp;", "&")
    assert "趋势页" in html and "<svg" not in html
    assert len(chart_of(client.get(example).get_data(as_text=True)).findall(f".//{SVG}path[@class='line']")) == 3


def test_switches_and_chips_keep_the_rest_of_the_state(client):
    html = client.get("/trends?q=法律明白人&q=行政执法&section=measures&by=township").get_data(as_text=True)
    switches = re.findall(r'<nav class="switch".*?</nav>', html, re.S)
    links = [
        parse_qs(urlsplit(h.replace("&amp;", "&")).query)
        for nav in switches
        for h in re.findall(r'href="([^"]+)"', nav)
    ]
    assert len(links) == len(MEASURES) - 1 + len(BREAKDOWNS)  # every choice but the chosen one
    for link in links:
        assert link["q"] == ["法律明白人", "行政执法"] and link["section"] == ["measures"]
    chip = re.search(r'<a href="([^"]+)" aria-label="移除 章节', html).group(1).replace("&amp;", "&")
    assert chip.startswith("/trends?") and parse_qs(urlsplit(chip).query) == {
        "q": ["法律明白人", "行政执法"],
        "by": ["township"],
    }


def test_single_year_and_nothing_found(client):
    html = client.get("/trends?q=法律明白人&q=无此词语&year=2023").get_data(as_text=True)
    svg = chart_of(html)
    assert [t.text for t in svg.findall(f".//{SVG}text[@class='xtick']")] == ["2023"]
    assert len(svg.findall(f".//{SVG}path[@class='line']")) == 2
    html = client.get("/trends?q=无此词语&measure=reports").get_data(as_text=True)
    assert "所有词语在所选范围内都没有出现" in html
    assert [t.text for t in chart_of(html).findall(f".//{SVG}text[@class='ytick']")] == ["0", "1"]


@pytest.fixture(scope="module")
def undated_client(tmp_path_factory):
    """A site over the five reports and a sixth without a year."""
    data = tmp_path_factory.mktemp("undated-data")
    for path in REPORTS.glob("*.txt"):
        shutil.copy(path, data / path.name)
    (data / "zz_undated.txt").write_text(
        "白云乡人民政府关于法治政府建设情况的报告\n\n一、主要举措和成效\n"
        "我乡持续开展法律明白人培训，推进八五普法，法律明白人队伍不断壮大。\n\n"
        "二、存在问题\n法治宣传形式单一。\n",
        encoding="utf-8",
    )
    target = tmp_path_factory.mktemp("undated-index")
    build(data, target)
    return create_app({"INDEX_DIR": target, "TESTING": True}).test_client()


def test_reports_without_a_year_are_counted_apart(undated_client, client):
    body = api(undated_client, ["法律明白人"])
    assert body["years"] == api(client, ["法律明白人"])["years"]
    assert body["undated"]["reports"] == 1 and body["undated"]["paragraphs"] > 0
    assert body["series"][0]["undated"]["paragraphs"] == 1
    assert body["series"][0]["undated"]["occurrences"] == 2
    html = undated_client.get("/trends?q=法律明白人").get_data(as_text=True)
    assert "另有 1 份报告" in html and "年份未知" in html and "<svg" in html
    rows = csv_of(undated_client, "/trends.csv?q=法律明白人")
    assert rows[-1]["year"] == "" and rows[-1]["paragraphs"] == "1"


def test_no_dated_report_means_no_chart_but_says_so(undated_client):
    html = undated_client.get("/trends?q=法律明白人&township=白云乡").get_data(as_text=True)
    assert "都没有标明年份" in html and 'class="trendchart"' not in html
    assert api(undated_client, ["法律明白人"], township="白云乡")["years"] == []


# -- the chart on its own -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "top,integer,ticks",
    [
        (0, True, [0, 1]),
        (15, True, [0, 5, 10, 15]),
        (7, True, [0, 2, 4, 6, 8]),
        (0.37, False, [0, 0.1, 0.2, 0.3, 0.4]),
        (66.7, False, [0, 20, 40, 60, 80]),
        (2.2, False, [0, 0.5, 1, 1.5, 2, 2.5]),
    ],
)
def test_nice_ticks(top, integer, ticks):
    assert nice_ticks(top, integer=integer) == pytest.approx(ticks)


def test_chart_styles_differ_in_dash_and_marker_not_only_colour():
    assert len({(dash, shape, filled) for _, dash, shape, filled in STYLES}) == len(STYLES) == MAX_TREND_TERMS
    assert len({dash for _, dash, _, _ in STYLES}) == len(STYLES)


def test_chart_escapes_labels_and_leaves_gaps():
    svg = ET.fromstring(
        line_chart(
            [2022, 2023, 2024],
            [Line("<b>&", [1, None, 3], ["/a?x=1&y=2", None, "/c"], ["t1", "t2", "t3"])],
            y_label="次",
            x_label="年份",
            title="图",
        )
    )
    path = svg.find(f".//{SVG}path[@class='line']").get("d")
    assert path.count("M") == 2 and "L" not in path
    assert [a.get("href") for a in svg.iter(f"{SVG}a")] == ["/a?x=1&y=2", "/c"]
    assert svg.find(f".//{SVG}g[@class='legend-item']/{SVG}text").text == "<b>&"
