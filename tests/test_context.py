"""The task context: computed from the request once, restored however the task ends."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from celery_logkit import bind_contextvars, clear_contextvars, get_contextvars
from celery_logkit.context import (
    bound_fields,
    current_task_context,
    task_context_from_request,
    task_ended,
    task_started,
)


def request(**overrides: Any) -> SimpleNamespace:
    values: dict[str, Any] = {
        "id": "t1",
        "retries": 0,
        "root_id": "r1",
        "parent_id": None,
        "group": None,
        "delivery_info": {"routing_key": "q1", "exchange": ""},
        "hostname": "celery@h",
    }
    values.update(overrides)
    return SimpleNamespace(**values)


def test_fields_in_order_absent_ones_left_out() -> None:
    ctx = task_context_from_request("proj.add", request())
    assert list(ctx.items()) == [
        ("task_id", "t1"),
        ("task_name", "proj.add"),
        ("retries", 0),
        ("root_id", "r1"),
        ("queue", "q1"),
        ("worker", "celery@h"),
    ]
    full = task_context_from_request(
        "proj.add", request(parent_id="p1", group="g1", retries=None, delivery_info=None)
    )
    assert (full["parent_id"], full["group_id"], full["retries"]) == ("p1", "g1", 0)
    assert "queue" not in full


def test_started_then_ended_restores_everything() -> None:
    clear_contextvars()
    bind_contextvars(before="kept")
    task = SimpleNamespace(name="proj.add", request=request())
    task_started(task)
    assert current_task_context()["task_id"] == "t1"
    current_task_context()["task_id"] = "changed"
    assert current_task_context()["task_id"] == "t1", "a copy: the task's lines share the context"
    bind_contextvars(during="dropped", before="changed")
    assert bound_fields() == {"before": "changed", "during": "dropped"}
    task_ended()
    assert current_task_context() == {}
    assert get_contextvars() == {"before": "kept"}
    assert vars(task.request) == vars(request()), "nothing is stored on the request"
    clear_contextvars()


def test_nested_tasks_restore_each_level() -> None:
    outer = SimpleNamespace(name="outer", request=request(id="o"))
    inner = SimpleNamespace(name="inner", request=request(id="i"))
    task_started(outer)
    task_started(inner)
    assert current_task_context()["task_id"] == "i"
    task_ended()
    assert current_task_context()["task_id"] == "o"
    task_ended()
    assert current_task_context() == {}


def test_unpaired_end_clears() -> None:
    task_ended()
    assert current_task_context() == {}
