"""Awkward values in a real worker: each costs only itself, never the task's other lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .harness import Broker, Record, Worker, event_name, text_of
from .helpers import make_broker

pytestmark = pytest.mark.worker


def test_a_bound_awkward_value_keeps_the_task_lines_whole(
    fs_broker: Broker, tmp_path: Path
) -> None:
    """A task binds an exception whose str raises and a 5,000-digit int, then logs."""
    with Worker(fs_broker, tmp_path, pool="solo") as worker:
        task_id = worker.send("bind_awkward", "req-42")
        worker.wait_for_task_end(task_id)
    assert not worker.not_json, worker.not_json
    records = {r.get("event", r["message"]): r for r in worker.task_records(task_id)}
    for name in ("after binding", "task_succeeded"):
        record = records[name]
        assert record["request_id"] == "req-42", record
        assert record["err"] == "<unrepresentable ApiError>", record
        assert record["big"] == "<int of 16610 bits>", record
    assert records["after binding"]["order_id"] == 7
    assert records["task_succeeded"]["duration_ms"] >= 0
    assert records["task_succeeded"]["task_name"] == "worker_app.bind_awkward"


def outcome_of(record: Record, schema: str) -> object:
    """The record's event outcome, where the schema writes it (``None`` when absent)."""
    holder = {"ecs": "event", "datadog": "evt"}.get(schema)
    if holder is None:
        return record.get("outcome")
    value = record.get(holder)
    return value.get("outcome") if isinstance(value, dict) else None


def by_message(records: list[Record]) -> dict[str, Record]:
    return {text_of(r): r for r in records if event_name(r) is None}


@pytest.mark.parametrize("schema", ["default", "ecs", "datadog"])
def test_standard_fields_stacks_and_outcomes_are_placed_by_the_schema(
    tmp_path: Path, schema: str
) -> None:
    """Each schema places the caller's standard fields, the stack of ``stack_info=True`` and
    the lifecycle outcome where its consumer reads them; a value that does not fit goes to
    ``conflicts``.  The default schema also writes the service named to ``install()``."""
    identity = {"service": "shop", "env": "staging", "version": "1.2.3"}
    env = {"LOGKIT_SCHEMA": schema, "LOGKIT_INSTALL_OPTIONS": json.dumps(identity)}
    broker = make_broker("redis", tmp_path)
    with Worker(broker, tmp_path, concurrency=1, env=env) as worker:
        fields_id = worker.send("standard_fields")
        failed_id = worker.send("fail", "x")
        retried_id = worker.send("retry_once", "y")
        for task_id in (fields_id, failed_id):
            worker.wait_for_task_end(task_id)
        worker.wait_for(
            lambda r: r.get("task_id") == retried_id and event_name(r) == "task_succeeded"
        )
    assert not worker.not_json, worker.not_json
    assert not [r for r in worker.records if "extra" in r], "the bucket is 'conflicts'"
    lines = by_message(worker.task_records(fields_id))

    if schema == "ecs":
        paid = lines["paid"]
        assert paid["user"] == {"id": "42"}, paid
        assert paid["client"] == {"ip": "10.0.0.1"}
        assert paid["http"] == {"request": {"method": "POST"}}
        assert paid["url"] == {"path": "/pay"}
        assert (paid["labels"], paid["tags"]) == ({"tenant": "acme"}, ["vip"])
        assert "conflicts" not in paid, paid
        misfit = lines["misfit"]
        assert misfit["conflicts"] == {"client.ip": "not-an-ip", "user": "bob"}, misfit
        assert misfit.keys().isdisjoint({"client", "user"}), misfit
        stack = lines["stack style"]["error"]["stack_trace"]
        assert stack.startswith("Stack (most recent call last)"), stack
        assert not [r for r in worker.records if "origin" in r.get("log", {})], "off by default"
    elif schema == "datadog":
        paid = lines["paid dd"]
        assert paid["usr"] == {"id": "42"}, paid
        assert paid["network"] == {"client": {"ip": "10.0.0.1"}}
        assert paid["http"] == {"method": "POST"}
        assert (paid["ddtags"], paid["duration"]) == ("team:a", 1500)
        assert paid.keys().isdisjoint({"conflicts", "usr.id"}), paid
        misfit = lines["misfit dd"]
        assert misfit["conflicts"] == {"usr": "bob", "duration": "slow"}, misfit
        assert misfit.keys().isdisjoint({"usr", "duration"}), misfit
        stack = lines["stack style"]["error"]["stack"]
        assert stack.startswith("Stack (most recent call last)"), stack
    else:
        assert lines["stack style"]["stack_info"].startswith("Stack (most recent call last)")
        assert lines["misfit"]["user"] == "bob", "the default schema has no standard fields"
        for record in worker.records:
            assert {k: record.get(k) for k in identity} == identity, record
    if schema != "default":
        assert not [r for r in worker.records if "stack_info" in r]

    outcomes = [
        (event_name(r), outcome_of(r, schema))
        for task_id in (fields_id, failed_id, retried_id)
        for r in worker.task_records(task_id)
        if event_name(r)
    ]
    if schema == "default":
        assert {outcome for _, outcome in outcomes} == {None}, outcomes
    else:
        assert outcomes == [
            ("task_started", None),
            ("task_succeeded", "success"),
            ("task_started", None),
            ("task_failed", "failure"),
            ("task_started", None),
            ("task_enqueued", None),  # the retry's message
            ("task_retrying", "failure"),
            ("task_started", None),
            ("task_succeeded", "success"),
        ]


def test_log_origin_when_asked(fs_broker: Broker, tmp_path: Path) -> None:
    """``LOGKIT_LOG_ORIGIN=1`` adds the file, line and function that logged (ECS's names)."""
    env = {"LOGKIT_SCHEMA": "ecs", "LOGKIT_LOG_ORIGIN": "1"}
    with Worker(fs_broker, tmp_path, concurrency=1, env=env) as worker:
        task_id = worker.send("standard_fields")
        worker.wait_for_task_end(task_id)
    paid = by_message(worker.task_records(task_id))["paid"]
    origin = paid["log"]["origin"]
    assert origin["file"]["name"] == "worker_app.py", paid
    assert isinstance(origin["file"]["line"], int)
    assert origin["function"] == "standard_fields"
