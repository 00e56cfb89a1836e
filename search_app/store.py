"""Opening the index for a request: one helper, reloaded when a rebuild switches generations."""

from __future__ import annotations

import threading

from flask import Flask, current_app

from indexer.engine.layout import current_generation
from indexer.engine.search import IndexNotFound, ReportIndex
from indexer.messages import NotFound
from indexer.research.reuse import corpus_reuse

_lock = threading.Lock()


def init_app(app: Flask) -> None:
    app.extensions["report_index"] = None


def get_index() -> ReportIndex:
    """The live index; raises IndexNotFound with how to build it when there is none."""
    index_dir = current_app.config["INDEX_DIR"]
    gen = current_generation(index_dir)
    if gen is None:
        raise IndexNotFound(f"No index found at {index_dir}.")
    cached = current_app.extensions["report_index"]
    if cached is not None and cached.generation == gen:
        return cached
    with _lock:
        cached = current_app.extensions["report_index"]
        if cached is None or cached.generation != gen:
            cached = ReportIndex(gen)
            current_app.extensions["report_index"] = cached
    return cached


def prepare(index: ReportIndex) -> None:
    """Work out what report pages and the report table read from the whole corpus (the reuse shares
    and pairs: seconds at 1M paragraphs), so that no visitor waits for it; the server does it once
    the index is warm (server.freeze_when_warm), elsewhere the first request that needs it does."""
    try:
        corpus_reuse(index)
    except Exception:  # noqa: BLE001 - a damaged or removed index: the requests that need it report it
        pass


def opened_index(app: Flask) -> ReportIndex | None:
    """The index this process has opened so far, if any (without opening one)."""
    return app.extensions["report_index"]


def get_report(report_id: str) -> tuple[ReportIndex, dict]:
    """The live index and a report's metadata; a 404 saying where to find the ids when unknown."""
    index = get_index()
    meta = index.report(report_id)
    if meta is None:
        raise NotFound("unknown_report", report_id=report_id[:80])
    return index, meta
