"""Indexer for township 法治政府建设 reports: read, repair, tag and index paragraphs."""
