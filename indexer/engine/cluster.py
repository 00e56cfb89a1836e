"""Reading report files on a Dask cluster: `build --scheduler tcp://HOST:8786` (and `update`).

OCR of a national corpus is hundreds of CPU-hours, more than one machine should do. With a
scheduler named, the build sends the reading of each file (decoding, PDF layout, OCR) to the
workers of a Dask cluster (`dask scheduler`, `dask worker`), and writes the index itself as
always. Nothing is shared but the network: a file travels as its bytes, with the pages the OCR
cache holds for it, and comes back as the parsed report with the pages read by OCR, which go
into this machine's OCR cache. The version of the file (its stat and hash) and the copy the
index serves for download are taken here, from the bytes sent.

A worker lost mid-run costs only its tasks: the scheduler runs them again on another worker
(a file whose reading kills ALLOWED_FAILURES workers is skipped, named in one line).
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from indexer.documents import ocr_cache
from indexer.documents.decoding import IngestError
from indexer.documents.ingest import Document, check_size
from indexer.documents.report import Report
from indexer.documents.versions import content_hash, signature

#: The environment variable `--scheduler` sets (read by the build's reading, like OCR_CACHE).
ENV = "INDEXER_SCHEDULER"
#: Files in flight on the cluster at a time, per worker thread (their bytes are held here meanwhile).
IN_FLIGHT_PER_THREAD = 4

Job = tuple  # build._parse's job: (path, manifest entry, name relative to the folder, source store)
Outcome = tuple  # (report or None, skip reason or None)


class ClusterError(Exception):
    """The cluster cannot be used (no scheduler at the address, Dask not installed); one line."""


def scheduler() -> str | None:
    """The scheduler's address when reading goes to a cluster, else None."""
    return os.environ.get(ENV) or None


def read_remote(
    name: str, data: bytes, entry: dict | None, kept: dict | None
) -> tuple[Report | None, str | None, dict]:
    """On a worker: read one file from its bytes, as build._parse reads it from disk; returns the
    report or the reason to skip it, and the pages OCR read ({content hash: {page: OcrPage}})."""
    from indexer.engine.build import _parse

    memory = ocr_cache.MemoryCache(kept)
    with tempfile.TemporaryDirectory(prefix="indexer-read-") as tmp:
        path = Path(tmp) / Path(name).name  # the file's own name: the report id comes from it
        path.write_bytes(data)
        with ocr_cache.using(memory):
            report, error = _parse((path, entry, name, None))
    return report, error, memory.saved


@contextmanager
def cluster_reader(address: str) -> Iterator[Callable[[list[Job]], Iterator[Outcome]]]:
    """A function reading a batch of jobs on the cluster at address, in order, for the block."""
    try:
        from distributed import Client
    except ImportError:
        raise ClusterError("--scheduler needs dask and distributed (make setup installs them)") from None
    try:
        client = Client(address, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        yield lambda jobs: _read_all(client, jobs)
    finally:
        client.close()


def _read_all(client, jobs: list[Job]) -> Iterator[Outcome]:
    """Each job's outcome, in order, with a bounded number of files in flight."""
    threads = max(1, sum(client.nthreads().values()))
    window = IN_FLIGHT_PER_THREAD * threads
    sent: list = []
    todo = iter(jobs)
    for job in todo:
        sent.append(_send(client, job))
        if len(sent) >= window:
            break
    while sent:
        yield _receive(*sent.pop(0))
        job = next(todo, None)
        if job is not None:
            sent.append(_send(client, job))


def _send(client, job: Job):
    """Read the file here and submit its reading; (job, bytes and stat, or the reason it cannot be read, future)."""
    path, entry, rel, store = job
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            check_size(path, path.suffix.lower(), st.st_size)
            data = f.read()
    except OSError as exc:
        return job, None, f"cannot read file: {exc.strerror or exc}", None
    except IngestError as exc:
        return job, None, str(exc), None
    digest = content_hash(data)
    cache = ocr_cache.current()
    kept = cache.load(digest) if cache is not None else None
    future = client.submit(read_remote, rel, data, entry, {digest: kept} if kept else None, pure=False)
    return job, (data, st, digest), None, future


def _receive(job: Job, read, error: str | None, future) -> Outcome:
    """The outcome of a job: its report (versioned, its source kept, its OCR pages cached) or a reason."""
    from indexer.engine.build import display_name, keep_source, unreadable

    if future is None:
        return None, error
    try:
        report, error, pages = future.result()
    except Exception as exc:  # noqa: BLE001 - a file that killed workers, or a worker's bug: one skip
        return None, unreadable(exc)
    from indexer.documents.formats.scan import count_pages

    cache = ocr_cache.current()
    if cache is not None:
        for digest, found in pages.items():
            cache.save(digest, found)
    if report is None:
        return None, error
    count_pages(report.ocr_work[0])
    data, st, digest = read
    report.version = signature(st, digest)
    store = job[3]
    if store is not None:
        keep_source(store, display_name(job[2]), Document("", data=data, signature=report.version))
    return report, None
