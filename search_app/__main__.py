"""python -m search_app: bring the index up to date (an incremental update, or a build), then serve with waitress."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from indexer.console import print_problems, progress_bar
from indexer.documents.metadata import ManifestError
from indexer.engine.build import BuildError, is_stale
from indexer.engine.layout import current_generation
from indexer.engine.update import update

from .channel import Deadlines
from .server import CONNECTION_LIMIT, THREADS, WORKERS, serve


def merge_in_background(data: Path, index: Path) -> subprocess.Popen:
    """A full build that merges the update segments while the site serves; the site switches
    to it when it is done (it writes to its own log, index/merge.log)."""
    print("merging the index segments with a full build in the background", file=sys.stderr)
    log = open(index / "merge.log", "ab")  # noqa: SIM115 - handed to the child
    return subprocess.Popen(
        [sys.executable, "-m", "indexer", "build", "--data", str(data), "--index", str(index)],
        stdout=log,
        stderr=log,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m search_app", description="Serve the search site.")
    parser.add_argument("--data", type=Path, default=Path("data/reports"), help="folder of report files")
    parser.add_argument("--index", type=Path, default=Path("data/index"), help="index folder")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--threads", type=int, default=THREADS, help=f"threads per process (default {THREADS})")
    parser.add_argument(
        "--workers",
        type=int,
        default=WORKERS,
        help=f"server processes sharing the port (default {WORKERS}: one per core)",
    )
    parser.add_argument(
        "--connection-limit",
        type=int,
        default=CONNECTION_LIMIT,
        metavar="N",
        help=f"open connections per process (default {CONNECTION_LIMIT}, fewer if the open-file limit is lower)",
    )
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=Deadlines.head,
        metavar="SECONDS",
        help=f"seconds a client has to send a request's headers, and again its body (default {Deadlines.head:g})",
    )
    parser.add_argument("--no-build", action="store_true", help="serve the index as it is")
    args = parser.parse_args(argv)
    if args.connection_limit < 1:
        parser.error("--connection-limit must be a positive number, e.g. 1000")
    if args.request_timeout <= 0:
        parser.error("--request-timeout must be a positive number of seconds, e.g. 10")

    if not args.no_build and args.data.is_dir() and is_stale(args.data, args.index):
        print(f"updating the index from {args.data} ...", file=sys.stderr)
        try:
            summary = update(args.data, args.index, progress=progress_bar)
        except Exception as exc:  # noqa: BLE001 - whatever the build said, the last good index serves
            told = isinstance(exc, (BuildError, ManifestError, OSError))  # these carry a one-line reason
            print(
                f"error: {exc}" if told else f"error: the update failed ({type(exc).__name__}: {exc})", file=sys.stderr
            )
            if current_generation(args.index) is None:
                return 2
            print("serving the previous index", file=sys.stderr)
        else:
            print_problems(summary)
            print(summary.line(), file=sys.stderr)
            if summary.merge:
                merge_in_background(args.data, args.index)

    from . import create_app

    app = create_app({"INDEX_DIR": args.index})
    print(f"serving on http://{args.host}:{args.port}/", file=sys.stderr, flush=True)
    deadlines = Deadlines(head=args.request_timeout, body=args.request_timeout)
    serve(
        app,
        host=args.host,
        port=args.port,
        threads=args.threads,
        workers=args.workers,
        deadlines=deadlines,
        connection_limit=args.connection_limit,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
