"""Build the index from a folder of reports, replacing the live one only when the build succeeds.

The generations and their files are described in layout.py. Builds into one folder take
turns: each holds the build lock while it writes, so clean-up only ever removes
generations nobody is writing.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import multiprocessing
import os
import shutil
import signal
import threading
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

import numpy as np

from indexer.documents import ocr_cache
from indexer.documents.folder import FolderError, display_name, scan_folder, source_signature
from indexer.documents.formats import scan
from indexer.documents.formats.scan import low_confidence
from indexer.documents.ingest import IMAGE_SUFFIXES, Document, IngestError, read_document
from indexer.documents.levels import LEVELS
from indexer.documents.metadata import MANIFEST_NAME, load_manifest
from indexer.documents.report import Report, ReportMeta, fields_for, parse_report, report_id_for
from indexer.documents.sections import SECTIONS
from indexer.documents.versions import recorded_hash, signature
from indexer.engine import cluster, duplicates, integrity, layout, similar, whoosh_index
from indexer.engine.facets import PLACE_KEYS
from indexer.engine.grams import NgramIndex, chunk_grams
from indexer.engine.layout import (
    LOCK_NAME,
    SegmentInfo,
    current_generation,
    new_generation,
    remove_old_generations,
    switch_current,
)
from indexer.engine.phrases import write as write_phrases
from indexer.engine.places import place_key, place_names, place_values
from indexer.engine.word_postings import WordIndex, chunk_postings, chunk_words
from indexer.text.normalize import normalize
from indexer.text.words import USERDICT_NAME, Entry, UserDictError, read_user_dict, segmenter_for

T = TypeVar("T")


class BuildError(Exception):
    """A build that cannot start or finish, told in one line; the live index is unchanged."""


@dataclass
class BuildSummary:
    """What a build did."""

    reports: int = 0
    paragraphs: int = 0
    repairs: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    ocr_pages: int = 0  # pages the OCR engine read
    ocr_cached: int = 0  # pages of scans taken from the OCR cache
    #: (copy's file, which report it is the same as): indexed and searchable, counted once (duplicates.py)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    #: Files read and skipped → [size, mtime_ns, ctime_ns or None, reason], their stat taken before
    #: reading (meta.json's `skipped`: an update reads such a file again only once it changes).
    skipped_files: dict[str, list] = field(default_factory=dict)

    def line(self) -> str:
        scans = (
            f"; OCR {self.ocr_pages} pages, {self.ocr_cached} from the cache"
            if self.ocr_pages + self.ocr_cached
            else ""
        )
        return (
            f"indexed {self.reports} reports, {self.paragraphs} paragraphs "
            f"({self.repairs} page breaks repaired){scans}; skipped {len(self.skipped)}"
        )


Progress = Callable[[Iterable, str], Iterable]


def no_progress(items: Iterable, desc: str) -> Iterable:
    return items


def read_reports(
    data_dir: Path,
    summary: BuildSummary,
    progress: Progress = no_progress,
    only: set[str] | None = None,
    scanned=None,
    index_dir: Path | None = None,
) -> list[Report]:
    """Parse every report under data_dir (or those named in `only`); see iter_reports."""
    return list(iter_reports(data_dir, summary, progress, only, scanned, index_dir))


def iter_reports(
    data_dir: Path,
    summary: BuildSummary,
    progress: Progress = no_progress,
    only: set[str] | None = None,
    scanned=None,
    index_dir: Path | None = None,
) -> Iterator[Report]:
    """The reports under data_dir (or those named in `only`), parsed READ_BATCH files at a time;
    bad files are recorded in the summary and skipped. A report id already used gets a
    suffix: -2, -3 … `scanned` is scan_folder's answer when already at hand.

    With index_dir (the index they are read for), that folder is left out of the scan and the
    bytes read of each report are kept in its store (keep_source), so the copy served for
    download is what was indexed."""
    manifest = load_manifest(data_dir)
    names, passed = scanned or scan_folder(data_dir, index_dir)
    summary.skipped.extend((display_name(name), reason) for name, reason in passed)
    ids: set[str] = set()
    known = set(names) | {display_name(name) for name in names}
    for name in manifest:
        if name not in known:
            summary.warnings.append((MANIFEST_NAME, f"names {name!r}, which is not in {data_dir}"))
    if only is not None:
        names = [name for name in names if name in only]
    store = index_dir / layout.SOURCES if index_dir is not None else None
    jobs = [(data_dir / name, manifest.get(name) or manifest.get(display_name(name)), name, store) for name in names]
    ticks = iter(progress(names, "reading"))
    scans = sum(name.lower().endswith(SCAN_SUFFIXES) for name in names)
    with (
        ocr_cache.using(ocr_cache.folder_for(index_dir)),
        _ocr_progress(progress if scans else no_progress),
        _readers(len(jobs), scans) as read,
    ):
        for lo in range(0, len(jobs), READ_BATCH):
            batch = jobs[lo : lo + READ_BATCH]
            before = {job[2]: _stat(job[0]) for job in batch}  # taken before reading: a change meanwhile is seen
            for name, (report, error) in zip(names[lo : lo + READ_BATCH], read(batch)):
                next(ticks, None)
                if report is None:
                    summary.skipped.append((display_name(name), error))
                    if before[name] is not None:
                        summary.skipped_files[display_name(name)] = skip_record(before[name], error)
                    continue
                _tally_ocr(report, summary, display_name(name))
                yield _named(report, name, ids, summary)


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def skip_record(st: os.stat_result, reason: str) -> list:
    """meta.json's record of a skipped file: the version read (no hash: stat_matches compares the
    stat only, and a file changed too recently to tell is read again) and why it was skipped."""
    return signature(st, "")[:3] + [reason]


#: Files that may hold scanned pages (read by OCR).
SCAN_SUFFIXES = (".pdf",) + IMAGE_SUFFIXES


@contextmanager
def _ocr_progress(progress: Progress) -> Iterator[None]:
    """For the block, a count of the pages read by OCR (scan.pages_read, shared with the reading
    processes forked meanwhile), shown by `progress` from the first page on."""
    if progress is no_progress:
        yield
        return
    counter = multiprocessing.get_context("fork").Value("q", 0)
    scan.pages_read = counter
    done = threading.Event()

    def ticks() -> Iterator[int]:
        shown = 0
        while not (done.is_set() and shown == counter.value):
            for _ in range(counter.value - shown):
                shown += 1
                yield shown
            done.wait(0.2)

    def show() -> None:
        while counter.value == 0 and not done.wait(0.2):
            pass
        if counter.value:
            for _ in progress(ticks(), "OCR"):
                pass

    drawer = threading.Thread(target=show, daemon=True)
    drawer.start()
    try:
        yield
    finally:
        done.set()
        drawer.join()
        scan.pages_read = None


@contextmanager
def _readers(files: int, scans: int) -> Iterator[Callable[[list], Iterable]]:
    """What reads a batch of jobs, in order, for the block: the Dask cluster when a scheduler is
    named (cluster.py), else two processes for a large folder or more than one possible scan (OCR
    takes seconds a page: one file at a time each), else this process."""
    address = cluster.scheduler()
    if address:
        try:
            with cluster.cluster_reader(address) as read:
                yield read
        except cluster.ClusterError as exc:
            raise BuildError(str(exc)) from None
        return
    many = files >= PARALLEL_READ_MIN
    if not (many or scans > 1):
        yield lambda jobs: map(_parse, jobs)
        return
    reader = _SafeReader(chunk=8 if many else 1)
    try:
        yield reader.read
    finally:
        reader.close()


class _SafeReader:
    """Files parsed (_parse) in two worker processes, in order, even when a worker dies.

    A reader that crashes in C (a PDF or image library) or is killed by the kernel (out of
    memory) ends its process without an answer, and multiprocessing.Pool would wait for it for
    ever. Here the pool is seen to break (BrokenProcessPool); the files that were being read
    when it broke are read again one at a time, each in a process of its own, and a file that
    ends that process too is skipped with the reason; the other files go to a new pool.
    """

    def __init__(self, chunk: int):
        self.chunk = chunk
        self.ctx = multiprocessing.get_context("fork")
        self.states = self.ctx.Array("b", READ_BATCH, lock=False)  # per job of a batch: 1 started, 2 read
        self.pool: ProcessPoolExecutor | None = None

    def read(self, jobs: list) -> Iterator[tuple[Report | None, str | None]]:
        """(report, None) or (None, reason) for each job, in order, as they are read."""
        self.states[: len(jobs)] = bytes(len(jobs))
        results: list = [None] * len(jobs)
        todo, shown = list(range(len(jobs))), 0
        while todo:
            pool = self._pool()
            parts = [todo[lo : lo + self.chunk] for lo in range(0, len(todo), self.chunk)]
            futures = [(part, pool.submit(_read_part, part, [jobs[i] for i in part])) for part in parts]
            todo = []
            for n, (part, future) in enumerate(futures):
                try:
                    for i, found in zip(part, future.result()):
                        results[i] = found
                except BrokenProcessPool:
                    self.close()
                    for later, done in futures[n + 1 :]:  # parts read before it broke are kept
                        if done.done() and done.exception() is None:
                            for i, found in zip(later, done.result()):
                                results[i] = found
                    unread = [i for p, _ in futures[n:] for i in p if results[i] is None]
                    suspects = [i for i in unread if self.states[i] == 1]
                    if not suspects:
                        raise BuildError(
                            "a reading process died (out of memory?); the previous index is unchanged"
                        ) from None
                    for i in suspects:  # the files being read when the pool broke: each alone
                        results[i] = _read_alone(jobs[i])
                    todo = [i for i in unread if results[i] is None]
                    break
                while shown < len(jobs) and results[shown] is not None:
                    yield results[shown]
                    shown += 1
        yield from results[shown:]

    def _pool(self) -> ProcessPoolExecutor:
        if self.pool is None:
            with _signals_held():  # a fork context starts both workers at the first submit
                self.pool = ProcessPoolExecutor(
                    2, mp_context=self.ctx, initializer=_reading_worker, initargs=(self.states,)
                )
                self.pool.submit(int).result()
        return self.pool

    def close(self) -> None:
        """End the workers now (a build that stops does not wait for a long OCR to finish)."""
        if self.pool is not None:
            processes = list((self.pool._processes or {}).values())  # no public way to end them
            self.pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.kill()
            for process in processes:
                process.join()
            self.pool = None


_states = None


def _reading_worker(states) -> None:
    global _states
    _states = states
    _quiet_worker()


def _read_part(positions: list[int], jobs: list) -> list[tuple[Report | None, str | None]]:
    """In a worker: parse the jobs, marking each started and read (_SafeReader.states)."""
    out = []
    for i, job in zip(positions, jobs):
        _states[i] = 1
        out.append(_parse(job))
        _states[i] = 2
    return out


def _read_alone(job) -> tuple[Report | None, str | None]:
    """A job parsed in a process of its own: its result, or why the file is skipped if that process dies."""
    child, receive = _fork(lambda: _parse(job), daemon=True)
    try:
        sent = receive.recv()
    except EOFError:
        child.join()
        code = child.exitcode or 0
        how = f"by signal {signal.Signals(-code).name}" if code < 0 else f"with code {code}"
        return None, f"its reader ended {how} (a damaged file, or out of memory)"
    finally:
        _stop(child, receive)
    if sent[0] == "done":
        return sent[1]
    return None, f"could not be read ({sent[1]}: {sent[3]})"


def _tally_ocr(report: Report, summary: BuildSummary, name: str) -> None:
    """The OCR work of a report counted into the summary; its pages of low confidence warned."""
    summary.ocr_pages += report.ocr_work[0]
    summary.ocr_cached += report.ocr_work[1]
    warning = low_confidence(report.ocr)
    if warning:
        summary.warnings.append((name, warning))


#: Files parsed at a time (the build holds the reports of the segment it is writing, and up to a batch read ahead).
READ_BATCH = 2048
#: Folders of this many files are read by two processes.
PARALLEL_READ_MIN = 64


def _parse(job: tuple[Path, dict | None, str, Path | None]) -> tuple[Report | None, str | None]:
    path, entry, rel, store = job
    try:
        document = read_document(path)
        # the path under the report folder: its folders (省/市/县) are clues to the place
        report = storable(parse_report(path, entry, source=display_name(rel), document=document))
    except IngestError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - a reader's bug in one file must not stop the build
        return None, unreadable(exc)
    if store is not None:
        keep_source(store, display_name(rel), document)
    return report, None


def storable(report: Report) -> Report:
    """The report, once its text is known to be writable as UTF-8 (a reader that let a lone
    surrogate through would otherwise fail the whole build when the index is written)."""
    fields = (report.title, report.township, report.county, report.date, report.province, report.prefecture)
    for text in (
        *fields,
        *(p.text for p in report.paragraphs),
        *(h for p in report.paragraphs for h in p.heading_path),
    ):
        if text and not text.isascii():
            text.encode("utf-8")  # UnicodeEncodeError: a skip, named by unreadable()
    return report


def unreadable(exc: BaseException) -> str:
    """The one-line skip reason for an unexpected error while reading a file."""
    detail = " ".join(str(exc).split())[:200]
    return f"could not be read ({type(exc).__name__}{': ' + detail if detail else ''})"


def _named(report: Report, rel: str, ids: set[str], summary: BuildSummary) -> Report:
    """The parsed report with its source and a report id no other report has; its warnings recorded."""
    report.source = display_name(rel)
    report.file = rel if report.source != rel else None
    report.report_id = report_id = report_id_for(rel)
    n = 2
    while report.report_id in ids:
        report.report_id = f"{report_id}-{n}"
        n += 1
    ids.add(report.report_id)
    for warning in report.warnings:
        # whose report it is is told, not asked for: a county's report has no township to set;
        # a bad url names manifest.toml itself
        told = warning.startswith(("level:", "url:"))
        summary.warnings.append((report.source, warning if told else f"{warning}; set it in {MANIFEST_NAME}"))
    return report


def is_stale(data_dir: Path, index_dir: Path) -> bool:
    """True when index_dir has no index, or one built from other versions of the report files
    (by their stat: an update also compares the contents of those it was told to check)."""
    gen = current_generation(index_dir)
    if gen is None:
        return True
    meta = layout.read_meta(gen)
    if meta is None:
        return True
    try:
        return meta.signature != source_signature(data_dir, index_dir=index_dir)
    except FolderError as exc:
        raise BuildError(str(exc)) from None


def build(
    data_dir: Path, index_dir: Path, progress: Progress = no_progress, on_wait: Callable[[], None] | None = None
) -> BuildSummary:
    """Read data_dir and build a new index generation in index_dir; returns what happened.

    on_wait is called when another build of index_dir is running and this one waits for it.
    """
    if not data_dir.is_dir():
        raise FileNotFoundError(f"report folder not found: {data_dir}")
    check_apart(data_dir, index_dir)
    prepare_index_dir(index_dir)
    summary = BuildSummary()
    try:
        # Taken before anything is read: a file changed meanwhile differs from them at the next update.
        signature, extras = source_signature(data_dir, index_dir=index_dir), extra_signatures(data_dir)
        entries = load_user_dict(data_dir, summary)
        reports = _tallied(iter_reports(data_dir, summary, progress, index_dir=index_dir), summary)
        gen = build_index(
            reports, index_dir, data_dir, signature, progress, entries, on_wait, extras, summary.skipped_files
        )
        summary.duplicates = duplicates.duplicate_lines(layout.read_meta(gen))
    except FolderError as exc:
        raise BuildError(str(exc)) from None
    return summary


def check_apart(data_dir: Path, index_dir: Path) -> None:
    """Refuse a report folder that is the index folder or lies inside it (an index folder inside
    the report folder is fine: the scan leaves it out)."""
    data, index = data_dir.resolve(), index_dir.resolve()
    if data == index:
        raise BuildError(
            f"the report folder and the index folder are the same ({data_dir}); give the index its own folder"
        )
    if index in data.parents:
        raise BuildError(
            f"the report folder {data_dir} is inside the index folder {index_dir}; put the index in another folder"
        )


def _tallied(reports: Iterable[Report], summary: BuildSummary) -> Iterator[Report]:
    """The reports, counted into the summary as they pass."""
    for report in reports:
        summary.reports += 1
        summary.paragraphs += len(report.paragraphs)
        summary.repairs += report.repairs
        yield report


def load_user_dict(data_dir: Path, summary: BuildSummary) -> tuple[Entry, ...]:
    """The user dictionary's words; bad lines (or an unreadable file) become warnings."""
    try:
        entries, problems = read_user_dict(data_dir / USERDICT_NAME)
    except UserDictError as exc:
        summary.warnings.append((USERDICT_NAME, f"{exc}; not used"))
        return ()
    summary.warnings.extend((USERDICT_NAME, problem) for problem in problems)
    return entries


def build_index(
    reports: Iterable[Report],
    index_dir: Path,
    data_dir: Path | None = None,
    signature: str | None = None,
    progress: Progress = no_progress,
    entries: tuple[Entry, ...] = (),
    on_wait: Callable[[], None] | None = None,
    extras: dict | None = None,
    skipped: dict | None = None,
) -> Path:
    """Write reports as a new generation in index_dir and make it live; returns its folder.

    With data_dir, meta.json records the version of each report file read (Report.version) and
    extras (extra_signatures, taken before the reading; now when not given)."""
    prepare_index_dir(index_dir)
    if data_dir is not None and extras is None:
        extras = extra_signatures(data_dir)
    with build_lock(index_dir, on_wait):
        previous = current_generation(index_dir)
        with generation_written(index_dir) as gen:
            _write_generation(reports, gen, data_dir, signature, progress, entries, extras or {}, skipped)
            switch_current(index_dir, gen)
        # Keep the previous generation: a running server may still be reading it. Holding the
        # lock, any other generation is the remains of a build that died: nobody is writing it.
        remove_old_generations(index_dir, keep={gen.name} | ({previous.name} if previous else set()))
    return gen


@contextmanager
def generation_written(index_dir: Path):
    """A new generation folder to write and make live inside the block (call holding the build
    lock); when the block fails, the folder is removed and an OS error is told in one line."""
    try:
        gen = new_generation(index_dir)
    except OSError as exc:
        raise BuildError(f"cannot write to the index folder {index_dir}: {exc.strerror or exc}") from None
    try:
        yield gen
    except BaseException as exc:
        shutil.rmtree(gen, ignore_errors=True)
        if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):
            raise BuildError(
                f"cannot write the index in {index_dir}: {exc.strerror or exc}; the previous index is unchanged"
            ) from None
        raise


def prepare_index_dir(index_dir: Path) -> None:
    """Make sure index_dir is a folder that can hold an index, or raise BuildError saying why."""
    if index_dir.exists() and not index_dir.is_dir():
        raise BuildError(f"the index path {index_dir} is a file, not a folder")
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(f"cannot create the index folder {index_dir}: {exc.strerror or exc}") from None


@contextmanager
def build_lock(index_dir: Path, on_wait: Callable[[], None] | None = None):
    """Hold index_dir's build lock; wait for another build that holds it (calling on_wait first)."""
    try:
        fd = os.open(index_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise BuildError(f"cannot write to the index folder {index_dir}: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


#: Paragraphs per unit of work for the analysis processes, at most.
CHUNK = 10_000


def _chunk_step(count: int) -> int:
    """Paragraphs per chunk: at most CHUNK, in an even number of equal chunks, so that both
    analysis processes finish together."""
    chunks = -(-count // CHUNK)
    if chunks > 1 and chunks % 2:
        chunks += 1
    return max(1, -(-count // max(1, chunks)))


def _quiet_worker() -> None:
    """Analysis workers leave Ctrl-C to the build, and die with it instead of writing to a closed pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the build's own handler is inherited through fork
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


#: Held back while the workers start, so none dies in the build's handler before its own is set.
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextmanager
def _pool_for(wanted: bool):
    """Two quiet worker processes when wanted (else None), ended on the way out, whatever happens."""
    if not wanted:
        yield None
        return
    pool = None
    try:
        with _signals_held():
            pool = multiprocessing.get_context("fork").Pool(2, _quiet_worker)
        yield pool
    finally:
        if pool is not None:
            pool.terminate()


@contextmanager
def _signals_held():
    """Ctrl-C and SIGTERM wait while processes start (a signal that came meanwhile is raised on the way out)."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _side_by_side(here: Callable[[], None], there: Callable[[], None]) -> None:
    """Run `there` in a forked process while `here` runs in this one, so both cores work.
    A failure of `there` is raised here once both are done (see _outcome)."""
    child, receive = _fork(there, daemon=True)
    try:
        here()
    except BaseException:
        _stop(child, receive)
        raise
    _outcome(child, receive)


def _in_child(work: Callable[[], T]) -> T:
    """work's result, computed in a forked process: whatever it allocates is given back to the
    system when it ends (a full build writes each segment so, and its memory does not grow from
    one segment to the next). A failure is raised here (see _outcome)."""
    return _outcome(*_fork(work, daemon=False))  # not a daemon: it starts processes of its own


def _fork(work: Callable, daemon: bool):
    """A forked process doing work, and the end of the pipe it answers on."""
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_report_to, args=(work, send), daemon=daemon)
    try:
        with _signals_held():
            child.start()
    except BaseException:  # a signal that came while it started: it must not outlive the build
        if child.pid is not None:
            _stop(child, receive)
        raise
    finally:
        send.close()
    return child, receive


def _outcome(child, receive):
    """What the forked process sent: its result, or its failure raised here, an OSError as one
    (so the build tells it in one line), anything else as a BuildError naming it."""
    try:
        try:
            sent = receive.recv()
        except EOFError:  # it died without a word
            child.join()
            code = child.exitcode or 0
            cause = f"was killed by signal {-code}" if code < 0 else f"ended with code {code}"
            raise BuildError(f"a build process {cause} (out of memory?); the previous index is unchanged") from None
    finally:
        _stop(child, receive)
    if sent[0] == "done":
        return sent[1]
    _, kind, errno, message, filename = sent
    if kind == "OSError":
        raise OSError(errno, message, filename)
    raise BuildError(message if kind == "BuildError" else f"writing the index failed: {kind}: {message}")


def _stop(child, receive) -> None:
    """Wait a moment for the process to end, then end it."""
    child.join(1)
    if child.exitcode is None:
        child.kill()
        child.join()
    receive.close()


def _report_to(work: Callable, send) -> None:
    """In the forked process: do the work, and send its result or what went wrong."""
    _quiet_worker()
    try:
        send.send(("done", work()))
    except BaseException as exc:  # noqa: BLE001 - told to the parent, which raises it
        if isinstance(exc, OSError):
            send.send(("failed", "OSError", exc.errno or 0, exc.strerror or str(exc), exc.filename))
        else:
            if not isinstance(exc, BuildError):
                traceback.print_exc()  # unexpected: the whole story, on stderr
            send.send(("failed", type(exc).__name__, 0, str(exc), None))


def analyse_chunk(job: tuple[list[dict], int, tuple[Entry, ...], Path]):
    """One chunk of paragraphs, analysed: normalised texts, gram postings, word postings,
    similarity sketches, and the chunk written as a segment of the Whoosh index."""
    docs, first, entries, whoosh_dir = job
    norm = [normalize(doc["text"]) for doc in docs]
    segmenter = segmenter_for(entries)
    words = chunk_postings([segmenter.cut(text) for text in norm])
    segment = whoosh_index.write_segment(whoosh_dir, docs, words)
    return norm, chunk_grams(norm, first), chunk_words(words, first), similar.sketch(norm), segment


#: A full build writes a segment per this many paragraphs (at report boundaries), so its memory
#: stays bounded whatever the size of the corpus.
SEGMENT_PARAGRAPHS = 250_000


def _write_generation(
    reports: Iterable[Report],
    gen: Path,
    data_dir: Path | None,
    signature: str | None,
    progress: Progress,
    entries: tuple[Entry, ...],
    extras: dict,
    skipped: dict | None = None,
) -> None:
    whoosh_dir = gen / layout.WHOOSH
    whoosh_index.create(whoosh_dir, entries)
    segments: list[SegmentInfo] = []
    whoosh_segments: list = []
    files: dict[str, list] = {}
    names: dict[str, set[str]] = {key: set() for key in PLACE_KEYS}
    places: dict[str, list[str]] = {}
    live: list[list] = []

    def flush(group: list[Report]) -> None:
        folder = gen / ("." if not segments else f"seg-{len(segments) + 1}")

        def segment() -> list:
            return write_segment(group, folder, entries, whoosh_dir)

        for _ in progress(group, "indexing"):  # the bar is drawn here: the forked process runs no thread of it
            pass

        whoosh_segments.extend(_in_child(segment))
        if segments:  # pairs with the segments before it, as one segment would list them
            folders = [gen / s.dir for s in segments] + [folder]
            bases = np.cumsum([0] + [s.paragraphs for s in segments]).astype(np.int64)
            total = int(bases[-1]) + sum(len(r.paragraphs) for r in group)
            _in_child(lambda: similar.link(folders, bases, np.ones(total, bool)))
        if data_dir is not None:
            files.update(indexed_files(group))
        for key, values in place_values(group).items():
            names[key].update(values)
        places.update(place_names(group))
        name = folder.relative_to(gen).as_posix()
        live.extend(live_entries(group, name, sum(seg.paragraphs for seg in segments)))
        segments.append(SegmentInfo(name, paragraphs=sum(len(r.paragraphs) for r in group), reports=len(group)))

    group: list[Report] = []
    size = 0
    for report in reports:
        group.append(report)
        size += len(report.paragraphs)
        if size >= SEGMENT_PARAGRAPHS:
            flush(group)
            group, size = [], 0
    if group or not segments:
        flush(group)
    whoosh_index.commit(whoosh_dir, whoosh_segments)
    write_user_dict(gen, entries)
    write_meta(
        gen,
        signature=signature,
        files=files,
        extras=extras,
        segments=segments,
        values={key: sorted(values) for key, values in names.items()},
        places=places,
        deleted_reports=[],
        live=live,
        skipped=skipped or {},  # filled while the reports were read (iter_reports)
    )


def write_segment(
    reports: list[Report],
    folder: Path,
    entries: tuple[Entry, ...],
    whoosh_dir: Path,
    progress: Progress = no_progress,
) -> list:
    """Write reports as one segment of the engine in folder (texts, grams, words, similar lists,
    columns, reports) and as Whoosh segments in whoosh_dir; returns the Whoosh segments, not yet listed.

    Paragraph ids in a segment count from 0; the index adds the paragraphs of the segments before it.
    """
    values = place_values(reports)
    columns = _columns(reports, values)
    paragraphs = [(report, p) for report in progress(reports, "indexing") for p in report.paragraphs]
    step = _chunk_step(len(paragraphs))
    # A chunk's stored fields are made when a worker is ready for it, not all at once.
    jobs = (
        ([_stored(r, p) for r, p in paragraphs[lo : lo + step]], lo, entries, whoosh_dir)
        for lo in range(0, len(paragraphs), step)
    )
    # Chunks are analysed (and their Whoosh segments written) in two processes: both cores work.
    with _pool_for(len(paragraphs) > step) as pool:
        analysed = list(pool.imap(analyse_chunk, jobs, chunksize=1) if pool else map(analyse_chunk, jobs))
    del paragraphs, jobs
    folder.mkdir(exist_ok=True)
    norm = [t for chunk in analysed for t in chunk[0]]
    duplicates.write_fingerprints(folder, reports, norm)
    grams, words, sketches, whoosh_segments = ([list(part) for part in zip(*analysed)][1:]) or ([], [], [], [])
    del analysed
    kinds = [p.kind for r in reports for p in r.paragraphs]

    def grams_and_words() -> None:
        NgramIndex.write_grams(folder, norm, grams)  # empties grams, so their arrays go once merged
        WordIndex.write(folder, words)
        words.clear()

    def phrases_and_similar() -> None:
        grams.clear()  # in a forked process, the postings it does not need are let go at once
        words.clear()
        write_phrases(folder, norm)
        similar.write(folder, sketches, kinds, columns["report"])

    if len(grams) > 1:
        _side_by_side(grams_and_words, phrases_and_similar)
    else:
        grams_and_words()
        phrases_and_similar()
    np.savez(folder / layout.COLUMNS, **columns)
    meta_reports, pid = [], 0
    for report in reports:
        meta_reports.append(ReportMeta.of(report, pid).to_json())
        pid += len(report.paragraphs)
    (folder / layout.REPORTS).write_text(json.dumps(meta_reports, ensure_ascii=False), encoding="utf-8")
    headings = [
        [[p.number, len(p.heading_path), p.text] for p in report.paragraphs if p.kind == "heading"]
        for report in reports
    ]
    (folder / layout.HEADINGS).write_text(json.dumps(headings, ensure_ascii=False), encoding="utf-8")
    (folder / layout.SEGMENT).write_text(json.dumps({"values": values}, ensure_ascii=False), encoding="utf-8")
    return whoosh_segments


def keep_source(store: Path, rel: str, document: Document) -> None:
    """Keep the bytes read of report file `rel` in the index folder's store, once per version
    (layout.source_key names it by its content hash): the download serves what was indexed."""
    target = store / layout.source_key(rel, recorded_hash(document.signature))
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}")
        partial.write_bytes(document.data)
        os.replace(partial, target)


def indexed_files(reports: Iterable[Report]) -> dict[str, list]:
    """meta.json's `files`: the version of each report file read (versions.signature)."""
    return {report.source: report.version for report in reports if report.version is not None}


#: The fields of a live report that meta.json lists, so an update reads no reports.json.
LIVE_FIELDS = ("dir",) + fields_for("live")


def live_entries(reports, folder: str, base: int) -> list[list]:
    """meta.json's rows (LIVE_FIELDS) for reports written as segment `folder` from paragraph id base."""
    rows, pid = [], base
    for r in reports:
        record = ReportMeta.of(r, pid)
        rows.append([folder, *(getattr(record, k) for k in LIVE_FIELDS[1:])])
        pid += len(r.paragraphs)
    return rows


def write_meta(
    gen: Path,
    *,
    signature: str | None,
    files: dict,
    extras: dict,
    segments: list[SegmentInfo],
    values: dict,
    places: dict,
    deleted_reports: list,
    live: list[list],
    reuse: tuple[Path, dict] | None = None,
    skipped: dict | None = None,
) -> None:
    """The generation's meta.json (layout.IndexMeta): fingerprints, segments, place names, live and
    removed reports, the duplicates among the live ones (duplicates.py), and the checksums of every
    file (integrity.record; `reuse` is passed to it). Written last, once every other file is."""
    rows = [(row[0], dict(zip(LIVE_FIELDS[1:], row[1:]))) for row in live]
    meta = layout.IndexMeta(
        segments=segments,
        files=files,
        extras=extras,
        signature=signature,
        values=values,
        places=places,
        sections=list(SECTIONS),
        deleted_reports=deleted_reports,
        live_fields=list(LIVE_FIELDS),
        live=live,
        generation=gen.name,
        checksums=integrity.record(gen, reuse),
        duplicates=duplicates.find_duplicates(gen, rows),
        skipped=skipped or {},
        built=time.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    layout.write_meta(gen, meta)


def extra_signatures(data_dir: Path) -> dict[str, list[int] | None]:
    """(size, modification time, change time) of the manifest and the user dictionary (None when
    absent): a change to either can touch every report, so an update then builds afresh."""
    out: dict[str, list[int] | None] = {}
    for name in (MANIFEST_NAME, USERDICT_NAME):
        try:
            st = (data_dir / name).stat()
            out[name] = [st.st_size, st.st_mtime_ns, st.st_ctime_ns]
        except FileNotFoundError:
            out[name] = None
    return out


def write_user_dict(gen: Path, entries: tuple[Entry, ...]) -> None:
    """Keep the words the index was segmented with, so queries are segmented alike."""
    lines = [" ".join(str(f) for f in entry if f is not None) for entry in entries]
    (gen / layout.USERDICT).write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _stored(report: Report, p) -> dict:
    """What Whoosh keeps of a paragraph (see whoosh_index.make_schema)."""
    return {
        **{name: getattr(report, name) or _EMPTY[name] for name in _WHOOSH_FIELDS},
        "paragraph": p.number,
        "section": p.section,
        "kind": p.kind,
        "heading": p.heading,
        "text": p.text,
    }


_WHOOSH_FIELDS = fields_for("whoosh")
#: What Whoosh keeps for a missing value (its `year` field is numeric).
_EMPTY = {name: 0 if name == "year" else "" for name in _WHOOSH_FIELDS}


def _columns(reports: list[Report], values: dict[str, list[str]]) -> dict[str, np.ndarray]:
    """Per-paragraph integer columns for filters and facets: report, year, section, level and places
    (indexes into the values of each place level: places.place_key)."""
    place_code = {key: {v: i for i, v in enumerate(vals)} for key, vals in values.items()}
    section_code = {k: i for i, k in enumerate(SECTIONS)}
    columns: dict[str, list[int]] = {k: [] for k in ("report", "year", "section", "level") + PLACE_KEYS}
    for ri, report in enumerate(reports):
        n = len(report.paragraphs)
        columns["report"] += [ri] * n
        columns["year"] += [report.year or 0] * n
        columns["level"] += [LEVELS.index(report.level)] * n
        columns["section"] += [section_code[p.section] for p in report.paragraphs]
        for key in PLACE_KEYS:
            columns[key] += [place_code[key][place_key(report, key)]] * n
    return {k: np.asarray(v, dtype=np.int32) for k, v in columns.items()}
