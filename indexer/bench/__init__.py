"""Benchmark: our engine against a brute-force scan and SQLite FTS5, on a generated corpus."""
