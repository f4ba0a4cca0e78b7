"""Shared pytest wiring: integration tests run last-but-restart, and the stack-restart test last."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Restarting the whole stack must not interleave with tests that need it up.
    items.sort(key=lambda item: item.get_closest_marker("stack_restart") is not None)
