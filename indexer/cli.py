"""Command line: python -m indexer build | search | reports."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

from .build import BuildError, build
from .ingest import IngestError, decode_bytes
from .facets import PLACE_FACETS, REPORT_FIELDS
from .metadata import MANIFEST_FIELDS, MANIFEST_NAME, ManifestError
from .query import QueryError, parse_query
from .search import (MAX_LIMIT, SORTS, FilterError, Filters, IndexNotFound, ReportIndex,
                     highlight_spans, parse_year_range)
from .sections import SECTIONS
from .snippets import fragments, snippet

DEFAULT_DATA = Path("data/reports")
DEFAULT_INDEX = Path("data/index")
PROGRESS_MIN_FILES = 50


class CliError(Exception):
    """An error shown as one line on stderr."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        raise CliError(f"{message} (see: python -m indexer {self.prog.split()[-1]} --help)")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m indexer", description="Index and search township reports.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    b = sub.add_parser("build", help="index the report files in a folder")
    b.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of report files")
    b.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder to write")

    s = sub.add_parser("search", help="find every paragraph that contains a query")
    s.add_argument("query", nargs="?", help="the query (see README: matching rules)")
    s.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    for facet in PLACE_FACETS:
        s.add_argument(f"--{facet.key}", nargs="+", action="extend", default=[], metavar="NAME",
                       help=f"only reports of these {facet.key} names")
    s.add_argument("--year", default="", help="a year (2023) or a range (2022-2024)")
    s.add_argument("--section", nargs="+", action="extend", default=[], choices=list(SECTIONS),
                   metavar="KEY", help=f"one of: {', '.join(SECTIONS)}")
    s.add_argument("--sort", default="relevance", choices=list(SORTS))
    g = s.add_mutually_exclusive_group()
    g.add_argument("--limit", type=int, default=20, help="hits to show (default 20)")
    g.add_argument("--all", action="store_true", help="show every hit")
    s.add_argument("--json", action="store_true", help="one JSON object per hit per line")
    s.add_argument("--batch", type=Path, metavar="FILE", help="run each line of FILE as a query")

    r = sub.add_parser("reports", help="list the indexed reports")
    r.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    r.add_argument("--json", action="store_true", help="one JSON object per report, with the source of each value")
    r.add_argument("--check", action="store_true",
                   help="list the reports with a missing or doubtful field and how to settle each in manifest.toml")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = make_parser().parse_args(argv)
        return {"build": cmd_build, "search": cmd_search, "reports": cmd_reports}[args.command](args)
    except (CliError, BuildError, IndexNotFound, QueryError, FilterError, ManifestError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; the index is unchanged", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `search … | head`: stop quietly, and keep the exit flush quiet too
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        print(f"error: cannot use{where}: {exc.strerror or exc}", file=sys.stderr)
        return 2


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _progress(items, desc: str):
    """A progress bar on stderr for folders of PROGRESS_MIN_FILES files or more."""
    items = list(items)
    if len(items) < PROGRESS_MIN_FILES:
        return items
    from tqdm import tqdm
    return tqdm(items, unit="report", desc=desc, file=sys.stderr)


def cmd_build(args) -> int:
    signal.signal(signal.SIGTERM, _interrupt)  # a killed build cleans up like Ctrl-C

    def waiting():
        print(f"another build of {args.index} is running; waiting for it to finish", file=sys.stderr, flush=True)

    summary = build(args.data, args.index, progress=_progress, on_wait=waiting)
    for name, reason in summary.warnings:
        print(f"warning: {name}: {reason}", file=sys.stderr)
    for name, reason in summary.skipped:
        print(f"skipped: {name}: {reason}", file=sys.stderr)
    print(f"{summary.line()} -> {args.index}")
    return 1 if summary.skipped else 0


def _read_batch(path: Path) -> list[str]:
    try:
        text = decode_bytes(path.read_bytes())
    except OSError as exc:
        raise CliError(f"cannot read batch file {path}: {exc.strerror}") from None
    except IngestError as exc:
        raise CliError(f"batch file {path}: {exc}") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def cmd_search(args) -> int:
    if args.batch is None and not args.query:
        raise CliError("give a QUERY or --batch FILE")
    if args.limit is not None and not 1 <= args.limit <= MAX_LIMIT:
        raise CliError(f"--limit must be between 1 and {MAX_LIMIT}; use --all for every hit")
    year_from, year_to = parse_year_range(args.year)
    filters = Filters(year_from=year_from, year_to=year_to, sections=tuple(args.section),
                      **{f.plural: tuple(getattr(args, f.key)) for f in PLACE_FACETS})
    index = ReportIndex.open(args.index)
    for facet in PLACE_FACETS:
        unknown = [t for t in filters.places(facet) if t not in index.value_code[facet.key]]
        if unknown:
            raise CliError(f"no report from {facet.key} {unknown[0]!r}; see: python -m indexer reports")
    queries = _read_batch(args.batch) if args.batch else []
    if args.query:
        queries.insert(0, args.query)
    status = 0
    for text in queries:
        try:
            query = parse_query(text)
        except QueryError as exc:
            print(f"error: {text[:40]!r}: {exc}", file=sys.stderr)
            status = 2
            continue
        result = index.search(query, filters, sort=args.sort, limit=None if args.all else args.limit,
                              facets=False)
        if args.json:
            for hit in result.hits:
                print(json.dumps(hit.to_json(text), ensure_ascii=False))
        else:
            _print_result(result, color=sys.stdout.isatty())
    return status


def _print_result(result, color: bool) -> None:
    query = result.query
    if result.notice:
        print(f"{query.text}: {result.notice}")
        return
    shown = len(result.hits)
    more = f", showing {shown} (use --all for every hit)" if shown < result.total else ""
    print(f"{result.total} paragraphs match {query.text}{more}")
    on, off = ("\x1b[1;31m", "\x1b[0m") if color else ("【", "】")
    for i, hit in enumerate(result.hits, 1):
        where = " · ".join(x for x in (hit.township + (f"（{hit.county}）" if hit.county else ""),
                                       str(hit.year or "年份未知"), hit.section_name, hit.heading) if x)
        text, spans = snippet(hit.text, highlight_spans(hit.text, query), width=60)
        marked = "".join(f"{on}{p}{off}" if m else p for p, m in fragments(text, spans))
        print(f"[{i}] {where}\n    {hit.source} ¶{hit.paragraph}  {hit.url}\n    {marked}")


def cmd_reports(args) -> int:
    index = ReportIndex.open(args.index)
    if args.check:
        return _check_reports(index.reports)
    for r in index.reports:
        if args.json:
            print(json.dumps({k: r.get(k) for k in REPORT_FIELDS}, ensure_ascii=False))
        else:
            row = [r.get(k) for k in ("report_id", "source", "province", "prefecture", "county", "township",
                                       "year", "date", "title", "paragraphs")]
            print("\t".join("" if v is None else str(v) for v in row))
    return 0


def _check_reports(reports: list[dict]) -> int:
    """Print each report with a missing or doubtful field, and the manifest entry that settles it."""
    doubtful = [r for r in reports if r.get("warnings")]
    for r in doubtful:
        print(f"{r['source']}:")
        for warning in r["warnings"]:
            print(f"  {warning}")
        fields = sorted({w.split(":", 1)[0].split()[0] for w in r["warnings"]} & set(MANIFEST_FIELDS))
        print(f"  settle it in {MANIFEST_NAME}:")
        print(f'    [files."{r["source"]}"]')
        for name in fields:
            value = r.get(name)
            print(f"    {name} = {json.dumps(value, ensure_ascii=False) if value else '…'}")
    print(f"{len(doubtful)} of {len(reports)} reports have a missing or doubtful field")
    return 1 if doubtful else 0
