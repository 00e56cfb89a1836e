"""Readers for reports as they are published: PDF, saved web pages and Word 97–2003 files."""
