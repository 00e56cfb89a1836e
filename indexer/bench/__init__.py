"""Benchmark: our engine against a brute-force scan, SQLite FTS5 and Tantivy, on a generated corpus."""
