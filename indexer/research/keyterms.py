"""Key terms: the words and phrases a selection of paragraphs (a report, a township, a county, a
year, or the paragraphs that match a query) uses more than the rest of the reports do.

Keyness is measured over paragraphs, as corpus tools measure it over texts: a of the selection's
c paragraphs hold the term, b of the other d paragraphs do. The score is Dunning's
log-likelihood G² = 2·(a·ln(a/E₁) + b·ln(b/E₂)), E₁ = c·(a+b)/(c+d), E₂ = d·(a+b)/(c+d), and the
effect size Hardie's log ratio log₂((a/c)/(b/d)) (b taken as 0.5 when 0). Only terms the
selection uses more than the rest (a/c > b/d), in at least `min_freq` of its paragraphs, are
listed, by G², best first.

Terms are jieba words (joined by the user dictionary: 法律明白人 is one) and the pairs of
adjacent words the selection uses in at least `min_freq` paragraphs (矛盾纠纷, 法律顾问): a
pair's paragraphs in the rest are counted by exact substring search. Left out: words of one
character, words without a letter (numbers, dates), the genre's function words (STOP_WORDS:
工作, 建设, 加强 …) and those a user adds, and the selection's own place names.

A huge selection is read from SAMPLE_PARAGRAPHS paragraphs spread evenly over it, up to
SAMPLE_CHARACTERS characters; the result says so, and a is scaled from the sample.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from indexer.text.normalize import normalize

DEFAULT_TERMS = 20
MAX_TERMS = 100
DEFAULT_MIN_FREQ = 2
#: Candidate word pairs looked up in the rest of the reports, the most frequent first.
MAX_PAIRS = 60
#: At most this many paragraphs, and this much text, are read for one selection (real reports hold 15–200
#: paragraphs, 10,000–100,000 characters).
SAMPLE_PARAGRAPHS = 3_000
SAMPLE_CHARACTERS = 400_000

#: Words every report of the genre uses, whatever it is about.
STOP_WORDS = frozenset(
    """
    工作 建设 加强 推进 积极 开展 进一步 全面 落实 提升 完善 推动 深入 持续 有效 不断 重要 相关 情况 方面
    问题 进行 坚持 实现 我们 以及 做好 切实 同时 通过 根据 按照 要求 组织 强化 扎实 认真 主要 其中 一是 二是
    三是 四是 五是 六是 七是 八是 九是 十是 各项 有关 一批 一步 不够 存在 取得 成效 大力 着力 健全 规范 及时
    全年 今年 本年度 年度 以来 目前 形成 确保 保障 提高 注重 围绕 结合 利用 已经 一个 一些 这些 此外 并且
    为了 对于 关于 其他 共计 累计 分别 充分 深化 统筹 贯彻 全力 不断完善 报告 情况报告 单位 部门 领导 人民政府
    """.split()
)


@dataclass
class KeyTerm:
    word: str
    score: float  # log-likelihood G²
    log_ratio: float  # log₂ of the ratio of the relative frequencies (selection / rest)
    count: int  # paragraphs of the selection holding the term (scaled up when sampled)
    paragraphs: int  # paragraphs of all the reports holding it
    phrase: bool = False  # a pair of adjacent words

    def to_json(self) -> dict:
        return {
            "word": self.word,
            "score": round(self.score, 3),
            "log_ratio": round(self.log_ratio, 3),
            "count": self.count,
            "paragraphs": self.paragraphs,
            "phrase": self.phrase,
        }


def is_topic_word(word: str) -> bool:
    """A word that can name a topic: two characters or more, at least one of them a letter (汉字 included)."""
    return len(word) >= 2 and any(c.isalpha() for c in word)


class KeyTerms(list):
    """Key terms, best first, and how much of the selection they were drawn from."""

    def __init__(self, terms: list[KeyTerm], read: int, sampled: bool):
        super().__init__(terms)
        self.read = read  # paragraphs read
        self.sampled = sampled  # True when only part of the selection's text was read


def log_likelihood(a: float, b: float, c: float, d: float) -> float:
    """Dunning's G² for a of c against b of d."""
    e1, e2 = c * (a + b) / (c + d), d * (a + b) / (c + d)
    return 2 * ((a * math.log(a / e1) if a else 0.0) + (b * math.log(b / e2) if b else 0.0))


def log_ratio(a: float, b: float, c: float, d: float) -> float:
    """Hardie's log ratio of the relative frequencies (b as 0.5 when 0)."""
    return math.log2((a / c) / (max(b, 0.5) / d))


def keyterms_body(terms: "KeyTerms", paragraphs: int, **target) -> dict:
    """What /api/keyterms and `keyterms --json` give."""
    return {
        **target,
        "paragraphs": paragraphs,
        "paragraphs_read": terms.read,
        "sampled": terms.sampled,
        "terms": [t.to_json() for t in terms],
    }


def parse_stop_words(text: str) -> frozenset[str]:
    """Extra stop words a user gives, separated by spaces, commas or 、."""
    for mark in ",，、;；":
        text = text.replace(mark, " ")
    return frozenset(normalize(w) for w in text.split() if normalize(w))


def key_terms(
    index,
    pids: np.ndarray,
    number: int = DEFAULT_TERMS,
    min_freq: int = DEFAULT_MIN_FREQ,
    stop: frozenset[str] = frozenset(),
    duplicates: bool = False,
) -> KeyTerms:
    """The `number` key terms of the paragraphs pids, best first (from a sample of a huge selection).
    The rest of the reports they are set against leaves out duplicate copies (duplicates.py) unless
    `duplicates`."""
    pids = np.asarray(pids)
    pids = pids[index.live[pids]]  # an updated index keeps removed paragraphs in place
    chosen = pids
    if len(pids) > SAMPLE_PARAGRAPHS:
        chosen = np.unique(pids[np.linspace(0, len(pids) - 1, SAMPLE_PARAGRAPHS).astype(np.int64)])
    texts: list[str] = []
    left, cut = SAMPLE_CHARACTERS, False
    for norm in index.texts.many(chosen):
        if left <= 0 or len(norm) > left:
            cut = True
            if left <= 0:
                break
        texts.append(norm[:left])
        left -= len(texts[-1])
    counted = None if duplicates else index.duplicate_paragraphs
    terms = _ranked(index, texts, len(pids), number, min_freq, STOP_WORDS | stop, _own_places(index, pids), counted)
    return KeyTerms(terms, len(texts), cut or len(chosen) < len(pids))


def _own_places(index, pids: np.ndarray) -> frozenset[str]:
    """The names of the selection's places and their stems (国宝乡 → 国宝), when it has few (a report,
    a township, a county: a query's matches across the country name places that are worth seeing)."""
    names: set[str] = set()
    reports = np.unique(index.columns["report"][pids]).tolist() if len(pids) else []
    townships = {index.reports[int(r)].get("township") for r in reports}
    if len(townships) > 50:
        return frozenset()
    for r in reports:
        for key in ("township", "county", "prefecture", "province"):
            name = index.reports[r].get(key) or ""
            names |= {name, name[:-1], name[:-2]} if len(name) > 2 else {name}
    return frozenset(n for n in names if len(n) >= 2)


def _ranked(
    index,
    texts: list[str],
    size: int,
    number: int,
    min_freq: int,
    stop: frozenset[str],
    places: frozenset[str],
    copies: np.ndarray | None = None,
) -> list[KeyTerm]:
    """Words and adjacent pairs of the texts (normalised paragraphs, a sample of size) by keyness.
    A term naming one of places is left out, and so is a pair with a stop word in it. The paragraphs
    marked in copies (duplicate copies) are not counted in all the reports."""

    def wanted(word: str) -> bool:
        return is_topic_word(word) and word not in stop and not any(p in word for p in places)

    words: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    for text in texts:
        cut = index.segmenter.cut(text)
        words.update({w for w in cut if wanted(w)})
        pairs.update({x + y for x, y in zip(cut, cut[1:]) if wanted(x) and wanted(y) and x + y not in stop})
    scale = size / len(texts) if texts else 1.0
    total = int(index.live.sum()) - (int(copies.sum()) if copies is not None else 0)
    c, d = size, total - size
    found: list[KeyTerm] = []
    candidates = [(w, n, False) for w, n in words.items() if n >= min_freq]
    candidates += [(p, n, True) for p, n in pairs.most_common(MAX_PAIRS) if n >= min_freq]
    for term, n, phrase in candidates:
        everywhere = _paragraphs_holding(index, term, phrase, copies)
        a = n * scale
        if d <= 0:  # the selection is every paragraph: nothing to set it apart from
            found.append(KeyTerm(term, 0.0, 0.0, round(a), everywhere, phrase))
            continue
        b = max(everywhere - a, 0.0)
        if a / c <= b / d:
            continue
        found.append(KeyTerm(term, log_likelihood(a, b, c, d), log_ratio(a, b, c, d), round(a), everywhere, phrase))
    found.sort(key=lambda t: (-t.score, t.word))
    return _without_parts(found)[:number]


def _paragraphs_holding(index, term: str, phrase: bool, copies: np.ndarray | None = None) -> int:
    """Paragraphs of all the reports holding a word (as a word) or a pair (as text), those marked in
    copies left out."""
    if not phrase and copies is None:
        return index.words.df(term)
    ids = index.words.postings(term)[0] if not phrase else index.grams.find(term)
    keep = index.live[ids] if copies is None else index.live[ids] & ~copies[ids]
    return int(keep.sum()) if len(ids) else 0


def _without_parts(terms: list[KeyTerm]) -> list[KeyTerm]:
    """A word listed below a pair that holds it and scores better is left out (矛盾 under 矛盾纠纷)."""
    pairs_above: list[str] = []
    kept = []
    for t in terms:
        if not t.phrase and any(t.word in p for p in pairs_above):
            continue
        if t.phrase:
            pairs_above.append(t.word)
        kept.append(t)
    return kept


def selection(
    index, report_id: str | None = None, township: str | None = None, county: str | None = None
) -> np.ndarray | None:
    """Paragraph ids of a report, of a township's or of a county's reports; None when there is none."""
    if report_id is not None:
        report = index.report(report_id)
        if report is None:
            return None
        return np.arange(report["first_pid"], report["first_pid"] + report["paragraphs"])
    key, name = ("township", township) if township else ("county", county)
    codes = index.places.find(key, name) if name else []  # a code, label or name
    if not codes:
        return None
    return np.flatnonzero(np.isin(index.columns[key], codes) & index.live)
