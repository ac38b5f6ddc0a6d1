"""``python -m benchmarks`` (``./run bench``): see benchmarks/cli.py and benchmarks/README.md."""

import sys

from benchmarks.cli import main

sys.exit(main())
