"""Reports as users keep them: real townships (many of one name) filed in 省/市/县 folders, built and updated
through the command line; every county settled, every township one facet value, same-name places apart."""

import json
import re
import shutil
from collections import Counter
from urllib.request import urlopen

import pytest

from indexer.bench.places_corpus import write_place_corpus
from indexer.cli import main
from indexer.engine.search import ReportIndex

#: Places chosen, and how many of them the updated shape builds before an update adds the rest.
COUNT, FIRST = 480, 400
SEED = 5

BODY = "\n2025年，我们坚持依法行政，推进法治政府建设。\n一、主要举措和成效\n开展普法宣传。\n"


@pytest.fixture(scope="session", params=["built", "updated"])
def corpus(request, tmp_path_factory):
    """(index folder, what each report must get) for the generated corpus, as one build of every file,
    or as a build of the first FIRST files followed by an update that adds the others."""
    data = tmp_path_factory.mktemp("place-corpus") / "reports"
    index = data.parent / "index"
    if request.param == "built":
        filed = write_place_corpus(data, COUNT, SEED)
        assert main(["build", "--data", str(data), "--index", str(index)]) == 0
    else:
        filed = write_place_corpus(data, COUNT, SEED, slice(0, FIRST))
        assert main(["build", "--data", str(data), "--index", str(index)]) == 0
        filed += write_place_corpus(data, COUNT, SEED, slice(FIRST, None))
        assert main(["update", "--data", str(data), "--index", str(index)]) == 0
        assert ReportIndex.open(index, warm=False).meta.segments[-1].update
    return index, {f.path: f for f in filed}


@pytest.fixture(scope="session")
def corpus_client(corpus):
    from search_app import create_app

    return create_app({"INDEX_DIR": corpus[0], "TESTING": True}).test_client()


def test_the_corpus_is_the_same_for_a_seed_and_has_many_shared_names(tmp_path):
    first = write_place_corpus(tmp_path / "a", 200, 9)
    again = write_place_corpus(tmp_path / "b", 200, 9)
    assert first == again
    assert [p.read_bytes() for p in sorted((tmp_path / "a").rglob("*.txt"))] == [
        p.read_bytes() for p in sorted((tmp_path / "b").rglob("*.txt"))
    ]
    names = Counter(f.path.rsplit("/", 1)[1][:-8] for f in first if f.township_code)
    assert names["城南街道"] == 32 and names["新华乡"] == 8 and names["中村乡"] == 5


def test_every_report_gets_the_county_and_township_its_folder_names(corpus):
    index_dir, filed = corpus
    reports = ReportIndex.open(index_dir, warm=False).reports
    assert len(reports) == COUNT
    for r in reports:
        want = filed[r["source"]]
        assert (r["level"], r["county_code"], r["township_code"]) == (want.level, want.county_code, want.township_code)
        assert (r["county"] or not want.county_code) and not [w for w in r["warnings"] if not w.startswith("level:")]


def test_the_township_facet_has_one_value_per_township(corpus, corpus_client):
    _, filed = corpus
    data = corpus_client.get("/api/search?q=法治&facet_size=max").get_json()
    assert data["facets_truncated"]["township"] is False
    values = [v for v in data["facets"]["township"] if v["code"]]
    codes = [v["code"] for v in values]
    assert sorted(codes) == sorted(f.township_code for f in filed.values() if f.township_code)
    assert len({v["label"] for v in values}) == len(values)  # same-name places are told apart
    chengnan = [v for v in values if v["name"] == "城南街道"]
    assert len(chengnan) == 32 and all(v["label"].startswith("城南街道（") for v in chengnan)
    county_reports = sum(1 for f in filed.values() if f.level == "县级")
    not_applicable = [v for v in data["facets"]["township"] if v["value"] == "无"]
    assert len(not_applicable) == (1 if county_reports else 0) and not_applicable[0]["label"] == "不适用"
    assert not [v for v in data["facets"]["county"] if v["value"] == "未定"]
    short = corpus_client.get("/api/search?q=法治").get_json()
    assert len(short["facets"]["township"]) == 30 and short["facets_truncated"]["township"] is True


def test_a_shared_name_chooses_every_place_of_it_and_says_so_a_code_one(corpus, corpus_client):
    index_dir, filed = corpus
    index = ReportIndex.open(index_dir, warm=False)
    by_name = corpus_client.get("/api/search?q=法治&township=城南街道&per_page=100").get_json()
    (notice,) = by_name["notices"]
    assert notice["code"] == "shared_place_name" and len(notice["places"]) == 32
    assert {h["township"] for h in by_name["hits"]} == {"城南街道"}
    assert len({h["township_code"] for h in by_name["hits"]}) > 1
    code = notice["places"][0]["code"]
    by_code = corpus_client.get(f"/api/search?q=法治&township={code}").get_json()
    assert by_code["notices"] == [] and {h["township_code"] for h in by_code["hits"]} == {code}
    label = notice["places"][0]["label"]
    assert corpus_client.get(f"/api/search?q=法治&township={label}").get_json()["total"] == by_code["total"]
    page = corpus_client.get("/search?q=法治&township=城南街道").get_data(as_text=True)
    assert "有 32 处同名" in page
    assert index.places.find("township", code) == [index.value_code["township"][code]]


def test_places_sort_by_division_code(corpus, corpus_client):
    data = corpus_client.get("/api/search?q=法治&sort=township&per_page=100").get_json()
    codes = [h["township_code"] or "999999999" for h in data["hits"]]
    assert codes == sorted(codes)
    facet = corpus_client.get("/api/search?q=法治&facet_size=max").get_json()["facets"]["county"]
    order = {"未定": "", "无": "~"}  # unsettled first, not applicable last

    def key(item):
        return order.get(item["value"], item["value"])

    for a, b in zip(facet, facet[1:]):  # most first; ties in code order
        assert a["count"] > b["count"] or (a["count"] == b["count"] and key(a) < key(b))


def test_the_cli_says_when_a_name_chooses_several_places(corpus, cli):
    index_dir, _ = corpus
    code, out, err = cli("search", "法治", "--index", index_dir, "--township", "城南街道", "--limit", "1")
    assert code == 0 and "note: 乡镇 城南街道 names 32 places" in err
    code, out, err = cli("search", "法治", "--index", index_dir, "--township", "360502001", "--limit", "1")
    assert code == 0 and "note:" not in err and "城南街道（渝水区）" in out


def test_compare_and_trends_count_township_reports_by_default(corpus_client):
    page = corpus_client.get("/compare?q=法治").get_data(as_text=True)
    assert 'id="township-only"' in page
    shared = corpus_client.get("/compare?q=法治&township=城南街道").get_data(as_text=True)
    assert "城南街道（渝水区）" in shared  # every place of the name, each labelled with its county
    assert "/compare?q=%E6%B3%95%E6%B2%BB&amp;level=%E5%85%A8%E9%83%A8" in page
    assert 'id="township-only"' not in corpus_client.get("/compare?q=法治&level=全部").get_data(as_text=True)
    towns = corpus_client.get("/api/trends?q=法治").get_json()["reports_per_year"]
    every = corpus_client.get("/api/trends?q=法治&level=全部").get_json()["reports_per_year"]
    assert sum(every) - sum(towns) == int(COUNT * 0.02)
    by = corpus_client.get("/api/trends?q=法治&by=township").get_json()["series"][0]["places"]
    assert all(p["value"] != "无" for p in by)  # no county report among township counts


@pytest.mark.parametrize(
    "folders, county",
    [
        ("浙江省/台州市/临海市", "临海市"),
        ("河北省/衡水市/景县", "景县"),
        ("临海市", "临海市"),  # the county alone
        ("浙江省", "临海市"),  # a province that has one 杜桥镇 only
        ("河北省/衡水市", "景县"),  # a prefecture that has one
    ],
)
def test_folders_settle_a_shared_name_in_build_and_update(tmp_path, cli, folders, county):
    """杜桥镇 is a town of 临海市 and one of 景县: the folder the report is filed in says which, when the
    CLI builds it and when an update adds it."""
    data, index = tmp_path / "reports", tmp_path / "index"
    (data / folders).mkdir(parents=True)
    text = "杜桥镇2025年法治政府建设工作报告" + BODY + "杜桥镇人民政府\n2026年1月10日\n"
    (data / folders / "杜桥镇2025.txt").write_text(text, encoding="utf-8")
    code, _, err = cli("build", "--data", data, "--index", index)
    assert code == 0 and "杜桥镇" not in err, err
    (data / folders / "杜桥镇2024.txt").write_text(text.replace("2025", "2024").replace("2026", "2025"), "utf-8")
    code, _, err = cli("update", "--data", data, "--index", index)
    assert code == 0, err
    reports = ReportIndex.open(index, warm=False).reports
    assert [(r["county"], r["township"], r["warnings"]) for r in reports] == [(county, "杜桥镇", [])] * 2


def test_a_folder_that_does_not_settle_leaves_the_county_unsettled_and_listed(tmp_path, cli):
    data, index = tmp_path / "reports", tmp_path / "index"
    (data / "浙江省").mkdir(parents=True)
    (data / "浙江省/城南街道.txt").write_text(
        "城南街道2025年法治政府建设工作报告" + BODY + "城南街道办事处\n2026年1月10日\n", encoding="utf-8"
    )
    shutil.copy(data / "浙江省/城南街道.txt", data / "城南街道.txt")
    code, _, err = cli("build", "--data", data, "--index", index)
    assert code == 0
    assert (
        "duplicate: 浙江省/城南街道.txt: same report as 城南街道.txt "
        "(counted once; place unsettled, same year and text)" in err.splitlines()
    )
    code, out, _ = cli("reports", "--index", index, "--check")
    assert code == 1 and "county = …" in out and '[files."浙江省/城南街道.txt"]' in out
    from search_app import create_app

    client = create_app({"INDEX_DIR": index, "TESTING": True}).test_client()
    page = client.get("/reports?county=未定").get_data(as_text=True)
    assert "待确定的报告（2 份）" in page and "浙江省/城南街道.txt" in page
    # the same text twice, same year, place unsettled: one report saved twice, counted once unless dups=1
    facet = client.get("/api/search?q=法治&dups=1").get_json()["facets"]["county"]
    assert facet == [{"value": "未定", "code": None, "name": "未定", "label": "未定", "count": 4}]
    assert client.get("/api/search?q=法治").get_json()["facets"]["county"][0]["count"] == 2
    assert client.get("/api/search?q=法治&county=未定").get_json()["total"] == 4


@pytest.mark.parametrize(
    "path, township, county",
    [
        ("陕西省/咸阳市/乾县/城关街道2025.txt", "城关街道", "乾县"),  # 乾 folds to 干 in simplified text
        ("河北省/保定市/定州市/西城区街道2023.txt", "西城区街道", "定州市"),  # 西城区 here is no county
    ],
)
def test_what_the_4000_report_corpus_found(path, township, county):
    """Two reports of the benchmark's corpus that once got no county."""
    from indexer.documents.metadata import extract_metadata
    from indexer.documents.paragraphs import split_lines

    text = f"{township}2025年法治政府建设工作报告" + BODY + f"{township}办事处\n2026年1月10日\n"
    meta = extract_metadata(split_lines(text), folder=path)
    assert (meta.township, meta.county, meta.warnings) == (township, county, [])


def test_the_sidebar_shows_ten_values_and_a_link_to_all_of_them(corpus_client):
    html = corpus_client.get("/search", query_string={"q": "法治"}).get_data(as_text=True)
    group = html.split('facet-group facet-township">')[1].split("</section>")[0]
    shown = group.count('class="facet')
    link = re.search(r'<a class="all-values" href="([^"]+)">全部 (\d+) 项', group)
    assert link and int(link.group(2)) > 10 and shown == 10
    page = corpus_client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert f'data-total="{link.group(2)}"' in page


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_typing_in_the_township_box_finds_townships_and_a_click_chooses_one(corpus, browser, width):
    from playwright.sync_api import expect

    from tests.conftest import ARTIFACTS, serve_index

    index_dir, filed = corpus
    chengnan = {f.township_code for f in filed.values() if re.search(r"/城南街道\d{4}\.txt$", f.path)}
    with serve_index(index_dir) as url:
        asked = json.loads(urlopen(url + "/api/facets/township?q=%E6%B3%95%E6%B2%BB&find=%E5%9F%8E%E5%8D%97").read())
        assert asked["total"] >= len(chengnan) == 32
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        errors = []
        page.on("console", lambda m: m.type == "error" and "Failed to load resource" not in m.text and errors.append(m))
        page.on("response", lambda r: r.status >= 400 and "favicon" not in r.url and errors.append(r.url))
        page.goto(url + "/search?q=法治")
        if width < 800:
            page.click("details.fold > summary")
        group = page.locator(".facet-township")
        group.locator("summary").click()  # 乡镇 is folded until a county is chosen
        group.locator("input[name=find]").press_sequentially("城南", delay=30)
        found = group.locator("ul.found-values li a.facet")
        expect(found).to_have_count(20)  # the first 20 of 32, then a link to all of them
        expect(group.locator("ul.top-values")).to_be_hidden()
        labels = [label.rsplit(" ", 1)[0] for label in found.all_inner_texts()]
        assert labels == [v["label"] for v in asked["values"][:20]] and all("城南" in label for label in labels)
        expect(group.locator("ul.found-values li.found-note a")).to_have_text(f"共 {asked['total']} 项，查看全部 →")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"facet-find-{width}.png"), full_page=False)
        first = found.first
        label = first.inner_text().rsplit(" ", 1)[0]
        first.click()
        page.wait_for_url(re.compile(r"township=\d{9}"))
        assert re.search(r"township=(\d{9})", page.url).group(1) == asked["values"][0]["code"]
        expect(page.locator(".chips li span")).to_have_text([f"乡镇：{label}"])
        if width < 800:
            page.click("details.fold > summary")
        expect(group.locator("details.place-fold")).to_have_attribute("open", "")  # a chosen level stays open
        group.locator("input[name=find]").fill("城南")
        expect(found).to_have_count(20)
        group.locator("input[name=find]").fill("")  # cleared: the top values are back
        expect(group.locator("ul.top-values")).to_be_visible()
        assert errors == []
        context.close()


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_compare_on_a_real_corpus_shows_a_page_of_townships_that_fits_the_screen(corpus, browser, width):
    from playwright.sync_api import expect

    from tests.conftest import ARTIFACTS, serve_index

    index_dir, _ = corpus
    with serve_index(index_dir) as url:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(url + "/compare?q=法治")
        townships = int(page.locator("#township-count").get_attribute("data-townships"))
        assert townships > 50
        rows = page.locator("#crosstab tbody tr")
        expect(rows).to_have_count(50)
        counts = [int(t) for t in page.locator("#crosstab tbody tr td:nth-last-child(2)").all_inner_texts()]
        assert counts == sorted(counts, reverse=True)  # by paragraphs, most first
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
        box = page.locator("#crosstab").locator("xpath=..")
        if width < 800:  # the table scrolls in its own box, the township column stays in view
            assert box.evaluate("e => e.scrollWidth > e.clientWidth")
            assert rows.first.locator("th").evaluate("e => getComputedStyle(e).position") == "sticky"
        lines = "e => { const r = document.createRange(); r.selectNodeContents(e); return r.getClientRects().length }"
        for cell in ("#crosstab tbody tr th", "#crosstab tbody tr td.county", "#crosstab thead th"):
            assert set(page.eval_on_selector_all(cell, f"els => els.map({lines})")) == {1}, cell  # one line each
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"compare-{width}.png"), full_page=False)
        page.click("#township-count a >> text=提及报告占比")
        page.wait_for_url(re.compile(r"order=share"))
        shares = [
            int(re.search(r"（(\d+)%）", t).group(1)) for t in page.locator("#crosstab tbody tr td.n").all_inner_texts()
        ]
        assert shares == sorted(shares, reverse=True)
        context.close()
