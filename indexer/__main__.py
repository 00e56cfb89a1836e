"""python -m indexer: see indexer/cli.py."""

import sys

from .cli import main

sys.exit(main())
