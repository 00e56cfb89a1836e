"""Key terms: the jieba words that set a report or a township apart from the whole collection.

Each word of the selection is scored by Whoosh's Bo1 model (its default for query
expansion and `key_terms`): weight in the selection × log₂((1+f)/f) + log₂(1+f), where f
is the word's frequency in the collection per paragraph, normalised as Whoosh's Expander
does. The collection is the paragraphs the index serves (index.words counts live
paragraphs only), so an updated index gives what a full build gives. Words of one
character and words without a Chinese character or letter (numbers, dates) are left out:
they name no topic.

A huge selection (a report of millions of characters, a township of many years) is read
from SAMPLE_PARAGRAPHS paragraphs spread evenly over it, up to SAMPLE_CHARACTERS characters,
so a request answers in about a second; the result says so, and its counts are those of
the paragraphs read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from whoosh.classify import Bo1Model

from indexer.text.normalize import normalize

DEFAULT_TERMS = 20
MAX_TERMS = 100
#: At most this many paragraphs, and this much text, are read for one selection (real reports hold 15–200
#: paragraphs, 10,000–100,000 characters).
SAMPLE_PARAGRAPHS = 3_000
SAMPLE_CHARACTERS = 400_000


@dataclass
class KeyTerm:
    word: str
    score: float  # Bo1 weight, normalised as Whoosh does
    count: int  # occurrences in the selection's paragraphs
    paragraphs: int  # paragraphs of the whole collection that hold the word

    def to_json(self) -> dict:
        return {"word": self.word, "score": round(self.score, 4), "count": self.count, "paragraphs": self.paragraphs}


def is_topic_word(word: str) -> bool:
    """A word that can name a topic: two characters or more, at least one of them a letter (汉字 included)."""
    return len(word) >= 2 and any(c.isalpha() for c in word)


class KeyTerms(list):
    """Key terms, best first, and how much of the selection they were drawn from."""

    def __init__(self, terms: list[KeyTerm], read: int, sampled: bool):
        super().__init__(terms)
        self.read = read  # paragraphs read
        self.sampled = sampled  # True when only part of the selection's text was read


def key_terms(index, pids: np.ndarray, number: int = DEFAULT_TERMS) -> KeyTerms:
    """The `number` best key terms of the paragraphs pids, best first (from a sample of a huge selection)."""
    pids = np.asarray(pids)
    pids = pids[index.live[pids]]  # an updated index keeps removed paragraphs in place
    chosen = pids
    if len(pids) > SAMPLE_PARAGRAPHS:
        chosen = np.unique(pids[np.linspace(0, len(pids) - 1, SAMPLE_PARAGRAPHS).astype(np.int64)])
    texts: list[str] = []
    left, cut = SAMPLE_CHARACTERS, False
    for hit in index.hits(chosen.tolist()):
        if left <= 0 or len(hit.text) > left:
            cut = True
            if left <= 0:
                break
        texts.append(hit.text[:left])
        left -= len(texts[-1])
    return KeyTerms(_ranked(index, texts, number), len(texts), cut or len(chosen) < len(pids))


def _ranked(index, texts: list[str], number: int) -> list[KeyTerm]:
    weights: Counter[str] = Counter()
    for text in texts:
        weights.update(index.segmenter.words(normalize(text)))
    model = Bo1Model(index.words.count, 0)
    scored, held = [], {}
    for word, weight in weights.items():
        held[word] = index.words.df(word)
        if held[word]:
            scored.append((model.score(weight, index.words.collection_frequency(word), 0), word))
    if not scored:
        return []
    norm = model.normalizer(max(score for score, _ in scored), 0)
    # every word ranked as Whoosh's Expander ranks them; topic words kept until `number` are found
    ranked = sorted(((score / norm, word) for score, word in scored), key=lambda x: (-x[0], x[1]))
    chosen = [(word, score) for score, word in ranked if is_topic_word(word)][:number]
    return [KeyTerm(word=word, score=score, count=weights[word], paragraphs=held[word]) for word, score in chosen]


def selection(index, report_id: str | None = None, township: str | None = None) -> np.ndarray | None:
    """Paragraph ids of a report or of a township's reports; None when there is no such report or township."""
    if report_id is not None:
        report = index.report(report_id)
        if report is None:
            return None
        return np.arange(report["first_pid"], report["first_pid"] + report["paragraphs"])
    codes = index.places.find("township", township) if township else []  # a code, label or name
    if not codes:
        return None
    return np.flatnonzero(np.isin(index.columns["township"], codes) & index.live)
