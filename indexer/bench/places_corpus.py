"""Reports as users keep them: files of real townships, filed in 省/市/县 folders, deterministic for a seed.

Each report names its township only (in the title and the signature), never its county: the
folder it is filed in settles which of the places of a shared name it is. Many townships share
a name (城南街道, 新华乡, 中村乡 and every other place of those names are always in); a few
reports are a county government's (县级), filed in the county's folder. The body is drawn from a
fixed pool of sentences that name no place.

`python -m indexer.bench.places_corpus FOLDER [--count N] [--seed S]` writes one.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from pathlib import Path

from indexer.documents.places import COUNTY, TOWNSHIP, gazetteer

#: Names always in the corpus, with every place that has them.
ALWAYS = ("城南街道", "新华乡", "中村乡", "杜桥镇", "三都镇", "城关镇")
#: Of the other townships, this share is drawn among names several places share.
SHARED_SHARE = 0.5
#: Of the reports, this share is a county government's.
COUNTY_SHARE = 0.02

SENTENCES = (
    "坚持以习近平新时代中国特色社会主义思想为指导，深入学习贯彻习近平法治思想。",
    "认真落实党政主要负责人履行推进法治建设第一责任人职责。",
    "健全依法决策机制，重大行政决策严格履行合法性审查程序。",
    "深入开展“八五”普法，组织法律进村入户活动四十余场。",
    "培育法律明白人一百二十名，覆盖全部行政村和社区。",
    "规范行政执法行为，全面推行行政执法公示制度。",
    "加强矛盾纠纷排查化解，人民调解成功率保持在较高水平。",
    "推进政务公开，及时公开财政预决算和重点领域信息。",
    "建立村级法律顾问制度，为群众提供免费法律咨询。",
    "加强行政复议和应诉工作，行政机关负责人出庭应诉率达到百分之百。",
    "干部学法用法制度化，全年组织集中学法六次。",
    "依法化解信访积案，切实维护群众合法权益。",
    "法治队伍建设有待加强，基层执法人员专业素养不高。",
    "普法宣传的针对性和实效性还需提升。",
    "下一步，我们将持续深化法治政府建设，为经济社会发展提供坚实法治保障。",
    "进一步完善合法性审查机制，提高依法行政水平。",
)
HEADINGS = ("一、主要举措和成效", "二、存在的问题和不足", "三、下一年度工作安排")


@dataclass(frozen=True)
class Filed:
    """One generated report: its path under the folder, and what the index must find for it."""

    path: str
    level: str  # 乡镇 or 县级
    county_code: str | None  # None for a town of a city without counties (儋州市)
    township_code: str | None
    year: int


def choose_places(count: int, seed: int) -> list:
    """count places (townships, and a few counties for county reports), deterministic for seed."""
    gaz = gazetteer()
    rng = random.Random(seed)
    always = [p for name in ALWAYS for p in gaz.places_named(name, TOWNSHIP)]
    chosen = {p.code: p for p in always}
    shared = sorted(name for name, places in gaz.by_name[TOWNSHIP].items() if len(places) > 1)
    everyone = sorted(gaz.by_code[c] for c in gaz.by_code if len(c) == 9)
    counties = sorted(p for p in gaz.by_code.values() if p.level == COUNTY)
    n_counties = int(count * COUNTY_SHARE)
    while len(chosen) < count - n_counties:
        if rng.random() < SHARED_SHARE:
            for place in gaz.places_named(rng.choice(shared), TOWNSHIP):
                chosen.setdefault(place.code, place)
        else:
            place = rng.choice(everyone)
            chosen.setdefault(place.code, place)
    places = list(chosen.values())[: count - n_counties] + rng.sample(counties, n_counties)  # ALWAYS first
    rng.shuffle(places)
    return places


def folder_of(place) -> str:
    """省/市/县 of a place (a county of a municipality: 省/县), as a user files it."""
    lineage = gazetteer().lineage(place)
    parts = [lineage[k].name for k in ("province", "prefecture", "county") if k in lineage]
    return "/".join(parts)


def report_text(rng: random.Random, author: str, organ: str, year: int) -> str:
    lines = [f"{author}{year}年法治政府建设工作报告" if rng.random() < 0.5 else f"关于{year}年度法治政府建设情况的报告"]
    lines.append(f"{year}年，{rng.choice(SENTENCES)}现将有关情况报告如下：")
    for heading in HEADINGS:
        lines.append(heading)
        lines += ["".join(rng.sample(SENTENCES, 3)) for _ in range(rng.randint(2, 4))]
    lines += [author + organ, f"{year + 1}年1月{rng.randint(5, 28)}日"]
    return "\n".join(lines) + "\n"


def write_place_corpus(folder: Path, count: int, seed: int = 1, part: slice = slice(None)) -> list[Filed]:
    """Write the reports of the count places chosen for seed (or the part of them given) under
    folder; returns what the index must find for each. The same seed always writes the same files."""
    out: list[Filed] = []
    for place in choose_places(count, seed)[part]:
        rng = random.Random(f"{seed}-{place.code}")
        year = rng.choice((2023, 2024, 2025))
        if place.level == TOWNSHIP:
            organ = "办事处" if place.name.endswith("街道") else "人民政府"
            rel = f"{folder_of(place)}/{place.name}{year}.txt"
            county = place.parent if len(place.parent) == 6 else None  # 儋州市's towns have no county
            filed = Filed(rel, "乡镇", county, place.code, year)
        else:
            organ = "人民政府"
            rel = f"{folder_of(place)}/{place.name}政府{year}.txt"
            filed = Filed(rel, "县级", place.code, None, year)
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(report_text(rng, place.name, organ, year), encoding="utf-8")
        out.append(filed)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer.bench.places_corpus", description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--count", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    filed = write_place_corpus(args.folder, args.count, args.seed)
    print(f"wrote {len(filed)} reports under {args.folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
