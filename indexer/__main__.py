"""python -m indexer: see indexer/cli.py."""

import sys

from indexer.cli import main

sys.exit(main())
