"""``python -m perf_excel.cli``: the same as the ``perf-excel`` command."""

import sys

from perf_excel.cli import main

sys.exit(main())
