"""The interfaces of an index's parts, which one segment and several segments both implement.

A reader of one segment (`BlockTexts`, `SimilarIndex` …) and the joined reader of several
(`segments.MultiTexts`, `segments.MultiSimilar` …) are interchangeable: callers use these
methods only, never the arrays behind them (tests/test_parts.py checks both shapes).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Texts(Protocol):
    """The normalised paragraph texts, by id."""

    def __len__(self) -> int: ...

    def many(self, ids: np.ndarray) -> list[str]:
        """Texts of sorted ids."""

    def lengths(self) -> np.ndarray:
        """Characters of every text, by id."""

    def warm(self) -> None: ...


@runtime_checkable
class SimilarLists(Protocol):
    """Per paragraph, the paragraphs of other reports it shares most text with."""

    def listed(self, pid: int) -> np.ndarray:
        """Ids listed as similar to pid (live paragraphs only)."""

    def counts(self, first: int, stop: int) -> np.ndarray:
        """How many are listed for each paragraph from first up to stop."""

    def counts_of(self, pids: np.ndarray) -> np.ndarray:
        """How many are listed for each of pids."""

    def compared(self, pids: np.ndarray) -> np.ndarray:
        """Whether each of pids was compared at all (long enough, not a heading)."""

    def more(self, pids: np.ndarray) -> np.ndarray:
        """Whether each of pids has more similar paragraphs than were listed."""

    def size(self) -> int:
        """How many paragraphs the lists cover."""

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Every listed pair (a, b), a's list holding b, both live: each pair both ways."""


@runtime_checkable
class Grams(Protocol):
    """Exact substring matching over the n-gram postings, and the texts they verify against."""

    texts: Texts

    def __len__(self) -> int: ...

    def find(self, needle: str) -> np.ndarray:
        """Sorted ids of every paragraph holding needle (removed ones included; the reader drops them)."""

    def find_within(self, needle: str, within: np.ndarray) -> np.ndarray:
        """Those of the sorted ids `within` that hold needle."""

    def estimate(self, needle: str) -> int:
        """An upper bound on len(find(needle)), cheaply."""

    def occurrences(self, ids: np.ndarray, needles: list[str]) -> np.ndarray:
        """Occurrences of the needles in each paragraph of ids."""

    def warm(self) -> None: ...

    def clear_cache(self) -> None: ...


@runtime_checkable
class Words(Protocol):
    """jieba word postings for ranking, whole words and word statistics; live paragraphs only."""

    count: int  # paragraphs served

    def postings(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        """(paragraph ids, term frequencies) of a word."""

    def df(self, word: str) -> int:
        """How many paragraphs hold the word."""

    def frequencies(self, words: list[str], ids: np.ndarray) -> dict[str, np.ndarray]:
        """Each word's frequency in each paragraph of ids."""

    def bm25(self, frequencies: dict[str, np.ndarray], ids: np.ndarray) -> np.ndarray:
        """BM25 of each paragraph of ids for the words of `frequencies`."""

    def collection_frequency(self, word: str) -> int:
        """Occurrences of the word in every paragraph."""

    def total_words(self) -> int:
        """Words in every paragraph."""

    def warm(self) -> None: ...
