"""The Whoosh index: stored paragraphs, their metadata, and a `words` field of jieba words.

Plain Whoosh code opens it (`whoosh.index.open_dir`) and searches `words` with a
QueryParser: the field's analyzer is the project's jieba analyzer (text/words.py), so a
query is segmented as the paragraphs were. Positions count every jieba token, clause
marks included, so a phrase never joins words across punctuation.

Whoosh's own writer analyses and pools every posting in Python (about 700 paragraphs a
second with positions). The build has already segmented each paragraph once, for
ranking, so each chunk of paragraphs is written here as one Whoosh segment through
Whoosh's codec (the same per-document and field writers its SegmentWriter uses) from
those words; tests/test_whoosh_index.py checks the files equal Whoosh's own writer's.
The analysis processes write their chunks' segments side by side, and the build lists
them in paragraph order, so Whoosh document numbers are paragraph ids.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.codec import default_codec
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from indexer.text.normalize import KEPT_MARKS
from indexer.text.words import Entry, JiebaAnalyzer

#: The field of jieba words.
WORDS = "words"
#: Metadata fields indexed as whole values (township:某镇 year:2023 in a Whoosh query).
KEYWORD_FIELDS = ("report_id", "township", "county", "section")


def make_schema(entries: tuple[Entry, ...] = ()) -> Schema:
    """The schema: jieba words (positions, for phrases), metadata to filter by, stored paragraphs."""
    return Schema(
        words=TEXT(analyzer=JiebaAnalyzer(entries), phrase=True),
        report_id=ID(stored=True),
        township=ID(stored=True),
        county=ID(stored=True),
        year=NUMERIC(stored=True, bits=32, shift_step=32),
        section=ID(stored=True),
        source=STORED,
        paragraph=STORED,
        kind=STORED,
        heading=STORED,
        text=STORED,
    )


def create(directory: Path, entries: tuple[Entry, ...] = ()) -> None:
    """An empty Whoosh index in directory (a new folder), to which segments are added."""
    directory.mkdir()
    whoosh_index.create_in(str(directory), make_schema(entries))


def open_index(directory: Path):
    """The Whoosh index in directory, reading stored fields by seeking.

    With mmap, the first stored-field read pulls the whole column into memory (1.3 GB at 1M).
    """
    return FileStorage(str(directory), supports_mmap=False).open_index()


def write_segment(directory: Path, docs: list[dict], tokens: list[list[tuple[str, int, int]]]):
    """Write docs (stored values by field) and their jieba tokens as one new segment; return it.

    The segment is not live until `commit` lists it. Safe to call from several processes at
    once: each segment has its own random name.
    """
    ix = whoosh_index.open_dir(str(directory))
    schema, storage, codec = ix.schema, ix.storage, default_codec()
    segment = codec.new_segment(storage, ix.indexname)
    words_field = schema[WORDS]
    encode = _position_encoder(words_field.format)
    postings: dict[str, dict] = defaultdict(lambda: defaultdict(list))
    word_postings = postings[WORDS]
    lengths: list[int] = []
    per_doc = codec.per_document_writer(storage, segment)
    for docnum, (doc, toks) in enumerate(zip(docs, tokens)):
        positions: dict[str, list[int]] = {}
        for pos, (word, _, _) in enumerate(toks):
            if word not in KEPT_MARKS:
                at = positions.get(word)
                if at is None:
                    positions[word] = [pos]
                else:
                    at.append(pos)
        length = 0
        for word, poses in positions.items():
            length += len(poses)
            word_postings[word].append((docnum, float(len(poses)), encode(poses)))
        lengths.append(length)
        per_doc.start_doc(docnum)
        for name in sorted(doc):
            field = schema[name]
            value = doc[name]
            if field.indexed:
                for tbytes, _, weight, vbytes in field.index(value):
                    postings[name][tbytes].append((docnum, weight, vbytes))
            per_doc.add_field(name, field, value if field.stored else None, 0)
        per_doc.add_field(WORDS, words_field, None, length)
        per_doc.finish_doc()
    per_doc.close()
    writer = codec.field_writer(storage, segment)
    for name in sorted(postings):
        writer.start_field(name, schema[name])
        terms = postings[name]
        keys = sorted(terms)  # str and UTF-8 bytes sort alike
        for key in keys:
            writer.start_term(key.encode("utf-8") if isinstance(key, str) else key)
            _add_postings(writer, terms[key], lengths if name == WORDS else None)
            writer.finish_term()
        writer.finish_field()
    writer.close()
    segment.set_doc_count(len(docs))
    return segment


def _add_postings(writer, postings: list[tuple[int, float, bytes]], lengths: list[int] | None) -> None:
    """A term's postings, as W3FieldWriter.add would buffer them one by one, a block at a time.

    Whoosh writes a block when a 129th posting arrives, and leaves the last block to
    finish_term (which writes it, or keeps a lone posting inline), so blocks are filled here
    the same way; tests/test_whoosh_index.py compares the result with Whoosh's own writer.
    """
    block_writer = writer._postwriter
    limit = block_writer._blocklimit
    for start in range(0, len(postings), limit):
        docs, weights, values = zip(*postings[start : start + limit])
        block_writer._ids = array("I", docs)
        block_writer._weights = array("f", weights)
        block_writer._values = [v for v in values if v]
        block_writer._maxweight = max(max(weights), 0)
        if lengths is not None:
            sizes = [lengths[d] for d in docs if lengths[d]]
            block_writer._minlength = min(sizes) if sizes else None
            block_writer._maxlength = max(sizes, default=0)
        else:
            block_writer._minlength, block_writer._maxlength = None, 0
        if start + limit < len(postings):
            block_writer._write_block()


def commit(directory: Path, segments: list) -> None:
    """Make the segments the index's contents, in this order (document numbers follow it)."""
    ix = whoosh_index.open_dir(str(directory))
    TOC(ix.schema, segments, ix.latest_generation() + 1).write(ix.storage, ix.indexname)


def _position_encoder(fmt):
    """fmt.encode for position lists, remembered (most words occur once or twice per paragraph)."""
    cache: dict[tuple[int, ...], bytes] = {}

    def encode(poses: list[int]) -> bytes:
        key = poses[0] if len(poses) == 1 else tuple(poses)
        value = cache.get(key)
        if value is None:
            if len(cache) > 200_000:
                cache.clear()
            value = cache[key] = fmt.encode(poses)
        return value

    return encode
