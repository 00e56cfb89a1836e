"""The engines the benchmark runs side by side: ours, a brute-force scan, and SQLite FTS5 trigram."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from ..query import Query
from ..search import Filters, ReportIndex
from ..sections import SECTIONS

SECTION_KEYS = list(SECTIONS)


class OurEngine:
    """The product's engine on a built index generation."""

    name = "ours"

    def __init__(self, generation: Path):
        # Timed as a server that has finished warming up; the first query is timed apart.
        self.index = ReportIndex(generation, warm=False)
        self.index.grams.warm()
        self.index.words.warm()

    def top(self, query: Query, filters: Filters) -> tuple[int, list[int], dict]:
        self.index.grams.clear_cache()  # timed without the cache of recent answers
        result = self.index.search(query, filters, limit=10)
        return result.total, [h.pid for h in result.hits], result.facets

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
            self.db.executemany("INSERT INTO cols VALUES (?, ?, ?, ?)", zip(
                range(len(texts)), columns["township"].tolist(), columns["year"].tolist(),
                columns["section"].tolist()))
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
        facets = {name: dict(db.execute(f"SELECT {name}, count(*) FROM r GROUP BY {name}").fetchall())
                  for name in ("township", "year", "section")}
        return total, top, facets

    def all(self, query, filters):
        if not query.groups:
            return []
        sql, args = self._sql(query, filters)
        return [row[0] for row in self.db.execute(f"SELECT id FROM ({sql}) ORDER BY id", args)]
