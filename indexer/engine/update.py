"""Incremental updates: the reports added, changed or removed since the live generation, as a new
segment and deletions, without reading or analysing the other reports again.

An update writes a new generation like a build does (the old one keeps serving until CURRENT
switches), but shares the unchanged files with it by hard links: the segments so far and the
Whoosh segments (source copies live in the index folder's store, shared by generations). Only the new and changed reports are read and
analysed, into a folder `delta-N` and Whoosh segments of their own; the paragraphs of
changed and removed reports are marked deleted (in meta.json and in Whoosh's table of
contents). Searching the result equals searching a full build of the folder
(tests/test_update.py). When the update segments hold more than a quarter of the
paragraphs, or there are more than MAX_SEGMENTS segments, the update says so, and a full
build merges them (the CLI runs it next; `make run` runs it in the background).
A change to the manifest or the user dictionary can touch every report: that is a full build.

A file counts as changed when its content hash differs from the one recorded (versions.py).
Only files whose size or times differ are hashed (or whose record says to check them), so an
update over 25,000 unchanged files stats them and reads none; a `touch` alone re-hashes the
file and records its new times, without reading it as a report. `rehash` hashes every file:
for a folder whose stat cannot be trusted (a network or FAT share that keeps no change time).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from indexer.documents.folder import FolderError, display_name, scan_folder, source_signature, stat_files
from indexer.documents.versions import hash_file, recorded_hash, same_stat, signature, stat_matches
from indexer.engine import duplicates, layout, similar, whoosh_index
from indexer.engine.build import (
    BuildError,
    BuildSummary,
    Progress,
    build,
    build_lock,
    check_apart,
    extra_signatures,
    generation_written,
    indexed_files,
    live_entries,
    load_user_dict,
    no_progress,
    prepare_index_dir,
    read_reports,
    write_meta,
    write_segment,
)
from indexer.engine.layout import IndexMeta, SegmentInfo, current_generation, switch_current
from indexer.engine.places import place_names, place_values

#: More update segments than this, or update segments over MERGE_SHARE of the paragraphs, call for a merge.
MAX_SEGMENTS = 8
MERGE_SHARE = 0.25


@dataclass
class UpdateSummary(BuildSummary):
    """What an update did: the files it added, replaced and removed, and whether it was a full build."""

    added: int = 0
    replaced: int = 0
    removed: int = 0
    full: bool = False
    merge: bool = False  # the segments call for a full build
    touched: int = 0  # files with new times but the contents indexed

    def line(self) -> str:
        if self.full:
            return super().line()
        if not (self.added or self.replaced or self.removed):
            if self.touched:
                files = "1 file" if self.touched == 1 else f"{self.touched} files"
                return f"index up to date; {files} touched, contents unchanged"
            return "index up to date; nothing to do"
        return (
            f"updated: {self.added} added, {self.replaced} replaced, {self.removed} removed "
            f"({self.paragraphs} paragraphs analysed); skipped {len(self.skipped)}"
        )


def update(
    data_dir: Path,
    index_dir: Path,
    progress: Progress = no_progress,
    on_wait: Callable[[], None] | None = None,
    rehash: bool = False,
) -> UpdateSummary:
    """Bring the index in index_dir up to date with data_dir, incrementally when it can;
    with rehash, compare the contents of every file, not only of those whose stat changed."""
    if not data_dir.is_dir():
        raise FileNotFoundError(f"report folder not found: {data_dir}")
    check_apart(data_dir, index_dir)
    prepare_index_dir(index_dir)
    summary = UpdateSummary()
    with build_lock(index_dir, on_wait):
        previous = current_generation(index_dir)
        meta = None if previous is None else layout.read_meta(previous)  # None: of another format, or damaged
        try:
            full = meta is None or meta.extras != extra_signatures(data_dir)
            if not full:
                full = not _apply(data_dir, index_dir, previous, meta, summary, progress, rehash)
        except FolderError as exc:
            raise BuildError(str(exc)) from None
    if full:
        done = build(data_dir, index_dir, progress)
        summary = UpdateSummary(**vars(done), full=True)
    return summary


def _apply(
    data_dir: Path,
    index_dir: Path,
    previous: Path,
    meta: IndexMeta,
    summary: UpdateSummary,
    progress: Progress,
    rehash: bool,
) -> bool:
    """Write the update as a new generation and make it live; False when only a full build will do."""
    scanned = scan_folder(data_dir, index_dir)
    on_disk = stat_files(data_dir, scanned[0])
    # The index knows files by their display names; the file-system names only read them.
    shown = {display_name(rel): rel for rel in on_disk}
    now = {display_name(rel): st for rel, st in on_disk.items()}
    old: dict[str, list] = meta.files
    suspects = [rel for rel, st in now.items() if rel in old and (rehash or not stat_matches(old[rel], st))]
    changed, rechecked = _compare_contents(data_dir, suspects, old, now, shown)
    # new times to record (a file only checked because its record said so is left as it is)
    touched = {rel for rel, sig in rechecked.items() if sig[:2] != old[rel][:2] or old[rel][2] not in (None, sig[2])}
    # a file skipped before and unchanged since is not read again (it would fail the same way)
    still = {rel: rec for rel, rec in meta.skipped.items() if rel in now and stat_matches(rec, now[rel]) and not rehash}
    summary.skipped.extend((rel, rec[3]) for rel, rec in still.items())
    summary.skipped_files.update(still)
    added = {rel for rel in now if rel not in old and rel not in still}
    removed = {rel for rel in old if rel not in now}
    if not (changed or added or removed or touched):
        return True
    live = meta.live_reports()
    gone = [(folder, r) for folder, r in live if r["source"] in changed | removed]
    kept_ids = {r["report_id"] for folder, r in live if r["source"] not in changed | removed}
    entries = load_user_dict(data_dir, summary)
    reports = read_reports(
        data_dir, summary, progress, only={shown[n] for n in changed | added}, scanned=scanned, index_dir=index_dir
    )
    ids = [r.report_id for r in reports]
    if len(set(ids)) != len(ids) or any(i in kept_ids for i in ids):
        return False  # an id shared with another file: a full build numbers them in its reading order
    with generation_written(index_dir) as gen:
        _link_tree(previous, gen)
        segments = list(meta.segments)
        name = f"delta-{1 + sum(1 for s in segments if s.update)}"
        whoosh_dir = gen / layout.WHOOSH
        deleted = [list(d) for d in meta.deleted_reports] + [[folder, r["report_id"]] for folder, r in gone]
        new_segments = write_segment(reports, gen / name, entries, whoosh_dir, progress) if reports else []
        deleted_docs = [pid for _, r in gone for pid in range(r["first_pid"], r["first_pid"] + r["paragraphs"])]
        whoosh_index.commit_with_deletions(whoosh_dir, deleted_docs, new_segments)
        if reports:
            segments.append(
                SegmentInfo(name, paragraphs=sum(len(r.paragraphs) for r in reports), reports=len(reports), update=True)
            )
            _link_similar(gen, segments, [r for _, r in live if r["source"] not in changed | removed])
        files_meta = {rel: sig for rel, sig in old.items() if rel not in changed | removed}
        files_meta.update(rechecked)
        files_meta.update(indexed_files(reports))
        remaining = [r for _, r in live if r["source"] not in changed | removed]
        _unlink(gen / layout.META)
        write_meta(
            gen,
            signature=source_signature(data_dir, stats=on_disk),
            files=files_meta,
            extras=meta.extras,
            segments=segments,
            values=place_values(remaining + reports),
            places=place_names(remaining + reports),
            deleted_reports=deleted,
            live=[row for row in meta.live if row[2] not in changed | removed]
            + live_entries(reports, name, sum(s.paragraphs for s in segments[:-1]) if reports else 0),
            reuse=(previous, meta.checksums),
            skipped=summary.skipped_files,
        )
        switch_current(index_dir, gen)
    summary.duplicates = duplicates.duplicate_lines(layout.read_meta(gen), meta)
    layout.remove_old_generations(
        index_dir, keep={gen.name, previous.name}, sweep=False, known={gen.name: files_meta, previous.name: old}
    )
    summary.added, summary.replaced, summary.removed = len(added), len(changed), len(removed)
    summary.touched = len(touched)
    summary.reports = len(reports)
    summary.paragraphs = sum(len(r.paragraphs) for r in reports)
    summary.repairs = sum(r.repairs for r in reports)
    total = sum(s.paragraphs for s in segments)
    updates = [s.paragraphs for s in segments if s.update]
    summary.merge = len(updates) > MAX_SEGMENTS or sum(updates) > MERGE_SHARE * max(total, 1)
    return True


def _link_similar(gen: Path, segments: list[SegmentInfo], remaining: list[dict]) -> None:
    """List the similar pairs between the new (last) segment and the live paragraphs before it."""
    bases = np.cumsum([0] + [s.paragraphs for s in segments[:-1]]).astype(np.int64)
    live = np.ones(int(bases[-1]) + segments[-1].paragraphs, bool)
    live[: int(bases[-1])] = False
    for r in remaining:  # first_pid is global
        live[r["first_pid"] : r["first_pid"] + r["paragraphs"]] = True
    similar.link([gen / s.dir for s in segments], bases, live)


def _compare_contents(
    data_dir: Path, names: list[str], old: dict, now: dict, shown: dict[str, str]
) -> tuple[set[str], dict[str, list]]:
    """Of the files named (display names; `shown` gives each one's name on disk), those whose content
    differs from the version recorded (a size that differs says so without reading), and the new
    record of each of the others."""
    changed: set[str] = set()
    same: dict[str, list] = {}
    for rel in names:
        if now[rel].st_size != old[rel][0]:
            changed.add(rel)
            continue
        try:
            st, digest = hash_file(data_dir / shown[rel])
        except OSError:
            changed.add(rel)  # reading it as a report says what is wrong
            continue
        if digest != recorded_hash(old[rel]):
            changed.add(rel)
        else:
            same[rel] = signature(st, digest, steady=same_stat(st, now[rel]))
    return changed, same


def _link_tree(source: Path, target: Path) -> None:
    """Hard-link every file of source into target (an empty folder), keeping the tree."""
    for folder, _dirs, names in os.walk(source):
        here = target / Path(folder).relative_to(source)
        here.mkdir(exist_ok=True)
        for name in names:
            if name != layout.GENERATION_MARK:  # the new generation has its own
                os.link(Path(folder) / name, here / name)


def _unlink(path: Path) -> None:
    """Remove a (shared) file before writing it anew, so the previous generation keeps its own."""
    try:
        path.unlink()
    except FileNotFoundError:
        pass
