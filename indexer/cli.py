"""Command line: python -m indexer build | update | search | reports | similar | reuse | keyterms | cite | verify."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import signal
import sys
from pathlib import Path

from indexer.console import escaped, print_problems, progress_bar
from indexer.documents import ocr_cache
from indexer.documents.ingest import IngestError, decode_bytes
from indexer.documents.levels import LEVELS, TOWNSHIP_LEVEL, UNSETTLED
from indexer.documents.metadata import MANIFEST_NAME, ManifestError, manifest_entry
from indexer.documents.report import fields_for
from indexer.documents.sections import SECTIONS
from indexer.engine import cluster, integrity
from indexer.engine.build import BuildError, build
from indexer.engine.errors import REBUILD
from indexer.engine.facets import PLACE_FACETS, PLACE_KEYS, REPORT_FIELDS
from indexer.engine.filters import FilterError, Filters, parse_year_range
from indexer.engine.query import QueryError, parse_query, parse_scope
from indexer.engine.ranking import SORTS
from indexer.engine.search import MAX_LIMIT, IndexNotFound, ReportIndex, highlight_spans
from indexer.engine.update import update
from indexer.research.citation import citation
from indexer.research.keyterms import (
    DEFAULT_MIN_FREQ,
    DEFAULT_TERMS,
    MAX_TERMS,
    key_terms,
    keyterms_body,
    parse_stop_words,
    selection,
)
from indexer.research.reuse import corpus_reuse
from indexer.research.similar import UnknownParagraph
from indexer.text.snippets import fragments, snippet
from search_app.bodies import hit_body, pair_body, similar_body
from search_app.urls import report_url

PROG = "python -m indexer"
DEFAULT_DATA = Path("data/reports")
DEFAULT_INDEX = Path("data/index")
#: The options of `search` that take several words: NAME [NAME ...], repeatable, commas allowed.
LIST_OPTIONS = (*PLACE_KEYS, "section", "level")
NAME_SEPARATORS = re.compile("[,，、]")
#: The columns of `reports` (plain and --csv), in this order.
REPORT_COLUMNS = fields_for("column")


OCR_CACHE_HELP = "folder of the OCR cache (default: $OCR_CACHE, else ocr-cache beside the index folder)"
SCHEDULER_HELP = "read the files (decoding, PDF layout, OCR) on the Dask cluster of this scheduler"


class CliError(Exception):
    """An error shown as one line on stderr."""


def usage_error(message: str, prog: str = PROG) -> CliError:
    """An error that points to the --help of prog (the program, or `python -m indexer COMMAND`)."""
    return CliError(f"{message} (see: {prog} --help)")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        raise usage_error(message, self.prog)


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Index and search township reports.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    b = sub.add_parser("build", help="index the report files in a folder")
    b.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of report files")
    b.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder to write")
    b.add_argument("--ocr-cache", type=Path, help=OCR_CACHE_HELP)
    b.add_argument("--scheduler", metavar="tcp://HOST:8786", help=SCHEDULER_HELP)

    u = sub.add_parser("update", help="apply the files added, changed or removed since the last build or update")
    u.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of report files")
    u.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder to update")
    u.add_argument("--ocr-cache", type=Path, help=OCR_CACHE_HELP)
    u.add_argument("--scheduler", metavar="tcp://HOST:8786", help=SCHEDULER_HELP)
    u.add_argument(
        "--rehash",
        action="store_true",
        help="compare every file's contents, not only those whose size or times changed (slower)",
    )

    s = sub.add_parser("search", help="find every paragraph that contains a query")
    s.add_argument("query", nargs="?", help="the query (see README: matching rules)")
    s.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    for facet in PLACE_FACETS:
        s.add_argument(
            f"--{facet.key}",
            nargs="+",
            action="append",
            default=[],
            metavar="PLACE",
            help=f"only reports of these {facet.key}s: division codes (exact), names (a name several "
            f"places share chooses them all) or 未定 (unsettled); A B, A,B or the option twice",
        )
    s.add_argument(
        "--level",
        nargs="+",
        action="append",
        default=[],
        metavar="LEVEL",
        help=f"only reports of these levels: {', '.join(LEVELS)}",
    )
    s.add_argument("--year", default="", help="a year (2023) or a range (2022-2024)")
    s.add_argument(
        "--section",
        nargs="+",
        action="append",
        default=[],
        metavar="KEY",
        help=f"one or more of: {', '.join(SECTIONS)}",
    )
    s.add_argument("--sort", default="relevance", choices=list(SORTS))
    s.add_argument(
        "-w",
        "--whole-words",
        action="store_true",
        help="match terms as whole jieba words (法治 in 法治建设, not in 执法治理)",
    )
    s.add_argument(
        "--near",
        default="",
        metavar="SCOPE",
        help="where spaced terms must meet: p (paragraph, the default), s (one sentence) or N characters (1-200)",
    )
    g = s.add_mutually_exclusive_group()
    g.add_argument("--limit", type=int, default=20, help="hits to show (default 20)")
    g.add_argument("--all", action="store_true", help="show every hit")
    s.add_argument("--json", action="store_true", help="one JSON object per hit per line")
    s.add_argument("--batch", type=Path, metavar="FILE", help="run each line of FILE as a query")

    r = sub.add_parser("reports", help="list the indexed reports")
    r.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    f = r.add_mutually_exclusive_group()
    f.add_argument("--json", action="store_true", help="one JSON object per report, with the source of each value")
    f.add_argument("--csv", action="store_true", help="CSV (UTF-8) with a header row, the columns of the plain list")
    f.add_argument(
        "--check",
        action="store_true",
        help="list the reports with a missing or doubtful field and how to settle each in manifest.toml",
    )

    m = sub.add_parser("similar", help="list the paragraphs of other reports that share most of a paragraph's text")
    m.add_argument("report_id", metavar="REPORT_ID", help="a report id (see: reports)")
    m.add_argument("paragraph", metavar="PARAGRAPH", type=int, help="the paragraph number (¶) in that report")
    m.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    m.add_argument("--json", action="store_true", help="one JSON object, as /api/similar returns")

    k = sub.add_parser(
        "keyterms", help="the words a report, township, county or query's paragraphs use more than the rest"
    )
    which = k.add_mutually_exclusive_group(required=True)
    which.add_argument("--report", metavar="REPORT_ID", help="a report id (see: reports)")
    which.add_argument("--township", metavar="NAME", help="a township name, as in: reports")
    which.add_argument("--county", metavar="NAME", help="a county name, as in: reports")
    which.add_argument("--query", metavar="QUERY", help="the paragraphs that match a query")
    k.add_argument("--year", default="", help="with --township, --county or --query: a year or range, e.g. 2023")
    k.add_argument(
        "-n",
        type=int,
        default=DEFAULT_TERMS,
        metavar="N",
        help=f"how many terms (1–{MAX_TERMS}, default {DEFAULT_TERMS})",
    )
    k.add_argument("--min-freq", type=int, default=DEFAULT_MIN_FREQ, help="in at least this many paragraphs")
    k.add_argument("--stop", default="", help="more words to leave out, separated by commas or spaces")
    k.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    k.add_argument("--json", action="store_true", help="one JSON object, as /api/keyterms returns")
    k.add_argument(
        "--with-duplicates",
        action="store_true",
        help="count duplicate copies of a report too (counted once by default)",
    )

    ru = sub.add_parser(
        "reuse", help="pairs of reports that share paragraphs, the likely copy's share first (or one report's)"
    )
    ru.add_argument(
        "--report", metavar="REPORT_ID", help="only this report's pairs, and its share of text found earlier"
    )
    ru.add_argument("--min-share", type=int, default=0, metavar="PERCENT", help="only pairs with at least this share")
    ru.add_argument("--limit", type=int, default=50, help="how many pairs (default 50; 0 for all)")
    ru.add_argument(
        "--with-duplicates", action="store_true", help="let duplicate copies of a report share text too (as dups=1)"
    )
    ru.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    ru.add_argument("--json", action="store_true", help="one JSON object, as /api/reuse returns")

    c = sub.add_parser("cite", help="print a report's or a paragraph's citation (GB/T 7714) and its source URL")
    c.add_argument("report_id", metavar="REPORT_ID", help="a report id (see: reports)")
    c.add_argument("paragraph", metavar="PARAGRAPH", type=int, nargs="?", help="a paragraph number (¶), to cite it")
    c.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    c.add_argument("--json", action="store_true", help="one JSON object: report_id, paragraph, url, citation")

    v = sub.add_parser("verify", help="check every file of the index against its checksum (exit 1 when damaged)")
    v.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    return parser


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The parsed command line; a word nobody takes is an error that names the command's --help."""
    args, extras = make_parser().parse_known_args(argv)
    if extras:
        raise usage_error(f"unrecognized arguments: {' '.join(extras)}", f"{PROG} {args.command}")
    return args


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(argv)
        return {
            "build": cmd_build,
            "update": cmd_update,
            "search": cmd_search,
            "reports": cmd_reports,
            "similar": cmd_similar,
            "keyterms": cmd_keyterms,
            "reuse": cmd_reuse,
            "cite": cmd_cite,
            "verify": cmd_verify,
        }[args.command](args)
    except (
        CliError,
        BuildError,
        IndexNotFound,
        QueryError,
        FilterError,
        ManifestError,
        FileNotFoundError,
        UnknownParagraph,
    ) as exc:
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


def _use_ocr_cache(args) -> None:
    """--ocr-cache and --scheduler, for the reading (ocr_cache.folder_for and cluster.scheduler
    read them from the environment)."""
    if args.ocr_cache is not None:
        os.environ[ocr_cache.ENV] = str(args.ocr_cache.absolute())
    if args.scheduler:
        os.environ[cluster.ENV] = args.scheduler


def cmd_build(args) -> int:
    signal.signal(signal.SIGTERM, _interrupt)  # a killed build cleans up like Ctrl-C
    _use_ocr_cache(args)
    return _report_build(build(args.data, args.index, progress=progress_bar, on_wait=_waiting(args)), args)


def cmd_update(args) -> int:
    """An incremental update; when its segments call for a merge, a full build follows."""
    signal.signal(signal.SIGTERM, _interrupt)
    _use_ocr_cache(args)
    summary = update(args.data, args.index, progress=progress_bar, on_wait=_waiting(args), rehash=args.rehash)
    status = _report_build(summary, args)
    if summary.merge:
        print("merging the index segments with a full build", file=sys.stderr, flush=True)
        status = max(status, cmd_build(args))
    return status


def _waiting(args):
    def waiting():
        print(f"another build of {args.index} is running; waiting for it to finish", file=sys.stderr, flush=True)

    return waiting


def _report_build(summary, args) -> int:
    print_problems(summary)
    print(f"{summary.line()} -> {args.index}")
    return 1 if summary.skipped else 0


def _read_batch(path: Path) -> list[tuple[int, str]]:
    """(line number, query) for each line of a batch file, blank lines and `#` comments aside."""
    try:
        text = decode_bytes(path.read_bytes())
    except OSError as exc:
        raise CliError(f"cannot read batch file {path}: {exc.strerror}") from None
    except IngestError as exc:
        raise CliError(f"batch file {path}: {exc}") from None
    return [
        (number, line.strip())
        for number, line in enumerate(text.splitlines(), 1)
        if line.strip() and not line.startswith("#")
    ]


def _settle_query(args) -> None:
    """Take back a QUERY that a list option swallowed (`--township 国宝乡 法治`), then split names.

    Only a command with no QUERY of its own and no --batch file, which could not run
    otherwise, gives up the last word of the one list option that has several words;
    so every command that ran before keeps its meaning.
    """
    if args.query is None and args.batch is None:
        runs = [words for key in LIST_OPTIONS for words in getattr(args, key) if len(words) > 1]
        if len(runs) > 1:
            raise usage_error(
                "give the QUERY first when several options list several words "
                "(search QUERY --township A B --section X Y)",
                f"{PROG} search",
            )
        if runs:
            args.query = runs[0].pop()
    for key in LIST_OPTIONS:
        setattr(args, key, _names(getattr(args, key)))
    bad = [level for level in args.level if level not in LEVELS]
    if bad:
        raise usage_error(
            f"argument --level: invalid choice: {bad[0]!r} (choose from {', '.join(LEVELS)})", f"{PROG} search"
        )
    unknown = [key for key in args.section if key not in SECTIONS]
    if unknown:
        raise usage_error(
            f"argument --section: invalid choice: {unknown[0]!r} (choose from {', '.join(SECTIONS)})", f"{PROG} search"
        )


def _names(runs: list[list[str]]) -> tuple[str, ...]:
    """The names given to a list option: every word of every use, split at commas (, ， 、)."""
    return tuple(
        name.strip() for words in runs for word in words for name in NAME_SEPARATORS.split(word) if name.strip()
    )


def _filters(args) -> Filters:
    year_from, year_to = parse_year_range(args.year)
    return Filters(
        year_from=year_from,
        year_to=year_to,
        sections=args.section,
        levels=args.level,
        **{f.plural: getattr(args, f.key) for f in PLACE_FACETS},
    )


def _check_places(index: ReportIndex, filters: Filters) -> None:
    """Refuse a place that no indexed report has; say so on stderr when a name chooses several places."""
    for facet in PLACE_FACETS:
        unknown = [
            t
            for t in filters.places(facet)
            if not index.places.find(facet.key, t) and not index.unsettled_named(facet.key, t)
        ]
        if unknown:
            raise CliError(f"no report from {facet.key} {unknown[0]!r}; see: {PROG} reports")
    for notice in index.place_notices(filters):
        print(f"note: {notice['message']}", file=sys.stderr)


def cmd_search(args) -> int:
    _settle_query(args)
    if args.batch is None and not args.query:
        raise usage_error("give a QUERY or --batch FILE", f"{PROG} search")
    if args.limit is not None and not 1 <= args.limit <= MAX_LIMIT:
        raise CliError(f"--limit must be between 1 and {MAX_LIMIT}; use --all for every hit")
    filters = _filters(args)
    args.scope = parse_scope(args.near)
    query = parse_query(args.query, args.whole_words, args.scope) if args.query else None  # a bad QUERY stops it
    index = ReportIndex.open(args.index, warm=False)
    _check_places(index, filters)
    if args.batch is None:
        _show(index, _run(index, query, filters, args), args, batch=False)
        return 0
    return _run_batch(index, query, filters, args)


def _run(index: ReportIndex, query, filters: Filters, args):
    return index.search(query, filters, sort=args.sort, limit=None if args.all else args.limit, facets=False)


def _run_batch(index: ReportIndex, query, filters: Filters, args) -> int:
    """Run the QUERY argument, then each batch line; a line that cannot run is named on stderr and
    skipped. Returns 1 when any line was skipped, else 0."""
    if query is not None:
        _show(index, _run(index, query, filters, args), args, batch=True)
    status = 0
    for number, text in _read_batch(args.batch):
        try:
            line_query = parse_query(text, args.whole_words, args.scope)
        except QueryError as exc:
            shown = text if len(text) <= 40 else text[:40] + "…"
            print(f"error: {args.batch} line {number}: {shown!r}: {exc}", file=sys.stderr)
            status = 1
            continue
        _show(index, _run(index, line_query, filters, args), args, batch=True)
    return status


def _show(index: ReportIndex, result, args, batch: bool) -> None:
    """Print one query's result: readable, or one JSON line per hit (in a batch, a line for no hits)."""
    if not args.json:
        _print_result(result, index.segmenter, color=sys.stdout.isatty())
        return
    for hit in result.hits:
        print(json.dumps(hit_body(hit, result.query.text), ensure_ascii=False))
    if batch and not result.hits:
        print(json.dumps({"query": result.query.text, "total": 0}, ensure_ascii=False))


def _print_result(result, segmenter, color: bool) -> None:
    query = result.query
    if query.advice:
        print(f"{query.text}: {query.advice}", file=sys.stderr)
    if result.notice:
        print(f"{query.text}: {result.notice}")
        return
    shown = len(result.hits)
    more = f", showing {shown} (use --all for every hit)" if shown < result.total else ""
    mode = " (whole words)" if query.whole_words else ""
    print(f"{result.total} paragraphs match {query.text}{mode}{more}")
    on, off = ("\x1b[1;31m", "\x1b[0m") if color else ("【", "】")
    for i, hit in enumerate(result.hits, 1):
        where = " · ".join(
            x
            for x in (
                hit.township + (f"（{hit.county}）" if hit.county else ""),
                str(hit.year or "年份未知"),
                hit.section_name,
                hit.heading,
            )
            if x
        )
        text, spans = snippet(hit.text, highlight_spans(hit.text, query, segmenter), width=60)
        marked = "".join(f"{on}{p}{off}" if m else p for p, m in fragments(text, spans))
        print(
            f"[{i}] {where}\n    {hit.source} ¶{hit.paragraph}  {report_url(hit.report_id, hit.paragraph)}\n    {marked}"
        )


def cmd_reports(args) -> int:
    reports = ReportIndex.open(args.index, warm=False).reports_by_path
    if args.check:
        return _check_reports(reports)
    if args.json:
        for r in reports:
            print(json.dumps({k: r.get(k) for k in REPORT_FIELDS}, ensure_ascii=False))
    elif args.csv:
        _write_csv([REPORT_COLUMNS, *map(_report_row, reports)])
    else:
        for row in [REPORT_COLUMNS, *map(_report_row, reports)]:
            print("\t".join(map(escaped, row)))
    return 0


def _report_row(report: dict) -> list[str]:
    """The REPORT_COLUMNS of a report as text, a missing value as ''."""
    return ["" if report.get(k) is None else str(report.get(k)) for k in REPORT_COLUMNS]


def _write_csv(rows) -> None:
    """Rows as CSV on stdout, in UTF-8 whatever the locale (RFC 4180 line ends, quoting as needed)."""
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    sys.stdout.flush()
    sys.stdout.buffer.write(text.getvalue().encode("utf-8"))
    sys.stdout.buffer.flush()  # here, so that a closed pipe is handled like any other


def _problems(report: dict) -> list[str]:
    """A report's warnings that ask for a value (the one saying whose report it is only tells)."""
    return [w for w in report.get("warnings") or [] if not w.startswith("level:")]


def _check_reports(reports: list[dict]) -> int:
    """Print each report with a missing or doubtful field, and the manifest entry that settles it;
    then the reports that are not townships' (their level and place, to check), and the duplicate
    copies (which report each repeats)."""
    doubtful = [r for r in reports if manifest_entry(r)]
    for r in doubtful:
        print(f"{r['source']}:")
        for warning in _problems(r) or ["county: not settled (未定)"]:
            print(f"  {warning}")
        print(f"  settle it in {MANIFEST_NAME}:")
        for line in manifest_entry(r):
            print(f"    {line}")
    others = [r for r in reports if r.get("level") not in (TOWNSHIP_LEVEL, UNSETTLED)]
    if others:
        print(f'{len(others)} reports are not township reports (set level = "乡镇" and township if one is):')
        for r in others:
            place = r.get("county") or r.get("prefecture") or r.get("province") or "未定"
            print(f"  {r['source']}: {r['level']} · {place}")
    copies = [r for r in reports if r.get("duplicate_of")]
    if copies:
        sources = {r["report_id"]: r["source"] for r in reports}
        print(f"{len(copies)} reports are duplicate copies (indexed, counted once; README: Duplicate reports):")
        for r in copies:
            print(f"  {r['source']}: same report as {sources[r['duplicate_of']]}")
    print(f"{len(doubtful)} of {len(reports)} reports have a missing or doubtful field")
    return 1 if doubtful else 0


def cmd_similar(args) -> int:
    """The paragraphs of other reports similar to one paragraph, best first (exit 0 even when none)."""
    found = similar_body(ReportIndex.open(args.index, warm=False), args.report_id, args.paragraph)
    if args.json:
        print(json.dumps(found, ensure_ascii=False))
        return 0
    where = f"{found['township'] or '?'} {found['year'] or '?'} ¶{args.paragraph}"
    if not found["compared"]:
        print(f"{where}: a title, heading or short paragraph; not compared")
        return 0
    more = " (a widely shared text: there may be more)" if found["more"] else ""
    print(f"{where}: {len(found['similar'])} similar paragraphs in other reports{more}")
    for m in found["similar"]:
        place = (m["township"] or "?") + (f"（{m['county']}）" if m["county"] else "")
        print(
            f"{m['similarity']:6.1%}  {place} {m['year'] or '年份未知'}  {m['report_id']} ¶{m['paragraph']}  {m['url']}"
        )
    return 0


def cmd_reuse(args) -> int:
    """Pairs of reports that share paragraphs (research/reuse.py), as /reuse lists them."""
    if not 0 <= args.min_share <= 100:
        raise usage_error("--min-share must be between 0 and 100", f"{PROG} reuse")
    if args.limit < 0:
        raise usage_error("--limit must be 0 (all) or more", f"{PROG} reuse")
    index = ReportIndex.open(args.index, warm=False)
    reuse = corpus_reuse(index, args.with_duplicates)
    if args.report is not None:
        if index.report(args.report) is None:
            raise CliError(f"no report with id {args.report!r}; `{PROG} reports` lists them")
        rows = [row for row in reuse.rows_of(args.report).tolist() if reuse.share[row] * 100 >= args.min_share]
    else:
        rows = list(range(reuse.at_least(args.min_share / 100)))
    pairs = [reuse.pair(row) for row in (rows[: args.limit] if args.limit else rows)]
    share = reuse.shares.get(args.report) if args.report else None
    if args.json:
        body = {"total": len(rows), "min_share": args.min_share, "pairs": [pair_body(p) for p in pairs]}
        if args.report:
            body |= {"report_id": args.report, "earlier_share": round(share, 4)}
        print(json.dumps(body, ensure_ascii=False))
        return 0
    if args.report:
        print(
            f"{args.report}: {share:.0%} of its compared text is in earlier reports; {len(rows)} reports share with it"
        )
    for p in pairs:
        direction = "same date as" if p.same_date else "copies from"
        print(
            f"{p.share:6.1%}  {p.shared}/{p.compared}  {p.later['report_id']} ({_place(p.later)})"
            f"  {direction}  {p.earlier['report_id']} ({_place(p.earlier)})"
        )
    if not args.report:
        print(
            f"{len(rows)} pairs of reports share paragraphs"
            + (f" ({args.min_share}% or more)" if args.min_share else "")
        )
    return 0


def _place(report: dict) -> str:
    return f"{report.get('township') or report.get('county') or '?'} {report.get('year') or '?'}"


def cmd_keyterms(args) -> int:
    """Key terms of a report, a township, a county or a query's paragraphs, best first."""
    if not 1 <= args.n <= MAX_TERMS:
        raise usage_error(f"-n must be between 1 and {MAX_TERMS}", f"{PROG} keyterms")
    if not 1 <= args.min_freq <= 1000:
        raise usage_error("--min-freq must be between 1 and 1000", f"{PROG} keyterms")
    index = ReportIndex.open(args.index, warm=False)
    year_from, year_to = parse_year_range(args.year)
    if args.report:
        pids, what = selection(index, report_id=args.report), f"report {args.report!r}"
    else:
        place = "township" if args.township else "county" if args.county else None
        name = args.township or args.county
        if place and not index.places.find(place, name):
            raise CliError(f"no {place} {name!r} in the index (see: {PROG} reports)")
        chosen = {"townships": (name,)} if args.township else {"counties": (name,)} if args.county else {}
        filters = Filters(year_from=year_from, year_to=year_to, duplicates=args.with_duplicates, **chosen)
        pids = index.select_counted(parse_query(args.query) if args.query else None, filters)
        what = name or args.query
    if pids is None:
        raise CliError(f"no {what} in the index (see: {PROG} reports)")
    terms = key_terms(index, pids, args.n, args.min_freq, parse_stop_words(args.stop), args.with_duplicates)
    if args.json:
        print(
            json.dumps(keyterms_body(terms, len(pids), report=args.report, township=args.township), ensure_ascii=False)
        )
        return 0
    print(
        f"{args.report or what}: {len(pids)} paragraphs; key terms (log-likelihood, log ratio, paragraphs here, "
        f"paragraphs holding it in all reports)"
    )
    if terms.sampled:
        print(f"(from {terms.read} paragraphs spread over the {len(pids)}; counts scaled from those)")
    for t in terms:
        print(f"{t.score:8.2f}  {t.log_ratio:5.2f}  {t.word}  {t.count}  {t.paragraphs}")
    return 0


def cmd_cite(args) -> int:
    """The citation of a report, or of one of its paragraphs (citation.py), and its source URL."""
    report = ReportIndex.open(args.index, warm=False).report(args.report_id)
    if report is None:
        raise CliError(f"no report {args.report_id!r} in the index (see: {PROG} reports)")
    count = report["paragraphs"]
    if args.paragraph is not None and not 1 <= args.paragraph <= count:
        raise usage_error(
            f"report {args.report_id!r} has paragraphs 1 to {count}, not {args.paragraph}", f"{PROG} cite"
        )
    cited = citation(report, args.paragraph)
    if args.json:
        body = {"report_id": args.report_id, "paragraph": args.paragraph, "url": report.get("url"), "citation": cited}
        print(json.dumps(body, ensure_ascii=False))
    else:
        print(cited)
    return 0


def cmd_verify(args) -> int:
    """One line per damaged, missing or unexpected file, then a summary; 0 when sound, 1 when damaged."""
    generation, checked, findings = integrity.verify(args.index)
    for finding in findings:
        print(finding.line())
    if not findings:
        print(f"index sound: {checked} files of {generation.name} match their checksums")
        return 0
    print(
        f"index damaged: {len(findings)} of the files of {generation.name} differ from what was written; "
        f"rebuild it with: {REBUILD} --index {args.index}"
    )
    return 1
