"""The engines the benchmark runs side by side: ours, a brute-force scan, SQLite FTS5 trigram and Tantivy."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np
import tantivy
from tantivy import FieldType, Occur
from tantivy import Query as TQuery

from indexer.documents.sections import SECTIONS
from indexer.engine.query import Query
from indexer.engine.search import Filters, ReportIndex

SECTION_KEYS = list(SECTIONS)
#: Hits per page when paging is timed (the site's default).
PAGE_SIZE = 20


class OurEngine:
    """The product's engine on a built index generation."""

    name = "ours"

    def __init__(self, generation: Path):
        # Timed as a server that has finished warming up; the first query is timed apart.
        self.index = ReportIndex(generation, warm=False)
        self.index.warm()

    def top(self, query: Query, filters: Filters) -> tuple[int, list[int], dict]:
        self.index.grams.clear_cache()  # timed without the cache of recent answers
        result = self.index.search(query, filters, limit=10)
        return result.total, [h.pid for h in result.hits], result.facets

    def page1(self, query: Query, filters: Filters) -> tuple[int, list[int]]:
        return self.page(query, filters, 1)

    def page20(self, query: Query, filters: Filters) -> tuple[int, list[int]]:
        return self.page(query, filters, 20)

    def page(self, query: Query, filters: Filters, number: int) -> tuple[int, list[int]]:
        """One results page of PAGE_SIZE by relevance, exact total, no facets (as Tantivy's page)."""
        self.index.grams.clear_cache()
        offset = (number - 1) * PAGE_SIZE
        result = self.index.search(query, filters, offset=offset, limit=PAGE_SIZE, facets=False)
        return result.total, [h.pid for h in result.hits]

    def all(self, query: Query, filters: Filters) -> list[int]:
        self.index.grams.clear_cache()
        ids = self.index.select(query, filters)
        ordered, _ = self.index.order(ids, "relevance", query)
        return ordered.tolist()


class BruteForce:
    """A plain `in` scan over the normalised texts in memory, with the same query semantics."""

    name = "brute force"

    def __init__(self, texts: list[str], columns: dict[str, np.ndarray], townships: list[str]):
        self.texts = texts
        self.columns = columns
        self.townships = townships

    def _candidates(self, filters: Filters) -> np.ndarray:
        mask = np.ones(len(self.texts), bool)
        if filters.townships:
            codes = [self.townships.index(t) for t in filters.townships if t in self.townships]
            mask &= np.isin(self.columns["township"], codes)
        if filters.year_from is not None:
            mask &= self.columns["year"] >= filters.year_from
        if filters.year_to is not None:
            mask &= self.columns["year"] <= filters.year_to
        if filters.sections:
            mask &= np.isin(self.columns["section"], [SECTION_KEYS.index(s) for s in filters.sections])
        return np.flatnonzero(mask)

    def ids(self, query: Query, filters: Filters) -> np.ndarray:
        texts = self.texts
        candidates = self._candidates(filters).tolist()
        for group in query.groups:
            candidates = [i for i in candidates if any(term in texts[i] for term in group)]
        for term in query.excluded:
            candidates = [i for i in candidates if term not in texts[i]]
        return np.array(candidates if query.groups else [], dtype=np.int64)

    def top(self, query, filters):
        ids = self.ids(query, filters)
        facets = {name: np.bincount(self.columns[name][ids]) for name in ("township", "year", "section")}
        return len(ids), ids[:10].tolist(), facets

    def all(self, query, filters):
        return self.ids(query, filters).tolist()


class SqliteTrigram:
    """SQLite FTS5 with the trigram tokenizer (LIKE for terms under 3 characters)."""

    name = "sqlite fts5"

    def __init__(self, path: Path, texts: list[str] | None = None, columns: dict | None = None):
        self.db = sqlite3.connect(str(path))
        if texts is not None:
            self.db.execute("CREATE VIRTUAL TABLE fts USING fts5(text, tokenize='trigram')")
            self.db.execute("CREATE TABLE cols(id INTEGER PRIMARY KEY, township INT, year INT, section INT)")
            self.db.executemany("INSERT INTO fts(rowid, text) VALUES (?, ?)", enumerate(texts))
            self.db.executemany(
                "INSERT INTO cols VALUES (?, ?, ?, ?)",
                zip(
                    range(len(texts)),
                    columns["township"].tolist(),
                    columns["year"].tolist(),
                    columns["section"].tolist(),
                ),
            )
            self.db.commit()
        self.townships: list[str] = []

    def _term(self, term: str) -> tuple[str, str]:
        if len(term) >= 3:
            return "SELECT rowid AS id FROM fts WHERE fts MATCH ?", '"' + term.replace('"', '""') + '"'
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return "SELECT rowid AS id FROM fts WHERE text LIKE ? ESCAPE '\\'", f"%{escaped}%"

    def _sql(self, query: Query, filters: Filters) -> tuple[str, list]:
        parts, args = [], []
        for group in query.groups:
            sqls = []
            for term in group:
                sql, arg = self._term(term)
                sqls.append(sql)
                args.append(arg)
            parts.append(" UNION ".join(sqls))
        compound = " INTERSECT ".join(f"SELECT * FROM ({p})" for p in parts)
        for term in query.excluded:
            sql, arg = self._term(term)
            compound = f"SELECT * FROM ({compound}) EXCEPT {sql}"
            args.append(arg)
        where, wargs = [], []
        if filters.townships:
            codes = [self.townships.index(t) for t in filters.townships if t in self.townships]
            where.append(f"township IN ({','.join('?' * len(codes))})" if codes else "0")
            wargs += codes
        if filters.year_from is not None:
            where.append("year >= ?")
            wargs.append(filters.year_from)
        if filters.year_to is not None:
            where.append("year <= ?")
            wargs.append(filters.year_to)
        if filters.sections:
            where.append(f"section IN ({','.join('?' * len(filters.sections))})")
            wargs += [SECTION_KEYS.index(s) for s in filters.sections]
        sql = f"SELECT cols.id, township, year, section FROM ({compound}) AS m JOIN cols ON cols.id = m.id"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return sql, args + wargs

    def top(self, query, filters):
        if not query.groups:
            return 0, [], {}
        sql, args = self._sql(query, filters)
        db = self.db
        db.execute("DROP TABLE IF EXISTS temp.r")
        db.execute(f"CREATE TEMP TABLE r AS {sql}", args)
        total = db.execute("SELECT count(*) FROM r").fetchone()[0]
        top = [row[0] for row in db.execute("SELECT id FROM r ORDER BY id LIMIT 10")]
        facets = {
            name: dict(db.execute(f"SELECT {name}, count(*) FROM r GROUP BY {name}").fetchall())
            for name in ("township", "year", "section")
        }
        return total, top, facets

    def all(self, query, filters):
        if not query.groups:
            return []
        sql, args = self._sql(query, filters)
        return [row[0] for row in self.db.execute(f"SELECT id FROM ({sql}) ORDER BY id", args)]


class TantivyEngine:
    """Tantivy (tantivy-py) as a search engineer would set it up for exact Chinese substrings.

    A regex tokenizer emits one token per character, with positions; a term is a phrase
    query over its characters (a term query for one character); AND, OR and NOT are
    boolean Must, Should and MustNot; year, section and township are indexed integer
    fields, and `pid` (our paragraph id) a fast field to read the hits' ids from.
    """

    name = "tantivy"
    TOKENIZER = "chars"

    def __init__(
        self,
        path: Path,
        texts: list[str],
        columns: dict[str, np.ndarray],
        townships: list[str],
        heap_bytes: int = 512_000_000,
    ):
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("text", tokenizer_name=self.TOKENIZER, index_option="position")
        for field in ("pid", "year", "section", "township"):
            builder.add_integer_field(field, indexed=True, fast=True)
        self.schema = builder.build()
        path.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(self.schema, path=str(path), reuse=False)
        self.index.register_tokenizer(
            self.TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(r".")).build()
        )
        writer = self.index.writer(heap_size=heap_bytes)
        years, sections, places = (columns[k].tolist() for k in ("year", "section", "township"))
        for pid, text in enumerate(texts):
            writer.add_document(
                tantivy.Document(text=text, pid=pid, year=years[pid], section=sections[pid], township=places[pid])
            )
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()
        self.township_code = {t: i for i, t in enumerate(townships)}

    def _term(self, term: str) -> TQuery:
        if len(term) == 1:
            return TQuery.term_query(self.schema, "text", term)
        return TQuery.phrase_query(self.schema, "text", list(term))

    def _query(self, query: Query, filters: Filters) -> TQuery:
        if filters.provinces or filters.prefectures or filters.counties:
            raise ValueError("the Tantivy benchmark engine filters by township, year and section only")
        clauses = []
        for group in query.groups:
            if len(group) == 1:
                clauses.append((Occur.Must, self._term(group[0])))
            else:
                clauses.append((Occur.Must, TQuery.boolean_query([(Occur.Should, self._term(t)) for t in group])))
        clauses += [(Occur.MustNot, self._term(t)) for t in query.excluded]
        if filters.townships:
            codes = [self.township_code[t] for t in filters.townships if t in self.township_code]
            clauses.append(
                (Occur.Must, TQuery.term_set_query(self.schema, "township", codes) if codes else TQuery.empty_query())
            )
        if filters.year_from is not None or filters.year_to is not None:
            clauses.append(
                (
                    Occur.Must,
                    TQuery.range_query(self.schema, "year", FieldType.Integer, filters.year_from, filters.year_to),
                )
            )
        if filters.sections:
            codes = [SECTION_KEYS.index(s) for s in filters.sections]
            clauses.append((Occur.Must, TQuery.term_set_query(self.schema, "section", codes)))
        return TQuery.boolean_query(clauses)

    def top(self, query: Query, filters: Filters) -> tuple[int, list[int], dict]:
        """The 10 best by Tantivy's BM25 and the exact count (no facets: the issue's measurement)."""
        if not query.groups:
            return 0, [], {}
        result = self.searcher.search(self._query(query, filters), limit=10, count=True)
        pids = self.searcher.fast_field_values("pid", [address for _, address in result.hits])
        return result.count, pids, {}

    def page1(self, query: Query, filters: Filters) -> tuple[int, list[int]]:
        return self.page(query, filters, 1)

    def page20(self, query: Query, filters: Filters) -> tuple[int, list[int]]:
        return self.page(query, filters, 20)

    def page(self, query: Query, filters: Filters, number: int) -> tuple[int, list[int]]:
        """One page of PAGE_SIZE by Tantivy's BM25 (its offset), and the exact count."""
        if not query.groups:
            return 0, []
        offset = (number - 1) * PAGE_SIZE
        result = self.searcher.search(self._query(query, filters), limit=PAGE_SIZE, count=True, offset=offset)
        return result.count, self.searcher.fast_field_values("pid", [address for _, address in result.hits])

    def all(self, query: Query, filters: Filters) -> list[int]:
        """Every matching paragraph id, in id order."""
        if not query.groups:
            return []
        q = self._query(query, filters)
        total = self.searcher.search(q, limit=1, count=True).count
        if not total:
            return []
        result = self.searcher.search(q, limit=total, count=False, order_by_field="pid", order=tantivy.Order.Asc)
        return [pid for pid, _ in result.hits]


class TantivyFacets:
    """Tantivy's top 10 and total as above, plus the facet counts ours gives, by terms aggregations.

    As in ours, a facet whose dimension is filtered counts the matches without that filter
    (so a page can offer the other years); that takes one more aggregation per such facet.
    """

    name = "tantivy + facets"
    #: each facet field and the Filters fields of its own filter
    FACETS = {"township": {"townships": ()}, "year": {"year_from": None, "year_to": None}, "section": {"sections": ()}}

    def __init__(self, engine: TantivyEngine):
        self.engine = engine

    def top(self, query: Query, filters: Filters) -> tuple[int, list[int], dict]:
        total, pids, _ = self.engine.top(query, filters)
        if not query.groups:
            return total, pids, {}
        own = [name for name, unset in self.FACETS.items() if replace(filters, **unset) != filters]
        facets = self._counts(query, filters, [n for n in self.FACETS if n not in own])
        for name in own:
            facets.update(self._counts(query, replace(filters, **self.FACETS[name]), [name]))
        return total, pids, facets

    def _counts(self, query: Query, filters: Filters, names: list[str]) -> dict[str, dict[int, int]]:
        if not names:
            return {}
        spec = {name: {"terms": {"field": name, "size": 1_000_000}} for name in names}
        result = self.engine.searcher.aggregate(self.engine._query(query, filters), spec)
        return {name: {b["key"]: b["doc_count"] for b in result[name]["buckets"]} for name in names}
