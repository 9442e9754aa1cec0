"""The pure core: the scoring rules and, later, the model, the checks and the assessment.

Nothing in ``perf_excel.core`` imports a file, Excel or Word library (openpyxl, xlwings,
python-docx, Jinja): it computes on Python objects and returns problems as data.
"""
