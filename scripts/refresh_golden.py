"""Rewrite the golden files in tests/golden/ from the current templates and code (``make golden``).

Run it after an intended change to a template or a document, then review the diff
(``git diff tests/golden``) before committing: every changed line is a change users will see.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Test support (golden files, canonical XML) lives in tests/support, outside the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.golden import write_golden  # noqa: E402


def main() -> int:
    for folder in write_golden():
        print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
