"""Fixtures several test modules share."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture()
def umask_022() -> Iterator[None]:
    """The usual umask for the test, whatever the machine's: modes of new files are then known."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)
