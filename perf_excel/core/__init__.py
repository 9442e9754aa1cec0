"""The pure core: the scheme, the scoring methods, the assessment, weights and anomalies.

Nothing here opens a file, talks to Excel or formats a Word paragraph: it imports no file,
Excel or Word library (``tests/test_architecture.py`` checks it). Adapters import the core,
never the reverse.
"""
