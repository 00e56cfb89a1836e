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
