"""faust's @app.timer returns the timer's endless loop (`around_timer`, registered with
`App._task`), so product code that awaits a decorated function never gets an answer: /metrics
once hung that way. Every function the product awaits by name must not be an app task."""

from __future__ import annotations

import ast
import inspect
from types import ModuleType

import pytest

import streams.app
import streams.web
from streams.app import app


def _awaited_names(module: ModuleType) -> set[str]:
    tree = ast.parse(inspect.getsource(module))
    return {
        node.value.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Await)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
    }


@pytest.mark.parametrize("module", [streams.app, streams.web], ids=lambda m: m.__name__)
def test_no_app_task_is_awaited_by_the_product(module: ModuleType) -> None:
    tasks = app._app_tasks  # pinned: where faust keeps @app.task and @app.timer functions
    assert tasks, "faust no longer keeps app tasks in App._app_tasks"
    awaited = {
        name: getattr(module, name) for name in _awaited_names(module) if hasattr(module, name)
    }
    if module is streams.web:
        assert "refresh_gauges" in awaited  # the scrape's call is seen
    assert [name for name, fun in awaited.items() if fun in tasks] == []
