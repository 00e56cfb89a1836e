"""Key terms: the jieba words that set a report or a township apart from the whole collection.

Whoosh's query-expansion machinery does the work: an Expander over the index's `words`
field, fed the paragraphs' text through the field's own analyzer, scores each word by
the Bo1 model (Whoosh's default for `key_terms`): weight in the selection × log₂((1+f)/f)
+ log₂(1+f), where f is the word's frequency in the collection per paragraph. Words of one
character and words without a Chinese character or letter (numbers, dates) are left out:
they name no topic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from whoosh.classify import Bo1Model, Expander

from indexer.engine.whoosh_index import WORDS

DEFAULT_TERMS = 20
MAX_TERMS = 100


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


def key_terms(index, pids: np.ndarray, number: int = DEFAULT_TERMS) -> list[KeyTerm]:
    """The `number` best key terms of the paragraphs pids, best first."""
    texts = [hit.text for hit in index.hits(pids.tolist())]
    with index.whoosh_reader() as reader:
        expander = Expander(reader, WORDS, model=Bo1Model)
        for text in texts:
            expander.add_text(text)
        weights = expander.topN_weight
        # Expander ranks every word; topic words are kept until `number` are found.
        ranked = expander.expanded_terms(len(weights))
        chosen = [(word, score) for word, score in ranked if is_topic_word(word)][:number]
        return [
            KeyTerm(word=word, score=score, count=int(weights[word]), paragraphs=reader.doc_frequency(WORDS, word))
            for word, score in chosen
        ]


def selection(index, report_id: str | None = None, township: str | None = None) -> np.ndarray | None:
    """Paragraph ids of a report or of a township's reports; None when there is no such report or township."""
    if report_id is not None:
        report = index.report(report_id)
        if report is None:
            return None
        return np.arange(report["first_pid"], report["first_pid"] + report["paragraphs"])
    code = index.township_code.get(township or "")
    if code is None or not township:
        return None
    return np.flatnonzero(index.columns["township"] == code)
