"""A synthetic corpus learnt from the real reports: deterministic for a seed.

A word-level Markov chain of order 2 over rjieba tokens of the seed reports writes
a pool of sentences; paragraphs are drawn from that pool to the lengths seen in the
real reports, and grouped into reports of 30 to 50 paragraphs, one per township and
year (2019-2025), with the sections in the official order.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import rjieba

from indexer.documents.folder import report_files
from indexer.documents.ingest import IngestError
from indexer.documents.report import Paragraph, Report, parse_report
from indexer.documents.sections import SECTIONS
from indexer.text.normalize import normalize

YEARS = range(2019, 2026)
_END = "。"
_SECTION_ORDER = ["overview", "measures", "rectification", "responsibility", "problems", "plans"]
_HEADINGS = {
    "overview": "一、基本情况",
    "measures": "二、主要举措和成效",
    "rectification": "三、督察整改落实情况",
    "responsibility": "四、党政主要负责人履行推进法治建设第一责任人职责情况",
    "problems": "五、存在的问题和不足",
    "plans": "六、下一年度工作安排",
}


@dataclass
class Model:
    """What the generator learnt: Markov transitions, paragraph lengths, section mix, name characters."""

    transitions: dict[tuple[str, str], list[str]]
    starts: list[tuple[str, str]]
    lengths: list[int]
    sections: list[str]
    name_chars: str


def learn(reports_dir: Path) -> Model:
    """Learn from every readable report under reports_dir."""
    transitions: dict[tuple[str, str], list[str]] = defaultdict(list)
    starts: list[tuple[str, str]] = []
    lengths: list[int] = []
    sections: list[str] = []
    chars: set[str] = set()
    for path in report_files(reports_dir):
        try:
            report = parse_report(path)
        except IngestError:
            continue
        for p in report.paragraphs:
            if p.kind != "body":
                continue
            lengths.append(len(p.text))
            sections.append(p.section if p.section in _SECTION_ORDER else "measures")
            for sentence in p.text.split(_END):
                words = rjieba.cut(sentence.strip(), hmm=True)
                if len(words) < 3:
                    continue
                chars.update(c for c in sentence if "\u4e00" <= c <= "\u9fff")
                starts.append((words[0], words[1]))
                for a, b, c in zip(words, words[1:], words[2:] + [_END]):
                    transitions[(a, b)].append(c)
    if not starts:
        raise ValueError(f"no report text to learn from in {reports_dir}")
    return Model(dict(transitions), starts, lengths, sections, "".join(sorted(chars)))


def _sentence(model: Model, rng: random.Random, max_words: int = 60) -> str:
    a, b = rng.choice(model.starts)
    words = [a, b]
    while len(words) < max_words:
        nxt = model.transitions.get((a, b))
        if not nxt:
            break
        c = rng.choice(nxt)
        if c == _END:
            break
        words.append(c)
        a, b = b, c
    return "".join(words) + _END


def townships(model: Model, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(township, county) pairs with made-up but plausible names, 15 townships a county."""
    names: list[str] = []
    seen: set[str] = set()
    chars = model.name_chars
    while len(names) < count:
        name = rng.choice(chars) + rng.choice(chars) + rng.choice("乡乡镇")
        if name not in seen:
            seen.add(name)
            names.append(name)
    counties = [rng.choice(chars) + rng.choice(chars) + "县" for _ in range(count // 15 + 1)]
    return [(name, counties[i // 15]) for i, name in enumerate(names)]


def generate(model: Model, paragraphs: int, seed: int = 1, pool: int = 20_000) -> list[Report]:
    """About `paragraphs` paragraphs of generated reports (exactly that many in total)."""
    rng = random.Random(seed)
    sentences = [_sentence(model, rng) for _ in range(pool)]
    per_report = 40
    n_reports = max(1, paragraphs // per_report)
    places = townships(model, max(1, n_reports // len(YEARS) + 1), rng)
    reports: list[Report] = []
    remaining = paragraphs
    for r in range(n_reports):
        township, county = places[r % len(places)]
        year = YEARS[(r // len(places)) % len(YEARS)]
        size = remaining if r == n_reports - 1 else min(remaining, rng.randint(30, 50))
        remaining -= size
        codes = _codes(r % len(places))
        reports.append(_report(model, rng, sentences, f"gen{r:07d}", township, county, year, size, codes))
    return reports


def _report(model, rng, sentences, report_id, township, county, year, size, codes) -> Report:
    title = f"{township}关于{year}年度法治政府建设情况的报告"
    paragraphs = [Paragraph(1, title, "title", (), "overview")]
    body_sections = sorted((rng.choice(model.sections) for _ in range(max(0, size - 1))), key=_SECTION_ORDER.index)
    current = None
    for section in body_sections:
        number = len(paragraphs) + 1
        if section != current and len(paragraphs) < size - 1:
            current = section
            heading = _HEADINGS[section]
            paragraphs.append(Paragraph(number, heading, "heading", (heading,), section))
            continue
        target = rng.choice(model.lengths)
        text = ""
        while len(text) < target:
            text += rng.choice(sentences)
        text = text.replace("我乡", township, 1)
        paragraphs.append(Paragraph(number, text, "body", (_HEADINGS[section],), section))
    paragraphs = paragraphs[:size]
    assert all(p.section in SECTIONS for p in paragraphs)
    county_code, township_code = codes
    return Report(
        report_id=report_id,
        source=f"{report_id}.txt",
        township=township,
        county=county,
        year=year,
        date=None,
        title=title,
        paragraphs=paragraphs,
        level="乡镇",
        code=township_code,
        county_code=county_code,
        township_code=township_code,
    )


def _codes(place: int) -> tuple[str, str]:
    """Made-up division codes of the place-th made-up township and its county (15 a county, as
    townships() groups them; the table has no province 99)."""
    county_code = f"99{place // 15:04d}"
    return county_code, f"{county_code}{place % 15:03d}"


def random_needle(texts: list[str], rng: random.Random, longest: int) -> str:
    """A substring of 1 to `longest` characters of a real paragraph, at any offset, that the query
    language reads as one literal term (no space, quote, leading minus or bare OR)."""
    while True:
        text = texts[rng.randrange(len(texts))]
        size = rng.randint(1, longest)
        start = rng.randrange(max(1, len(text) - size))
        needle = text[start : start + size]
        if (
            normalize(needle)
            and not any(c.isspace() or c == '"' for c in needle)
            and not needle.startswith("-")
            and needle != "OR"
        ):
            return needle
