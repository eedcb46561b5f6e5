"""The logkit header: publish time and allow-listed context, never breaking a publish."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from celery_logkit import bound_contextvars
from celery_logkit._propagation import HEADER, MAX_VALUE_CHARS, extract, inject


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no")


def test_inject_carries_allow_listed_keys_as_capped_strings() -> None:
    headers: dict[str, Any] = {}
    with bound_contextvars(request_id=7, correlation_id="x" * 1000, password="p", other=1):
        inject(headers, ["request_id", "correlation_id", "absent"])
    carried = headers[HEADER]["context"]
    assert carried == {"request_id": "7", "correlation_id": "x" * MAX_VALUE_CHARS}
    assert abs(headers[HEADER]["published"] - time.time()) < 5


def test_unprintable_values_are_dropped() -> None:
    headers: dict[str, Any] = {}
    with bound_contextvars(request_id=Unprintable()):
        inject(headers, ["request_id"])
    assert headers[HEADER]["context"] == {}


def test_extract_reads_worker_and_eager_requests() -> None:
    header = {"published": 100.0, "context": {"request_id": "r", "evil": "x", "n": 5}}
    worker = SimpleNamespace(logkit=header)
    eager = SimpleNamespace(headers={HEADER: header})
    for request in (worker, eager):
        assert extract(request, ["request_id", "n"]) == ({"request_id": "r"}, 100.0)


def test_extract_without_header_or_with_garbage() -> None:
    assert extract(SimpleNamespace(), ["request_id"]) == ({}, None)
    assert extract(SimpleNamespace(logkit="junk"), ["request_id"]) == ({}, None)
    assert extract(SimpleNamespace(logkit={"published": "x"}), ["request_id"]) == ({}, None)
