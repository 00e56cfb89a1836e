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
This module is the only one that reaches into Whoosh's internals; compat.py checks at
import that Whoosh-Reloaded is the version they were written against.
The analysis processes write their chunks' segments side by side, and the build lists
them in paragraph order, so Whoosh document numbers are paragraph ids.
"""

from __future__ import annotations

import os
from array import array
from bisect import bisect_right
from collections import defaultdict
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index
from whoosh.codec import default_codec
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.index import TOC
from whoosh.reading import MultiReader
from whoosh.util.numeric import length_to_byte

from indexer.compat import whoosh_segments
from indexer.engine.checksums import CheckedFile
from indexer.engine.errors import IndexDamaged
from indexer.engine.word_postings import ChunkWords
from indexer.text.words import Entry, JiebaAnalyzer

#: The field of jieba words.
WORDS = "words"


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


def open_index(directory: Path, sums: dict[str, list] | None = None):
    """The Whoosh index in directory, reading stored fields by seeking; with sums (by file name,
    see integrity.whoosh_sums), each piece of a file is checked the first time it is read.

    With mmap, the first stored-field read pulls the whole column into memory (1.3 GB at 1M).
    """
    if sums is None:
        return FileStorage(str(directory), supports_mmap=False).open_index()
    return CheckedStorage(directory, sums).open_index()


class CheckedStorage(FileStorage):
    """Whoosh's file storage, reading every file through a CheckedFile; a file without sums
    (not written by the build) is damage."""

    def __init__(self, directory: Path, sums: dict[str, list]):
        super().__init__(str(directory), supports_mmap=False)
        self.sums = sums

    def open_file(self, name, **kwargs):
        path = Path(self._fpath(name))
        if name not in self.sums:
            raise IndexDamaged(path, "not written by the build")
        return StructFile(CheckedFile(path, self.sums[name]), name=name, **kwargs)


class StoredFields:
    """The stored fields of a document number, read from its segment's column directly.

    Whoosh's MultiReader finds the segment, and each segment reader copies the dict to drop
    fields no longer in the schema (ours never drops one): a third of the time of a page of hits.
    """

    def __init__(self, reader):
        if isinstance(reader, MultiReader):
            segments, self.starts = reader.readers, reader.doc_offsets
        else:  # one segment, or none (an empty index holds no documents to read)
            segments, self.starts = ([reader], [0]) if hasattr(reader, "_perdoc") else ([], [])
        self.columns = [segment._perdoc for segment in segments]

    def __call__(self, docnum: int) -> dict:
        k = bisect_right(self.starts, docnum) - 1
        return self.columns[k].stored_fields(docnum - self.starts[k])


def prefetch_stored(directory: Path) -> None:
    """Ask the OS to read the stored-field files ahead into its page cache, so that the first hits
    a server shows are not read from disk one page at a time (our process holds none of it)."""
    for path in directory.glob("*._stored.col"):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        finally:
            os.close(fd)


def write_segment(directory: Path, docs: list[dict], words: ChunkWords):
    """Write docs (stored values by field) and the postings of their jieba words as one new segment; return it.

    The segment is not live until `commit` lists it. Safe to call from several processes at
    once: each segment has its own random name.
    """
    ix = whoosh_index.open_dir(str(directory))
    schema, storage, codec = ix.schema, ix.storage, default_codec()
    segment = codec.new_segment(storage, ix.indexname)
    lengths = words.lengths.tolist()
    per_doc = codec.per_document_writer(storage, segment)
    stored_names = [name for name in sorted(schema.names()) if schema[name].stored]
    length_column = _lenfield(WORDS)  # the column Whoosh keeps the field's lengths in
    for docnum, (doc, length) in enumerate(zip(docs, lengths)):
        per_doc.start_doc(docnum)
        per_doc._storedfields = {name: doc[name] for name in stored_names if name in doc}
        if length:
            per_doc.add_column_value(length_column, LENGTHS_COLUMN, length_to_byte(length))
        per_doc.finish_doc()
    per_doc._fieldlengths[WORDS] = sum(lengths)
    per_doc.close()
    writer = codec.field_writer(storage, segment)
    keyword = _keyword_postings(schema, docs)
    for name in sorted(keyword.keys() | {WORDS}):
        writer.start_field(name, schema[name])
        if name == WORDS:
            values = _position_values(words, schema[WORDS].format)
            ids, tfs, bounds = words.docs.tolist(), words.tfs.tolist(), words.bounds.tolist()
            for term, lo, hi in zip(words.vocab, bounds, bounds[1:]):
                writer.start_term(term.encode("utf-8"))
                _add_postings(writer, ids[lo:hi], tfs[lo:hi], values[lo:hi], lengths)
                writer.finish_term()
        else:
            for tbytes in sorted(keyword[name]):
                writer.start_term(tbytes)
                ids = keyword[name][tbytes]
                _add_postings(writer, ids, [1] * len(ids), None, None)
                writer.finish_term()
        writer.finish_field()
    writer.close()
    segment.set_doc_count(len(docs))
    return segment


def _position_values(words: ChunkWords, fmt) -> list[bytes]:
    """Each posting's positions as Whoosh's Positions format encodes them: the count (4 bytes,
    big-endian), then the list of gaps pickled with protocol 2.

    A posting of one position is looked up (there are few distinct ones); postings of several
    positions whose gaps fit a byte (nearly all) are laid out in one array, byte for byte what
    pickle writes: PROTO 2, EMPTY_LIST, BINPUT 0, MARK, BININT1 per gap, APPENDS, STOP. Any
    other posting goes through the format's own encoder.
    """
    starts, tfs, positions = words.starts, words.tfs, words.positions
    first = positions[starts]
    single = [fmt.encode([p]) for p in range(int(first.max(initial=0)) + 1)]
    values = [single[p] for p in first.tolist()]
    multi = np.flatnonzero(tfs > 1)
    if not len(multi):
        return values
    gaps = np.diff(positions, prepend=0)
    gaps[starts] = positions[starts]  # a posting's first gap is from position 0
    owner = np.repeat(np.arange(len(tfs)), tfs)  # the posting of each position
    wide = np.zeros(len(tfs), bool)
    wide[owner[gaps > 255]] = True
    fast = multi[~wide[multi] & (tfs[multi] <= 1000)]  # pickle batches APPENDS by 1,000
    n = tfs[fast]
    size = 12 + 2 * n
    at = np.cumsum(size) - size
    buf = np.zeros(int(size.sum()), np.uint8)
    for i, shift in enumerate((24, 16, 8, 0)):
        buf[at + i] = (n >> shift) & 0xFF
    for i, byte in enumerate(b"\x80\x02]q\x00("):
        buf[at + 4 + i] = byte
    is_fast = np.zeros(len(tfs), bool)
    is_fast[fast] = True
    q = np.flatnonzero(is_fast[owner])  # the positions of those postings, in order
    k = owner[q]
    at_of = np.zeros(len(tfs), np.int64)
    at_of[fast] = at
    place = at_of[k] + 10 + 2 * (q - starts[k])
    buf[place] = ord("K")
    buf[place + 1] = gaps[q]
    buf[at + size - 2] = ord("e")
    buf[at + size - 1] = ord(".")
    data = buf.tobytes()
    for i, lo, hi in zip(fast.tolist(), at.tolist(), (at + size).tolist()):
        values[i] = data[lo:hi]
    for i in np.setdiff1d(multi, fast).tolist():
        s = int(starts[i])
        values[i] = fmt.encode(positions[s : s + int(tfs[i])].tolist())
    return values


def _keyword_postings(schema, docs: list[dict]) -> dict[str, dict[bytes, list[int]]]:
    """Documents of each term of the metadata fields (each value indexed once per distinct value)."""
    out: dict[str, dict[bytes, list[int]]] = {}
    for name in sorted(docs[0]) if docs else ():
        field = schema[name]
        if not field.indexed or name == WORDS:
            continue
        terms: dict[bytes, list[int]] = defaultdict(list)
        seen: dict = {}
        for docnum, doc in enumerate(docs):
            value = doc[name]
            keys = seen.get(value)
            if keys is None:
                keys = seen[value] = [tbytes for tbytes, _, _, _ in field.index(value)]
            for tbytes in keys:
                terms[tbytes].append(docnum)
        out[name] = terms
    return out


def _add_postings(writer, docs: list[int], tfs: list[int], values: list[bytes] | None, lengths) -> None:
    """A term's postings, as W3FieldWriter.add would buffer them one by one, a block at a time.

    Whoosh writes a block when a 129th posting arrives, and leaves the last block to
    finish_term (which writes it, or keeps a lone posting inline), so blocks are filled here
    the same way; tests/test_whoosh_index.py compares the result with Whoosh's own writer.
    """
    block_writer = writer._postwriter
    limit = block_writer._blocklimit
    for start in range(0, len(docs), limit):
        ids = docs[start : start + limit]
        weights = tfs[start : start + limit]
        block_writer._ids = array("I", ids)
        block_writer._weights = array("f", weights)
        block_writer._values = values[start : start + limit] if values is not None else []
        block_writer._maxweight = float(max(weights))
        if lengths is not None:
            sizes = [lengths[d] for d in ids]
            block_writer._minlength = min(sizes)
            block_writer._maxlength = max(sizes)
        else:
            block_writer._minlength, block_writer._maxlength = None, 0
        if start + limit < len(docs):
            block_writer._write_block()


def commit(directory: Path, segments: list) -> None:
    """Make the segments the index's contents, in this order (document numbers follow it)."""
    ix = whoosh_index.open_dir(str(directory))
    TOC(ix.schema, segments, ix.latest_generation() + 1).write(ix.storage, ix.indexname)


def commit_with_deletions(directory: Path, deleted: list[int], new_segments: list) -> None:
    """List the index's segments so far with the documents `deleted` (global numbers) marked deleted,
    then the new segments (an update)."""
    old = whoosh_segments(whoosh_index.open_dir(str(directory)))
    starts = np.cumsum([0] + [seg.doc_count_all() for seg in old])[:-1].tolist()
    for doc in deleted:
        k = bisect_right(starts, doc) - 1
        old[k].delete_document(doc - starts[k])
    commit(directory, old + new_segments)
