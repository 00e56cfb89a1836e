"""Searching a built index: exact matching, filters, facets, ranking and hits."""

from __future__ import annotations

import atexit
import threading
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
from whoosh.index import IndexError as WhooshIndexError
from whoosh.query import And, Phrase
from whoosh.query import Term as WhooshTerm
from whoosh.searching import Searcher

from indexer.documents.folder import path_key
from indexer.documents.report import fields_for
from indexer.documents.sections import SECTIONS
from indexer.documents.versions import recorded_hash
from indexer.engine import integrity, layout, proximity, whoosh_index
from indexer.engine.blocks import STOP_WARMING, WarmingStopped
from indexer.engine.errors import IndexDamaged, IndexNotFound
from indexer.engine.facet_counts import count_facets
from indexer.engine.facets import PLACE_FACETS
from indexer.engine.filters import Filters, check_levels, check_sections, filter_mask, filtered
from indexer.engine.grams import intersect_sorted
from indexer.engine.layout import current_generation
from indexer.engine.parts import Grams, SimilarLists, Texts, Words
from indexer.engine.places import PlaceLabels
from indexer.engine.query import Query
from indexer.engine.ranking import check_sort, order
from indexer.engine.segments import read_segments
from indexer.messages import message
from indexer.text.normalize import find_spans, merge_spans, normalize_with_offsets
from indexer.text.words import Segmenter, has_marks, read_user_dict, segmenter_for, split_at_marks

MAX_LIMIT = 1000
#: Texts read at a time when checking proximity chains against candidates.
NEAR_BATCH = 4096

#: Threads warming an index in the background; stopped when the process exits.
_WARMING: weakref.WeakSet[threading.Thread] = weakref.WeakSet()


@atexit.register
def _stop_warming() -> None:
    STOP_WARMING.set()
    for thread in list(_WARMING):
        thread.join(timeout=10)


@dataclass
class Hit:
    """One matching paragraph, and its report's record (reports.json).

    The report's fields that hits carry (ReportMeta's `hit` role: report_id, source, places,
    year …) are read as attributes of the hit: hit.township is the report's township ("" when
    unknown; year None)."""

    pid: int
    paragraph: int
    section: str
    heading: str
    text: str
    kind: str
    report: dict
    score: float = 0.0

    def __getattr__(self, name: str):
        if name in HIT_REPORT_FIELDS:
            value = self.report.get(name)
            return value if value is not None or name == "year" else ""
        raise AttributeError(name)

    @property
    def section_name(self) -> str:
        return SECTIONS.get(self.section, self.section)


#: The report fields every hit carries, in the order of the JSON output.
HIT_REPORT_FIELDS = fields_for("hit")


@dataclass
class SearchResult:
    """A page of hits, the exact total, and facet counts over all matches."""

    query: Query | None
    total: int
    hits: list[Hit]
    facets: dict = field(default_factory=dict)
    #: Filters by a name several places share (all of them chosen): ReportIndex.place_notices.
    notices: list[dict] = field(default_factory=list)
    #: Of the total, the hits in duplicate copies of a report (engine/duplicates.py), which facets count once.
    duplicate_hits: int = 0

    @property
    def notice(self) -> str | None:
        return self.query.notice if self.query is not None else None

    @property
    def notice_code(self) -> str | None:
        return self.query.notice_code if self.query is not None else None


class ReportIndex:
    """An opened index generation: reports, paragraph columns, n-gram postings and Whoosh.

    Its files are checked against their checksums as they are read (integrity.py); a damaged
    one raises IndexDamaged (an IndexNotFound), at open or in the query that reads it.
    """

    def __init__(self, generation: Path, warm: bool = True):
        self.generation = generation
        try:
            meta = integrity.read_meta(generation)
            integrity.check_open(generation, meta)
            self.meta = meta
            parts = read_segments(generation, meta)
            self.reports: list[dict] = parts["reports"]
            self.columns: dict[str, np.ndarray] = parts["columns"]
            self.grams: Grams = parts["grams"]  # one segment's NgramIndex, or MultiGrams over several
            self.words: Words = parts["words"]  # WordIndex, or MultiWords
            #: False for the paragraphs of removed or replaced reports (kept in place until a full build).
            self.live: np.ndarray = parts["live"]
            self.all_live = bool(self.live.all())
            self._similar = parts["similar"]
            self.segmenter = segmenter_for(read_user_dict(generation / layout.USERDICT)[0])
            self.ix = whoosh_index.open_index(generation / layout.WHOOSH, integrity.whoosh_sums(meta))
            self._reader = self.ix.reader()
            self._stored = whoosh_index.StoredFields(self._reader)
        except (OSError, ValueError, KeyError, WhooshIndexError) as exc:
            raise IndexNotFound(
                f"The index at {generation.parent} cannot be read ({exc}); rebuild it with: python -m indexer build"
            ) from None
        #: For each place facet, its values (codes) in code order (a paragraph column holds indexes into it).
        self.values: dict[str, list[str]] = meta.values
        self.value_code = {key: {v: i for i, v in enumerate(vals)} for key, vals in self.values.items()}
        #: Each place value's name and label, and what a filter value chooses (places.py).
        self.places = PlaceLabels(meta.values, meta.places)
        self.townships = self.values["township"]  # codes, in code order
        self.township_code = self.value_code["township"]  # code → index in townships
        self.section_keys: list[str] = meta.sections
        self.by_id = {r["report_id"]: r for r in self.reports}
        #: Where each report's paragraphs start (reports hold consecutive ids), and the end.
        self.report_starts = np.asarray([r["first_pid"] for r in self.reports] + [meta.paragraphs], np.int64)
        self._report_starts32 = self.report_starts.astype(np.int32)  # searching int32 ids without a copy
        self._reader_lock = threading.Lock()
        self._all_checked = False
        self._report_columns: dict[str, np.ndarray] = {}
        if not (
            self.ix.doc_count_all() == len(self.grams) == len(self.words.lengths) == len(self.columns["year"])
            and self.ix.doc_count() == self.words.count == int(self.live.sum())
        ):
            raise IndexNotFound(
                f"The index at {generation.parent} is inconsistent; rebuild it with: python -m indexer build"
            )
        self.warmed = threading.Event()  # set once every block is decompressed (at once without warm)
        if warm:  # decompress the rest in the background; queries read what they need meanwhile
            thread = threading.Thread(target=self._warm, daemon=True)
            _WARMING.add(thread)
            thread.start()
        else:
            self.warmed.set()

    def warm(self) -> None:
        """Decompress every block of postings and texts, and have the OS read the stored fields ahead."""
        whoosh_index.prefetch_stored(self.generation / layout.WHOOSH)
        self.grams.warm()
        self.words.warm()

    def _warm(self) -> None:
        try:
            self.warm()
        except (OSError, ValueError):
            pass  # a generation removed under a stale server; queries report it
        except WarmingStopped:
            pass  # the process is exiting
        except IndexDamaged:
            pass  # queries that read the damaged part report it
        finally:
            self.warmed.set()

    @classmethod
    def open(cls, index_dir: Path, warm: bool = True) -> "ReportIndex":
        if Path(index_dir).exists() and not Path(index_dir).is_dir():
            raise IndexNotFound(f"{index_dir} is a file, not an index folder")
        gen = current_generation(Path(index_dir))
        if gen is None:
            raise IndexNotFound(
                f"No index found at {index_dir}. Build it with: python -m indexer build --index {index_dir}"
            )
        return cls(gen, warm)

    def __len__(self) -> int:
        return len(self.grams)

    @property
    def texts(self) -> Texts:
        """The normalised paragraph texts (parts.Texts)."""
        return self.grams.texts

    @cached_property
    def reports_by_path(self) -> list[dict]:
        """The live reports in file path order, as a full build numbers them (for listings)."""
        return sorted(self.reports, key=lambda r: path_key(r["source"]))

    @cached_property
    def _path_ids(self) -> np.ndarray | None:
        """The live paragraph ids ordered by file path, then paragraph number (what a full build's
        ids follow), or None when the ids already follow it (removed paragraphs in between never match)."""
        reports = self.reports_by_path
        firsts = [r["first_pid"] for r in reports]
        if firsts == sorted(firsts):
            return None
        return np.concatenate([np.arange(r["first_pid"], r["first_pid"] + r["paragraphs"]) for r in reports])

    @cached_property
    def _path_place(self) -> np.ndarray:
        """Each paragraph's position in _path_ids (removed paragraphs: past the end)."""
        place = np.full(len(self), len(self), np.int64)
        place[self._path_ids] = np.arange(len(self._path_ids))
        return place

    def in_path_order(self, ids: np.ndarray) -> np.ndarray:
        """Live ids ordered by file path, then paragraph number. Ties in every sort are broken by
        this order, so an updated index orders hits as a full build does."""
        if self._path_ids is None or len(ids) < 2:
            return ids
        place = self._path_place[ids]
        if len(ids) * 32 < len(self):  # a few: sort them
            return ids[np.argsort(place, kind="stable")]
        mark = np.zeros(len(self) + 1, bool)  # many: mark their places and read the ids off in order
        mark[place] = True
        return self._path_ids[np.flatnonzero(mark[:-1])].astype(ids.dtype)

    def check_all(self) -> None:
        """Check every file of the generation whole, once (before a download streams, so that
        damage is told before its first byte, not halfway through); IndexDamaged for the first that differs."""
        if not self._all_checked:
            integrity.check(self.generation, self.meta, self.meta.checksums)
            self._all_checked = True

    @cached_property
    def similar(self) -> SimilarLists:
        """The lists of similar paragraphs (similar.py), opened (and their files checked) on first use."""
        try:
            for segment in self.meta.segments:
                integrity.check(self.generation, self.meta, integrity.similar_files(self.meta, segment.dir))
            similar = self._similar()
            if similar.size() != len(self):
                raise ValueError("the similar-paragraph lists do not fit the paragraphs")
            return similar
        except (OSError, ValueError) as exc:
            raise IndexNotFound(
                f"The index at {self.generation.parent} cannot be read ({exc}); "
                "rebuild it with: python -m indexer build"
            ) from None

    # -- matching ---------------------------------------------------------------------------

    def match(self, query: Query | None) -> np.ndarray:
        """Sorted ids of every paragraph the query matches, before filters (all of them for None: browsing)."""
        if query is None:
            return np.flatnonzero(self.live).astype(np.int32)
        if not query.groups:
            return np.zeros(0, np.int32)
        if query.whole_words:
            find, estimate = self.word_ids, self.word_estimate
            find_within = lambda term, within: intersect_sorted(within, self.word_ids(term))  # noqa: E731
        else:
            find, estimate, find_within = self.grams.find, self.grams.estimate, self.grams.find_within
        # OR groups first, on masks over all paragraphs; then single terms, rarest first,
        # each checked only inside what is left, so the text of fewer candidates is read.
        result: np.ndarray | None = None
        order = sorted(query.groups, key=lambda g: (-len(g), estimate(g[0]) if len(g) == 1 else 0))
        for group in order:
            if len(group) == 1:
                term = group[0]
                result = find(term) if result is None else find_within(term, result)
            else:
                any_term = np.zeros(len(self.grams), bool)
                for term in group:
                    any_term[find(term)] = True
                ids = np.flatnonzero(any_term).astype(np.int32)
                result = ids if result is None else intersect_sorted(result, ids)
            if len(result) == 0:
                return result
        for term in query.excluded:
            result = np.setdiff1d(result, find_within(term, result), assume_unique=True)
        if not self.all_live:
            result = result[self.live[result]]
        if query.chains:
            result = self._near(result, query)
        return np.asarray(result, dtype=np.int32)

    def _near(self, ids: np.ndarray, query: Query) -> np.ndarray:
        """Of the ids (which hold every term), those where every proximity chain holds (proximity.py)."""
        if query.whole_words:
            find = proximity.whole_word_finder(self.segmenter)
            tests = [lambda text, c=chain: proximity.holds(text, c, find) for chain in query.chains]
        else:
            tests = [proximity.matcher(c) or (lambda text, c=c: proximity.holds(text, c)) for c in query.chains]
        keep = np.ones(len(ids), bool)
        for lo in range(0, len(ids), NEAR_BATCH):
            texts = self.texts.many(ids[lo : lo + NEAR_BATCH])
            for test in tests:  # each test over the batch in C's map, not a Python loop per text
                keep[lo : lo + len(texts)] &= np.fromiter(map(bool, map(test, texts)), bool, len(texts))
        return ids[keep]

    def word_ids(self, term: str) -> np.ndarray:
        """Sorted ids of the paragraphs where the term's jieba words stand as consecutive words.

        Several words are a Phrase query on the Whoosh `words` field. One word reads the same
        postings from the ranking's word arrays (the same jieba words, tested equal), which
        are 100–1000 times faster than Whoosh's Python posting reader for common words.
        A term with clause marks is split at them: each part must stand as words, and the
        whole term must occur as a substring.
        """
        parts = [self.segmenter.words(part) for part in split_at_marks(term)]
        if len(parts) == 1 and len(parts[0]) == 1 and not has_marks(term):
            return self.words.postings(parts[0][0])[0].astype(np.int32)
        queries = [
            WhooshTerm(whoosh_index.WORDS, words[0]) if len(words) == 1 else Phrase(whoosh_index.WORDS, words)
            for words in parts
            if words
        ]
        if not queries:
            return np.zeros(0, np.int32)
        with self._reader_lock:  # one open Whoosh reader, shared by the server's threads
            searcher = Searcher(self._reader, closereader=False)
            docs = np.fromiter(searcher.docs_for_query(queries[0] if len(queries) == 1 else And(queries)), np.int32)
        docs.sort()
        return self.grams.find_within(term, docs) if has_marks(term) else docs

    @contextmanager
    def whoosh_reader(self):
        """The open Whoosh reader, held for this thread (stored fields, postings and term statistics)."""
        with self._reader_lock:
            yield self._reader

    def word_estimate(self, term: str) -> int:
        """An upper bound on word_ids(term): the paragraphs holding its rarest word."""
        words = [w for part in split_at_marks(term) for w in self.segmenter.words(part)]
        with self._reader_lock:
            return min((self._reader.doc_frequency(whoosh_index.WORDS, w) for w in words), default=0)

    def report_column(self, name: str) -> np.ndarray:
        """A per-paragraph column that is constant within a report, one value per report."""
        cached = self._report_columns.get(name)
        if cached is None:
            column, starts = self.columns[name], self.report_starts[:-1]
            # a report without paragraphs counts nothing, whatever value it is given
            cached = column[np.minimum(starts, len(column) - 1)] if len(column) else np.zeros(len(starts), int)
            self._report_columns[name] = cached
        return cached

    def filter_mask(self, ids: np.ndarray, filters: Filters, skip: str | None = None) -> np.ndarray:
        """Boolean mask over ids for the filters (leaving out one dimension, for its facet); filters.py."""
        return filter_mask(self, ids, filters, skip)

    def facets(self, ids: np.ndarray, filters: Filters) -> dict:
        """Counts per place level, year and section, each ignoring its own filter; facet_counts.py."""
        return count_facets(self, ids, filters)

    def order(self, ids: np.ndarray, sort: str, query: Query | None, top: int | None = None):
        """ids in the requested order and their scores (with top, only the first `top`); ranking.py."""
        return order(self, ids, sort, query, top)

    # -- results ----------------------------------------------------------------------------

    def search(
        self,
        query: Query | None,
        filters: Filters = Filters(),
        sort: str = "relevance",
        offset: int = 0,
        limit: int | None = 10,
        facets: bool = True,
    ) -> SearchResult:
        """Every paragraph matching query and filters: the exact total, one page of hits, and facets.

        With no query, every paragraph that passes the filters, in report order (browsing).
        """
        check_sort(sort)  # before the matching work
        matched = self.match(query)
        ids = self.select(query, filters, matched)
        end = len(ids) if limit is None else offset + limit
        ordered, scores = self.order(ids, sort, query, top=None if limit is None else end)
        hits = self.hits(ordered[offset:end].tolist(), scores[offset:end].tolist())
        return SearchResult(
            query=query,
            total=len(ids),
            hits=hits,
            facets=self.facets(matched, filters) if facets else {},
            notices=self.place_notices(filters),
            duplicate_hits=len(ids) - len(self.counted(ids, Filters())),
        )

    @cached_property
    def _unsettled_names(self) -> dict[str, dict[str, list[int]]]:
        """For each place level, the reports whose place is unsettled (未定) by the name they give it."""
        out: dict[str, dict[str, list[int]]] = {key: {} for key in self.values}
        for key, names in out.items():
            unsettled = self.value_code[key].get("")
            if unsettled is None:
                continue
            column = self.report_column(key)
            for i in np.flatnonzero(column == unsettled).tolist():
                name = self.reports[i].get(key)
                if name:
                    names.setdefault(name, []).append(i)
        return out

    def unsettled_named(self, key: str, name: str) -> list[int]:
        """The reports (their index in self.reports) whose place at level key is unsettled but named name."""
        return self._unsettled_names[key].get(name.strip(), [])

    def place_notices(self, filters: Filters) -> list[dict]:
        """For each filter value that is a name several places share (all of them chosen): a notice
        with its code (shared_place_name), the English and Chinese messages, and the places."""
        out = []
        for facet in PLACE_FACETS:
            for value in filters.places(facet):
                shared = self.places.shared(facet.key, value)
                if shared:
                    details = {
                        "label": facet.label,
                        "name": value,
                        "count": len(shared),
                        "places": "、".join(p.label for p in shared[:6]) + ("…" if len(shared) > 6 else ""),
                        "example": f"{facet.key}={shared[0].code}",
                    }
                    out.append(
                        {
                            "code": "shared_place_name",
                            "facet": facet.key,
                            "value": value,
                            "message": message("shared_place_name", **details),
                            "message_zh": message("shared_place_name", "zh", **details),
                            "places": [p.to_json() for p in shared],
                        }
                    )
        return out

    def select(
        self, query: Query | None, filters: Filters = Filters(), matched: np.ndarray | None = None
    ) -> np.ndarray:
        """Sorted ids of the paragraphs that match the query and pass the filters."""
        check_sections(filters.sections)
        check_levels(filters.levels)
        if matched is None:
            matched = self.match(query)
        if not filtered(filters, None):
            return matched.copy()  # a copy, as with filters: matched may be a cached, read-only answer
        return matched[self.filter_mask(matched, filters)]

    @cached_property
    def duplicate_paragraphs(self) -> np.ndarray | None:
        """True for each paragraph of a duplicate copy of a report (duplicates.py); None when no report
        is one. Worked out once per opened index."""
        copies = [r for r in self.reports if r.get("duplicate_of")]
        if not copies:
            return None
        mask = np.zeros(len(self), bool)
        for r in copies:
            mask[r["first_pid"] : r["first_pid"] + r["paragraphs"]] = True
        return mask

    @cached_property
    def duplicate_count(self) -> int:
        """How many live reports are duplicate copies of another."""
        return sum(1 for r in self.reports if r.get("duplicate_of"))

    def counted(self, ids: np.ndarray, filters: Filters = Filters()) -> np.ndarray:
        """The ids that counts count: without the paragraphs of duplicate copies, unless
        filters.duplicates (a copy is counted once, as its original)."""
        mask = self.duplicate_paragraphs
        if mask is None or filters.duplicates or len(ids) == 0:
            return ids
        return ids[~mask[ids]]

    def select_counted(self, query: Query | None, filters: Filters = Filters()) -> np.ndarray:
        """select's ids as counts count them (counted): what facets, /compare, trends, the concordance
        and key terms count."""
        return self.counted(self.select(query, filters), filters)

    def crosstab(self, ids: np.ndarray) -> dict[tuple[str, int | None], int]:
        """Matching paragraphs per (township value: code, "" or 无; year)."""
        if len(ids) == 0:
            return {}
        pairs = np.stack([self.columns["township"][ids], self.columns["year"][ids]], axis=1)
        values, counts = np.unique(pairs, axis=0, return_counts=True)
        return {(self.townships[t], y or None): c for (t, y), c in zip(values.tolist(), counts.tolist())}

    def hits(self, pids: list[int], scores: list[float] | None = None) -> list[Hit]:
        """Hits for paragraph ids, read from Whoosh's stored fields."""
        with self._reader_lock:  # one open Whoosh reader, shared by the server's threads
            fields = list(map(self._stored, pids))
        reports = [self.by_id[f["report_id"]] for f in fields]
        return [
            Hit(
                pid=pid,
                paragraph=f["paragraph"],
                section=f["section"],
                heading=f["heading"],
                text=f["text"],
                kind=f["kind"],
                report=r,
                score=scores[i] if scores else 0.0,
            )
            for i, (pid, f, r) in enumerate(zip(pids, fields, reports))
        ]

    def report(self, report_id: str) -> dict | None:
        """A report's metadata, or None for an unknown id."""
        return self.by_id.get(report_id)

    def report_paragraphs(self, report: dict, start: int = 0, stop: int | None = None) -> list[Hit]:
        """A report's paragraphs, or those from position start up to stop (0-based)."""
        first, count = report["first_pid"], report["paragraphs"]
        stop = count if stop is None else min(stop, count)
        return self.hits(list(range(first + max(start, 0), first + stop)))

    def source_hash(self, report: dict) -> str | None:
        """The content hash of the version of a report's file that was indexed."""
        signature = self.meta.files.get(report["source"])
        return recorded_hash(signature) if signature else None

    def source_path(self, report: dict) -> Path | None:
        """The indexed copy of a report's original file."""
        copy = layout.source_copy(self.generation.parent, self.meta, report["source"])
        if copy is None:
            return None
        path, root = copy.resolve(), (self.generation.parent / layout.SOURCES).resolve()
        if root not in path.parents or not path.is_file():
            return None
        return path


def highlight_spans(text: str, query: Query, segmenter: Segmenter | None) -> list[tuple[int, int]]:
    """Spans of text that match the query's terms, for highlighting; whole-word mode needs the index's
    segmenter. The terms of a proximity chain are marked only where they satisfy it."""
    if query.chains:
        norm, offsets = normalize_with_offsets(text)
        find = proximity.whole_word_finder(segmenter) if query.whole_words else proximity.occurrences
        chained = {group for chain in query.chains for group in chain.groups}
        spans = [span for chain in query.chains for span in proximity.chain_spans(norm, chain, find)]
        spans += [span for group in query.groups if group not in chained for span in find(norm, group)]
        return merge_spans([(int(offsets[s]), int(offsets[e - 1]) + 1) for s, e in spans])
    if query.whole_words:
        return segmenter.word_spans(text, query.terms)
    return find_spans(text, query.terms)
