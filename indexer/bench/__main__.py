"""python -m indexer.bench [--size N] [--seed S]: see indexer/bench/run.py."""

import sys

from .run import main

sys.exit(main())
