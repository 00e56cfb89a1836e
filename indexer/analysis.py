"""Whoosh analysis for ranking: jieba words over normalised text, with a user dictionary.

Word segmentation only ranks; exact matching uses character n-grams (grams.py).
Words come from rjieba, the binding of jieba-rs (the Rust port of jieba with the
same dictionary and algorithm), which segments about 20 times faster than jieba.
A user dictionary (`userdict.txt` in the report folder, jieba's `word [freq] [tag]`
format) adds the words of the field, so 法律明白人 counts as one word.
The tokenizer follows Whoosh's calling convention: positions count tokens in
sequence from start_pos, and character offsets refer to the normalised text.
"""

from __future__ import annotations

import functools
from pathlib import Path

import rjieba
from whoosh.analysis import Token, Tokenizer

from .normalize import KEPT_MARKS, normalize

#: The user dictionary's file name, at the top of the report folder.
USERDICT_NAME = "userdict.txt"

#: One user-dictionary word: (normalised word, frequency or None, part-of-speech tag or None).
Entry = tuple[str, "int | None", "str | None"]


class UserDictError(ValueError):
    """The user dictionary cannot be read at all; the message says why."""


def parse_user_dict(text: str) -> tuple[tuple[Entry, ...], list[str]]:
    """Entries of a user dictionary in jieba's format, and one message per bad line (skipped).

    Blank lines and lines starting with # are ignored. Words are normalised as text is,
    so they meet the segmenter in the form it sees.
    """
    entries: list[Entry] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        word = normalize(fields[0])
        if len(fields) > 3:
            problems.append(f"line {number}: expected 'word [freq] [tag]', got {len(fields)} fields; skipped")
            continue
        if not word or any(c in KEPT_MARKS for c in word):
            problems.append(f"line {number}: {fields[0]!r} is not a word; skipped")
            continue
        freq: int | None = None
        tag: str | None = None
        rest = fields[1:]
        if rest and rest[0].isdigit():
            freq = int(rest.pop(0))
        if rest:
            if len(rest) > 1 or not rest[0].isascii() or not rest[0].isalpha():
                problems.append(f"line {number}: frequency must be a whole number, got {rest[0]!r}; skipped")
                continue
            tag = rest[0]
        entries.append((word, freq, tag))
    return tuple(entries), problems


def read_user_dict(path: Path) -> tuple[tuple[Entry, ...], list[str]]:
    """Entries and line problems of the user dictionary at path; no file gives no entries."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return (), []
    except OSError as exc:
        raise UserDictError(f"{path.name}: cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserDictError(f"{path.name}: not UTF-8 text") from None
    return parse_user_dict(text)


class Segmenter:
    """jieba word segmentation, with the words of a user dictionary added."""

    def __init__(self, entries: tuple[Entry, ...] = ()):
        self.entries = tuple(entries)
        if self.entries:
            self._jieba = rjieba.Jieba()
            for word, freq, tag in self.entries:
                self._jieba.add_word(word, freq, tag)
        else:
            self._jieba = rjieba._DEFAULT_JIEBA

    def words(self, text: str) -> list[str]:
        """jieba words of already normalised text, without the clause marks."""
        return [w for w in self._jieba.cut(text, hmm=True) if w not in KEPT_MARKS]

    def tokens(self, text: str) -> list[tuple[str, int, int]]:
        """(word, start, end) of already normalised text, clause marks included."""
        return self._jieba.tokenize(text, hmm=True)


@functools.lru_cache(maxsize=8)
def segmenter_for(entries: tuple[Entry, ...] = ()) -> Segmenter:
    """A shared segmenter per user dictionary (building one loads jieba's dictionary)."""
    return Segmenter(entries)


def words_of(text: str) -> list[str]:
    """jieba words of already normalised text, with jieba's own dictionary only."""
    return segmenter_for(()).words(text)


class JiebaTokenizer(Tokenizer):
    """Normalises text, then yields jieba words with sequential positions."""

    def __init__(self, entries: tuple[Entry, ...] = ()):
        self.entries = tuple(entries)

    def __eq__(self, other):
        return type(other) is type(self) and other.entries == self.entries

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = normalize(value)
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        pos = start_pos
        for word, start, end in segmenter_for(self.entries).tokens(normalize(value)):
            if word in KEPT_MARKS:
                continue
            token.text = word
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = pos
                pos += 1
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token


def JiebaAnalyzer(entries: tuple[Entry, ...] = ()):
    """The analyzer of a jieba `words` field: a jieba tokenizer over normalised text."""
    return JiebaTokenizer(entries)
