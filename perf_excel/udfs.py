"""The Excel custom functions under the module name that xlwings' "UDF Modules" setting and the shipped VBA use.

The functions live in :mod:`perf_excel.excel.udfs`.
"""

import sys

from perf_excel.excel import udfs

# The same module object under both names, so a setting, a patch or an import sees one set of functions.
sys.modules[__name__] = udfs
