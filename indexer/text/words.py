"""jieba words over normalised text, with a user dictionary, and the Whoosh analyzer made of them.

Words rank results, make the Whoosh index's `words` field (engine/whoosh_index.py) and
give whole-word matching; exact substring matching uses character n-grams (engine/grams.py).
Words come from rjieba, the binding of jieba-rs (the Rust port of jieba with the
same dictionary and algorithm), which segments about 20 times faster than jieba.
A user dictionary (`userdict.txt` in the report folder, jieba's `word [freq] [tag]`
format) adds the words of the field, so 法律明白人 counts as one word.
The tokenizer follows Whoosh's calling convention: positions count jieba tokens in
sequence from start_pos (clause marks are counted, not indexed), and character offsets
refer to the normalised text.
"""

from __future__ import annotations

import functools
from pathlib import Path

import rjieba
from whoosh.analysis import Token, Tokenizer

from indexer.compat import default_jieba
from indexer.text.normalize import KEPT_MARKS, merge_spans, normalize, normalize_with_offsets

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
            self._jieba = default_jieba()

    def words(self, text: str) -> list[str]:
        """jieba words of already normalised text, without the clause marks."""
        return [w for w in self.cut(text) if w not in KEPT_MARKS]

    def cut(self, text: str) -> list[str]:
        """jieba tokens of already normalised text, clause marks included."""
        return self._jieba.cut(text, hmm=True)

    def tokens(self, text: str) -> list[tuple[str, int, int]]:
        """(word, start, end) of already normalised text, clause marks included."""
        return self._jieba.tokenize(text, hmm=True)

    def word_spans(self, text: str, terms: list[str]) -> list[tuple[int, int]]:
        """Source-text spans where a normalised term's words stand as consecutive words of text.

        The whole-word counterpart of find_spans: a clause mark between two words breaks the run,
        as it does in the Whoosh `words` field. A term holding clause marks is marked wherever
        it occurs (its parts' words are checked when matching).
        """
        norm, offsets = normalize_with_offsets(text)
        tokens = self.tokens(norm)
        found = [span for term in terms for span in self.occurrences(norm, term, tokens)]
        return merge_spans([(int(offsets[s]), int(offsets[e - 1]) + 1) for s, e in found])

    def occurrences(self, norm: str, term: str, tokens: list | None = None) -> list[tuple[int, int]]:
        """Spans [start, end) of normalised text where the term stands as whole words (anywhere
        for a term holding clause marks); tokens are norm's, when already cut."""
        if has_marks(term):
            spans, start = [], norm.find(term)
            while start != -1:
                spans.append((start, start + len(term)))
                start = norm.find(term, start + 1)
            return spans
        tokens = self.tokens(norm) if tokens is None else tokens
        words = [w for w, _, _ in tokens]
        phrase = self.words(term)
        k = len(phrase)
        return [
            (tokens[i][1], tokens[i + k - 1][2]) for i in range(len(words) - k + 1) if k and words[i : i + k] == phrase
        ]


def split_at_marks(term: str) -> list[str]:
    """The non-empty parts of a normalised term between its clause marks."""
    parts, current = [], []
    for c in term + "。":
        if c in KEPT_MARKS:
            if current:
                parts.append("".join(current))
            current = []
        else:
            current.append(c)
    return parts


def has_marks(term: str) -> bool:
    return any(c in KEPT_MARKS for c in term)


@functools.lru_cache(maxsize=8)
def segmenter_for(entries: tuple[Entry, ...] = ()) -> Segmenter:
    """A shared segmenter per user dictionary (building one loads jieba's dictionary)."""
    return Segmenter(entries)


class JiebaTokenizer(Tokenizer):
    """Normalises text, then yields jieba words with sequential positions."""

    def __init__(self, entries: tuple[Entry, ...] = ()):
        self.entries = tuple(entries)

    def __eq__(self, other):
        return type(other) is type(self) and other.entries == self.entries

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
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
        for n, (word, start, end) in enumerate(segmenter_for(self.entries).tokens(normalize(value))):
            if word in KEPT_MARKS:
                continue  # not indexed, but it keeps its position: phrases do not span it
            token.text = word
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = start_pos + n
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token


def JiebaAnalyzer(entries: tuple[Entry, ...] = ()):
    """The analyzer of the `words` field: jieba words of normalised text, with the user dictionary's words."""
    return JiebaTokenizer(entries)
