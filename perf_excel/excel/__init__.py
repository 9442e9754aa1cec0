"""The xlwings layer: custom functions (PERF_*), one-click macros, and ranges turned into the
core's inputs. Thin: the work is done by the pipeline and the method registry."""
