"""python -m indexer.bench [--size N] [--seed S]: ours against brute force, SQLite FTS5 and Tantivy; see indexer/bench/run.py."""

import sys

from indexer.bench.run import main

sys.exit(main())
