"""The one-click macros under the module name that the shipped VBA calls.

The macros live in :mod:`perf_excel.excel.macros`.
"""

import sys

from perf_excel.excel import macros

# The same module object under both names, so the VBA, a patch or an import sees one set of macros.
sys.modules[__name__] = macros
