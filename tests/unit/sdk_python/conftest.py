"""Shared fixtures for the Python SDK tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest


@pytest.fixture
def isolated_imports() -> Iterator[None]:
    """Undo what loading step files does to sys.path and sys.modules.

    Only modules that appeared during the test are removed, so third-party
    modules imported lazily stay where they are.
    """
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    yield
    sys.path[:] = saved_path
    added = set(sys.modules) - saved_modules
    doomed = [name for name in added if _from_a_test_project(name)]
    for name in doomed:
        del sys.modules[name]


def _from_a_test_project(name: str) -> bool:
    if name.split(".")[0] in ("steps", "src"):
        return True
    module = sys.modules[name]
    location = str(getattr(module, "__file__", None) or "")
    return "fixtures" in location or "pytest-of" in location
