"""The task context: computed from the request once, restored however the task ends."""

from __future__ import annotations

import contextvars
import logging
from types import SimpleNamespace
from typing import Any

import pytest
import structlog.contextvars

from celery_logkit import (
    _context,
    bind_contextvars,
    clear_contextvars,
    get_contextvars,
    unbind_contextvars,
)
from celery_logkit._context import (
    bound_fields,
    current_task_context,
    task_context_from_request,
    task_ended,
    task_started,
)

from .helpers import Captured


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


class _CountingVar:
    """Stands in for one of structlog's per-name variables and counts its reads."""

    reads = 0

    def __init__(self, name: str) -> None:
        self.name = name

    def get(self, default: Any = None) -> Any:
        _CountingVar.reads += 1
        return default

    def set(self, value: Any) -> None:
        return None


def test_a_line_reads_what_is_bound_now_not_every_name_ever_bound(
    captured: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [f"structlog_gone_{i}" for i in range(1000)]
    for name in names:  # names bound and unbound long ago, in other contexts
        monkeypatch.setitem(structlog.contextvars._CONTEXT_VARS, name, _CountingVar(name))
    _CountingVar.reads = 0
    bind_contextvars(request_id="r1")
    for i in range(10):
        logging.getLogger("context_tests").info("line %s", i)
    assert _CountingVar.reads == 0, f"{_CountingVar.reads} reads of names not bound now"
    assert [r.get("request_id") for r in captured.records] == ["r1"] * 10


def count_walks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the walks over the whole context from now on: each one's size, in a list."""
    walks: list[int] = []
    read_bound = _context._read_bound

    def counting(ctx: contextvars.Context) -> Any:
        walks.append(len(ctx))
        return read_bound(ctx)

    monkeypatch.setattr(_context, "_read_bound", counting)
    return walks


def test_the_context_is_walked_once_while_it_does_not_change(
    captured: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(1000):
        bind_contextvars(**{f"history_{i}": i})
        unbind_contextvars(f"history_{i}")
    bind_contextvars(order_id=7)
    walks = count_walks(monkeypatch)
    for _ in range(20):
        logging.getLogger("context_tests").info("steady")
    assert len(walks) <= 1, walks
    assert all(r["order_id"] == 7 for r in captured.records)
    assert all(not k.startswith("history_") for r in captured.records for k in r)


class _Ambiguous:
    def __eq__(self, other: object) -> bool:
        raise ValueError("truth value is ambiguous")

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return "ambiguous"


def test_direct_structlog_binds_are_seen_on_the_next_line() -> None:
    clear_contextvars()
    assert bound_fields() == {}
    structlog.contextvars.bind_contextvars(request_id="a")
    assert bound_fields() == {"request_id": "a"}
    structlog.contextvars.bind_contextvars(request_id="b")
    assert bound_fields() == {"request_id": "b"}
    structlog.contextvars.unbind_contextvars("request_id")
    assert bound_fields() == {}
    value = _Ambiguous()
    structlog.contextvars.bind_contextvars(matrix=value)
    structlog.contextvars.bind_contextvars(matrix=_Ambiguous())
    assert bound_fields()["matrix"] is not value
    fields = bound_fields()
    fields["added_by_caller"] = 1
    assert "added_by_caller" not in bound_fields()
    clear_contextvars()


def test_tasks_binding_new_names_through_logkit_never_walk_the_context(
    captured: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(1000):  # a history of names bound and unbound with structlog itself
        structlog.contextvars.bind_contextvars(**{f"old_{i}": i})
        structlog.contextvars.unbind_contextvars(f"old_{i}")
    bind_contextvars(tenant="acme")
    walks = count_walks(monkeypatch)
    for i in range(20):
        task_started(SimpleNamespace(name="proj.t", request=request(id=f"t{i}")), {"rid": i})
        bind_contextvars(**{f"key_{i}": i})
        unbind_contextvars("tenant")
        logging.getLogger("context_tests").info("in task %s", i)
        task_ended()
    logging.getLogger("context_tests").info("after the tasks")
    assert walks == [], f"{len(walks)} walks of contexts of {walks[:3]}... variables"
    for i in range(20):
        line = captured.one(f"in task {i}")
        assert (line["task_id"], line[f"key_{i}"], line["rid"]) == (f"t{i}", i, i), line
        assert "tenant" not in line, line
        assert f"key_{i - 1}" not in line, line
    after = captured.one("after the tasks")
    assert after["tenant"] == "acme", after
    assert not [k for k in after if k.startswith(("key_", "old_", "rid"))], after


def test_a_key_rebound_to_an_equal_value_of_another_type_shows_the_new_one(
    captured: Captured,
) -> None:
    """Contexts compare value by value: 1 == True and 2 == 2.0 must not hide a rebind."""
    structlog.contextvars.bind_contextvars(flag=1, amount=2)
    logging.getLogger("context_tests").info("first")
    structlog.contextvars.bind_contextvars(flag=True, amount=2.0)
    logging.getLogger("context_tests").info("second")
    first, second = captured.records[-2:]
    assert (first["flag"], first["amount"]) == (1, 2)
    assert second["flag"] is True
    assert isinstance(second["amount"], float)
