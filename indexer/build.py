"""Build the index from a folder of reports, replacing the live one only when the build succeeds.

An index folder holds generations (`gen-*`) and a CURRENT file naming the live
one. A build writes a new generation beside the old and switches CURRENT with an
atomic rename, so a failed or interrupted build leaves the old index serving.
Builds into one folder take turns: each holds an exclusive lock on `.build.lock`
while it writes, so clean-up only ever removes generations nobody is writing.
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
from whoosh import index as whoosh_index
from whoosh.fields import ID, NUMERIC, STORED, Schema

from . import similar
from .analysis import USERDICT_NAME, Entry, UserDictError, read_user_dict, segmenter_for
from .facets import PLACE_KEYS
from .grams import NgramIndex, chunk_grams
from .ingest import IngestError
from .metadata import MANIFEST_NAME, load_manifest
from .normalize import normalize
from .ranking import WordIndex, chunk_words
from .report import Report, parse_report
from .sections import SECTIONS

FORMAT_VERSION = 8
CURRENT = "CURRENT"
LOCK_NAME = ".build.lock"


class BuildError(Exception):
    """A build that cannot start or finish, told in one line; the live index is unchanged."""


def make_schema() -> Schema:
    """The Whoosh schema: the stored paragraphs and their metadata, the index of record.

    Matching (grams.py) and BM25 over jieba words (ranking.py) read arrays built beside it.
    """
    return Schema(
        pid=STORED,
        report_id=ID(stored=True),
        source=STORED,
        paragraph=STORED,
        township=ID(stored=True),
        county=ID(stored=True),
        year=NUMERIC(stored=True, bits=32, shift_step=32),
        section=ID(stored=True),
        kind=ID(stored=True),
        heading=STORED,
        text=STORED,
    )


@dataclass
class BuildSummary:
    """What a build did."""

    reports: int = 0
    paragraphs: int = 0
    repairs: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    generation: Path | None = None

    def line(self) -> str:
        return (f"indexed {self.reports} reports, {self.paragraphs} paragraphs "
                f"({self.repairs} page breaks repaired); skipped {len(self.skipped)}")


def report_files(data_dir: Path) -> list[Path]:
    """Every candidate report file under data_dir, in a stable order (see scan_folder)."""
    return scan_folder(data_dir)[0]


def scan_folder(data_dir: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """Report files under data_dir, and the entries passed over with the reason for each.

    Hidden entries, the manifest and the user dictionary are not reports. A link whose
    target lies outside data_dir, a link to a folder and a folder that cannot be read
    are named, never followed.
    """
    root = data_dir.resolve()
    files: list[Path] = []
    passed: list[tuple[str, str]] = []

    def unreadable(exc: OSError) -> None:
        rel = Path(exc.filename).relative_to(data_dir).as_posix() if exc.filename else "."
        if rel == ".":
            raise BuildError(f"cannot read the report folder {data_dir}: {exc.strerror or exc}")
        passed.append((rel, f"folder cannot be read: {exc.strerror or exc}"))

    for folder, dirs, names in os.walk(data_dir, onerror=unreadable):
        here = Path(folder)
        for name in sorted(dirs):
            path = here / name
            if name.startswith("."):
                dirs.remove(name)
            elif path.is_symlink():
                reason = "link to a folder is not followed" if _inside(path, root) \
                    else f"link points outside {data_dir}"
                passed.append((path.relative_to(data_dir).as_posix(), reason))
        dirs.sort()
        for name in names:
            path = here / name
            rel = path.relative_to(data_dir).as_posix()
            if name.startswith(".") or rel in (MANIFEST_NAME, USERDICT_NAME):
                continue
            if path.is_symlink() and not _inside(path, root):
                passed.append((rel, f"link points outside {data_dir}"))
            elif path.is_file():
                files.append(path)
            elif path.is_symlink():
                passed.append((rel, "link points to nothing"))
    files.sort()
    passed.sort()
    return files, passed


def _inside(path: Path, root: Path) -> bool:
    try:
        target = path.resolve()
    except (OSError, RuntimeError):  # a loop of links
        return False
    return target == root or root in target.parents


Progress = Callable[[Iterable, str], Iterable]


def _no_progress(items: Iterable, desc: str) -> Iterable:
    return items


def read_reports(data_dir: Path, summary: BuildSummary, progress: Progress = _no_progress) -> list[Report]:
    """Parse every report under data_dir; bad files are recorded in the summary and skipped."""
    manifest = load_manifest(data_dir)
    files, passed = scan_folder(data_dir)
    summary.skipped.extend(passed)
    reports: list[Report] = []
    ids: set[str] = set()
    known = {p.relative_to(data_dir).as_posix() for p in files}
    for name in manifest:
        if name not in known:
            summary.warnings.append((MANIFEST_NAME, f"names {name!r}, which is not in {data_dir}"))
    for path in progress(files, "reading"):
        rel = path.relative_to(data_dir).as_posix()
        try:
            report = parse_report(path, manifest.get(rel))
        except IngestError as exc:
            summary.skipped.append((rel, str(exc)))
            continue
        report.source = rel
        report_id = report.report_id
        n = 2
        while report.report_id in ids:
            report.report_id = f"{report_id}-{n}"
            n += 1
        ids.add(report.report_id)
        for warning in report.warnings:
            summary.warnings.append((rel, f"{warning}; set it in {MANIFEST_NAME}"))
        reports.append(report)
    return reports


def source_signature(data_dir: Path) -> str:
    """A fingerprint of the report files (names, sizes, times), the manifest and the user dictionary."""
    digest = hashlib.sha1()
    extras = [data_dir / MANIFEST_NAME, data_dir / USERDICT_NAME]
    files = report_files(data_dir) + [p for p in extras if p.exists()]
    for path in files:
        st = path.stat()
        digest.update(f"{path.relative_to(data_dir).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def is_stale(data_dir: Path, index_dir: Path) -> bool:
    """True when index_dir has no index, or one built from other versions of the report files."""
    gen = current_generation(index_dir)
    if gen is None:
        return True
    try:
        meta = json.loads((gen / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True
    return meta.get("format") != FORMAT_VERSION or meta.get("signature") != source_signature(data_dir)


def build(data_dir: Path, index_dir: Path, progress: Progress = _no_progress,
          on_wait: Callable[[], None] | None = None) -> BuildSummary:
    """Read data_dir and build a new index generation in index_dir; returns what happened.

    on_wait is called when another build of index_dir is running and this one waits for it.
    """
    if not data_dir.is_dir():
        raise FileNotFoundError(f"report folder not found: {data_dir}")
    prepare_index_dir(index_dir)
    summary = BuildSummary()
    signature = source_signature(data_dir)
    entries = load_user_dict(data_dir, summary)
    reports = read_reports(data_dir, summary, progress)
    summary.generation = build_index(reports, index_dir, data_dir, signature, progress, entries, on_wait)
    summary.reports = len(reports)
    summary.paragraphs = sum(len(r.paragraphs) for r in reports)
    summary.repairs = sum(r.repairs for r in reports)
    return summary


def load_user_dict(data_dir: Path, summary: BuildSummary) -> tuple[Entry, ...]:
    """The user dictionary's words; bad lines (or an unreadable file) become warnings."""
    try:
        entries, problems = read_user_dict(data_dir / USERDICT_NAME)
    except UserDictError as exc:
        summary.warnings.append((USERDICT_NAME, f"{exc}; not used"))
        return ()
    summary.warnings.extend((USERDICT_NAME, problem) for problem in problems)
    return entries


def build_index(reports: list[Report], index_dir: Path, data_dir: Path | None = None,
                signature: str | None = None, progress: Progress = _no_progress,
                entries: tuple[Entry, ...] = (), on_wait: Callable[[], None] | None = None) -> Path:
    """Write reports as a new generation in index_dir and make it live; returns its folder."""
    prepare_index_dir(index_dir)
    with build_lock(index_dir, on_wait):
        previous = current_generation(index_dir)
        try:
            gen = Path(tempfile.mkdtemp(prefix="gen-" + time.strftime("%Y%m%dT%H%M%S-"), dir=index_dir))
        except OSError as exc:
            raise BuildError(f"cannot write to the index folder {index_dir}: {exc.strerror or exc}") from None
        try:
            _write_generation(reports, gen, data_dir, signature, progress, entries)
            _switch_current(index_dir, gen)
        except BaseException as exc:
            shutil.rmtree(gen, ignore_errors=True)
            if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):
                raise BuildError(f"cannot write the index in {index_dir}: {exc.strerror or exc}; "
                                 "the previous index is unchanged") from None
            raise
        # Keep the previous generation: a running server may still be reading it. Holding the
        # lock, any other generation is the remains of a build that died: nobody is writing it.
        _remove_old_generations(index_dir, keep={gen.name} | ({previous.name} if previous else set()))
    return gen


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


#: Paragraphs per unit of work for the analysis processes.
CHUNK = 20_000


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


def analyse_chunk(job: tuple[list[str], int, tuple[Entry, ...]]):
    """Normalised texts, gram postings, word postings and similarity sketches of one chunk of paragraphs."""
    texts, first, entries = job
    norm = [normalize(t) for t in texts]
    return norm, chunk_grams(norm, first), chunk_words(norm, first, segmenter_for(entries)), similar.sketch(norm)


def _write_generation(reports: list[Report], gen: Path, data_dir: Path | None, signature: str | None,
                      progress: Progress, entries: tuple[Entry, ...]) -> None:
    values = {key: sorted({getattr(r, key) or "" for r in reports}) for key in PLACE_KEYS}
    place_code = {key: {v: i for i, v in enumerate(vals)} for key, vals in values.items()}
    section_keys = list(SECTIONS)
    section_code = {k: i for i, k in enumerate(section_keys)}
    texts = [p.text for r in reports for p in r.paragraphs]
    jobs = [(texts[lo:lo + CHUNK], lo, entries) for lo in range(0, len(texts), CHUNK)]
    # Analysis runs in a second process while this one writes Whoosh: both cores work.
    pool = None
    if len(jobs) > 1:
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            pool = multiprocessing.get_context("fork").Pool(2, _quiet_worker)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    try:
        pending = pool.map_async(analyse_chunk, jobs, chunksize=1) if pool else None
        columns = _write_whoosh(progress(reports, "indexing"), gen, place_code, section_code)
        analysed = pending.get() if pool else [analyse_chunk(job) for job in jobs]
    finally:
        if pool:
            pool.terminate()
    norm = [t for chunk in analysed for t in chunk[0]]
    NgramIndex.write(gen, norm, [chunk[1] for chunk in analysed])
    WordIndex.write(gen, [chunk[2] for chunk in analysed])
    similar.write(gen, [chunk[3] for chunk in analysed], [p.kind for r in reports for p in r.paragraphs],
                  columns["report"])
    np.savez(gen / "paragraphs.npz", **columns)
    meta_reports = []
    pid = 0
    for report in reports:
        meta_reports.append({
            "report_id": report.report_id, "source": report.source, "township": report.township,
            "county": report.county, "prefecture": report.prefecture, "province": report.province,
            "code": report.code, "year": report.year, "date": report.date, "title": report.title,
            "sources": report.sources, "warnings": report.warnings,
            "paragraphs": len(report.paragraphs), "first_pid": pid, "repairs": report.repairs,
            "headings": [[p.number, len(p.heading_path), p.text] for p in report.paragraphs
                         if p.kind == "heading"],
        })
        pid += len(report.paragraphs)
        if data_dir is not None:
            target = gen / "sources" / report.source
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(data_dir / report.source, target)
    write_user_dict(gen, entries)
    (gen / "reports.json").write_text(json.dumps(meta_reports, ensure_ascii=False), encoding="utf-8")
    (gen / "meta.json").write_text(json.dumps({
        "format": FORMAT_VERSION, "built": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "reports": len(reports), "paragraphs": pid, "signature": signature,
        "values": values, "sections": section_keys,
    }, ensure_ascii=False), encoding="utf-8")


def write_user_dict(gen: Path, entries: tuple[Entry, ...]) -> None:
    """Keep the words the index was segmented with, so queries are segmented alike."""
    lines = [" ".join(str(f) for f in entry if f is not None) for entry in entries]
    (gen / USERDICT_NAME).write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _write_whoosh(reports: Iterable[Report], gen: Path, place_code: dict, section_code: dict) -> dict:
    """Write the stored paragraphs to Whoosh; return the per-paragraph columns for filters."""
    (gen / "whoosh").mkdir()
    ix = whoosh_index.create_in(str(gen / "whoosh"), make_schema())
    writer = ix.writer(limitmb=256)
    columns: dict[str, list[int]] = {k: [] for k in ("report", "paragraph", "year", "section") + PLACE_KEYS}
    pid = 0
    for ri, report in enumerate(reports):
        for p in report.paragraphs:
            writer.add_document(
                pid=pid, report_id=report.report_id, source=report.source, paragraph=p.number,
                township=report.township or "", county=report.county or "", year=report.year or 0,
                section=p.section, kind=p.kind, heading=p.heading, text=p.text,
            )
            columns["report"].append(ri)
            columns["paragraph"].append(p.number)
            columns["year"].append(report.year or 0)
            columns["section"].append(section_code[p.section])
            for key in PLACE_KEYS:
                columns[key].append(place_code[key][getattr(report, key) or ""])
            pid += 1
    writer.commit()
    return {k: np.asarray(v, dtype=np.int32) for k, v in columns.items()}


def _switch_current(index_dir: Path, gen: Path) -> None:
    tmp = index_dir / f".{CURRENT}.{os.getpid()}"
    tmp.write_text(gen.name + "\n", encoding="utf-8")
    os.replace(tmp, index_dir / CURRENT)


def _remove_old_generations(index_dir: Path, keep: set[str]) -> None:
    for old in index_dir.glob("gen-*"):
        if old.is_dir() and old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def current_generation(index_dir: Path) -> Path | None:
    """The live generation folder of an index, or None if there is none."""
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    gen = index_dir / name
    return gen if name and gen.is_dir() else None
