"""A generated worker log for the ``celery-logkit`` benchmark, in the library's own lines.

Every kind of line (a task received, started, its own line, succeeded, failed with a
stack, retrying, revoked, a child enqueued, a worker starting) is formatted once per
schema by :class:`celery_logkit.JsonFormatter` with marker values, then turned into a
template whose markers are filled per task: the lines are the formatter's, written at
the speed of ``str.format``.

    from cli_log import write_log
    summary = write_log(path, schema="ecs", tasks=500_000, workers=4)
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from celery_logkit import JsonFormatter
from celery_logkit._fields import set_fields
from celery_logkit._vocabulary import EventRecord, TaskRecord
from celery_logkit.schemas import get_schema

T0 = 1_767_225_600.0
"""2026-01-01T00:00:00Z: the generated day starts here."""

NAMES = (
    "shop.tasks.charge_card",
    "shop.tasks.send_receipt",
    "shop.tasks.refresh_stock",
    "shop.tasks.resize_image",
    "shop.tasks.sync_crm",
    "shop.tasks.nightly_report",
)
_MARK = {
    "ts": "2099-01-01T00:00:00.000Z",
    "id": "0000aaaa-1111-2222-3333-444455556666",
    "root": "0000bbbb-1111-2222-3333-444455556666",
    "parent": "0000cccc-1111-2222-3333-444455556666",
    "child": "0000dddd-1111-2222-3333-444455556666",
}
_DURATION = 4242.4242
_WAIT = 3131.3131
_T_MARK = 4_070_908_800.0  # 2099-01-01T00:00:00Z


def _stack() -> str:
    try:
        raise ConnectionError("card gateway timed out after 30 s (order 81723)")
    except ConnectionError:
        import traceback  # noqa: PLC0415 - once

        return traceback.format_exc().rstrip("\n")


@dataclass
class Summary:
    """What the generated log holds: the producer's own count of each answer."""

    lines: int = 0
    tasks: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    by_name: dict[str, Counter[str]] = field(default_factory=dict)
    sample_id: str = ""
    sample_child: str = ""


class _Templates:
    """The formatter's line for each kind, with ``{markers}`` where a task's values go."""

    def __init__(self, schema: str, name: str, worker: str, queue: str, *, child: bool) -> None:
        self.formatter = JsonFormatter(schema=schema, service="shop")
        self.scale = get_schema(schema).duration_scale
        self.task = {
            "task_id": _MARK["id"], "task_name": name, "retries": 0,
            "root_id": _MARK["root"], "parent_id": _MARK["parent"], "queue": queue,
            "worker": worker,
        }  # fmt: skip
        if not child:
            del self.task["parent_id"]
        self.kinds = {
            "received": self._event("task_received", logging.DEBUG, "Task %s[%s] received", {}),
            "started": self._event(
                "task_started",
                logging.INFO,
                "Task %s[%s] started",
                {"attempt": 1, "queue_wait_ms": _WAIT},
            ),
            "own": self._own(),
            "succeeded": self._event(
                "task_succeeded",
                logging.INFO,
                "Task %s[%s] succeeded in %s ms",
                {"duration_ms": _DURATION},
            ),
            "failed": self._event(
                "task_failed",
                logging.ERROR,
                "Task %s[%s] failed: %s",
                {"duration_ms": _DURATION},
                error=True,
            ),
            "retrying": self._event(
                "task_retrying",
                logging.WARNING,
                "Task %s[%s] retrying: %s",
                {
                    "reason": "ConnectionError: card gateway timed out",
                    "attempt": 1,
                    "max_retries": 3,
                    "countdown": 5,
                    "duration_ms": _DURATION,
                },
            ),
            "revoked": self._event(
                "task_revoked",
                logging.WARNING,
                "Task %s[%s] revoked",
                {"terminated": False, "expired": False},
            ),
            "enqueued": self._event(
                "task_enqueued",
                logging.INFO,
                "Task %s[%s] enqueued",
                {"child_task_id": _MARK["child"], "child_task_name": name, "routing_key": queue},
                args=(name, _MARK["child"]),
            ),
        }

    def _record(self, cls: type[logging.LogRecord], level: int, msg: str, args: Any) -> Any:
        record = logging.LogRecord("celery_logkit.lifecycle", level, __file__, 1, msg, args, None)
        record.__class__ = cls
        record.created = _T_MARK
        record.msecs = 0.0
        return record

    def _event(
        self,
        event: str,
        level: int,
        msg: str,
        fields: dict[str, Any],
        *,
        error: bool = False,
        args: tuple[Any, ...] | None = None,
    ) -> str:
        name = self.task["task_name"]
        args = args or (name, _MARK["id"], _DURATION if "succeeded" in event else "x")
        record = self._record(EventRecord, level, msg, args[: msg.count("%s")])
        record.__dict__.update(self.task)
        record.event = event
        set_fields(record, fields)
        if error:
            record.exc_info = (ConnectionError, ConnectionError("x"), None)
            record.exc_text = _stack()
            record.msg, record.args = (
                "Task %s[%s] failed: %s",
                (name, _MARK["id"], "ConnectionError: card gateway timed out after 30 s"),
            )
        return self._template(self.formatter.format(record))

    def _own(self) -> str:
        record = self._record(TaskRecord, logging.INFO, "charging order %s", ("81723",))
        record.name = "shop.tasks"
        record.__dict__.update(self.task)
        set_fields(record, {"order_id": 81723, "amount": "12.50"})
        return self._template(self.formatter.format(record))

    def _template(self, line: str) -> str:
        text = line.replace("{", "{{").replace("}", "}}")
        for key, mark in _MARK.items():
            text = text.replace(mark, "{" + key + "}")
        text = text.replace(_number(self.scale, _DURATION), "{duration}")
        text = text.replace(orjson.dumps(_WAIT).decode(), "{wait}")
        text = text.replace(orjson.dumps(_DURATION).decode(), "{duration_text}")
        return text


def _ts(seconds: float) -> str:
    whole = int(seconds)
    day = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
    return f"{day}.{int((seconds - whole) * 1000):03d}Z"


def _worker_started(schema: str, worker: str, queue: str, at: float) -> str:
    formatter = JsonFormatter(schema=schema, service="shop")
    record = logging.LogRecord(
        "celery.apps.worker", logging.INFO, __file__, 1, "Worker %s starting", (worker,), None
    )
    record.__class__ = EventRecord
    record.created, record.msecs = at, 0.0
    record.event, record.worker = "worker_started", worker
    set_fields(record, {
        "celery_version": "5.7.0", "pool": "prefork", "concurrency": 8,
        "queues": [queue], "tasks": list(NAMES),
    })  # fmt: skip
    return formatter.format(record)


def _number(scale: float, ms: float) -> str:
    """Return a duration of *ms* milliseconds as a schema with *scale* writes it."""
    value: Any = ms if scale == 1 else round(ms * scale)
    return orjson.dumps(value).decode()


def write_log(path: Path, *, schema: str, tasks: int, workers: int = 4, seed: int = 17) -> Summary:  # noqa: PLR0915 - one task's lines, top to bottom
    """Write *tasks* tasks' lines over *workers* workers in *schema* to *path*.

    About 4 lines a task: received, started, the task's own line, how it ended; 3 % fail
    (with a stack), 2 % retry, 0.5 % are revoked, and 5 % of the successes enqueue a
    child, the next task (a chain: its root and parent are the enqueuer's).
    """
    rng = random.Random(seed)
    summary = Summary(tasks=tasks)
    scale = get_schema(schema).duration_scale
    nodes = [f"celery@shop-{n}" for n in range(workers)]
    queue = "shop"
    templates = {
        (name, node, child): _Templates(schema, name, node, queue, child=child).kinds
        for name in NAMES
        for node in nodes
        for child in (False, True)
    }
    step = 6 * 3600.0 / max(tasks, 1)
    with path.open("w", encoding="utf-8") as out:
        for n, node in enumerate(nodes):
            out.write(_worker_started(schema, node, queue, T0 + n * 0.01) + "\n")
            summary.lines += 1
        buffer: list[str] = []
        chained: tuple[str, str, str] | None = None  # the next task's id, root, parent
        for i in range(tasks):
            name = NAMES[i % len(NAMES)] if rng.random() < 0.8 else NAMES[0]
            node = nodes[i % workers]
            tpl = templates[(name, node, chained is not None)]
            if chained is None:
                task_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                root = parent = task_id
            else:
                task_id, root, parent = chained
                chained = None
            at = T0 + 1 + i * step
            wait = round(rng.expovariate(1 / 40.0), 3)
            runtime = round(rng.lognormvariate(3.0, 1.0), 3)
            draw = rng.random()
            outcome = (
                "failed" if draw < 0.03 else "retrying" if draw < 0.05
                else "revoked" if draw < 0.055 else "succeeded"
            )  # fmt: skip
            values = {"id": task_id, "root": root, "parent": parent, "child": ""}
            values["duration"] = _number(scale, runtime)
            values["duration_text"] = orjson.dumps(runtime).decode()
            values["wait"] = orjson.dumps(wait).decode()
            started = at + wait / 1000
            end = started + runtime / 1000
            buffer.append(tpl["received"].format(ts=_ts(at), **values))
            buffer.append(tpl["started"].format(ts=_ts(started), **values))
            if outcome != "revoked":
                buffer.append(tpl["own"].format(ts=_ts(started + 0.0005), **values))
            if outcome == "succeeded" and rng.random() < 0.05 and i + 1 < tasks:
                child = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                values["child"] = child
                buffer.append(tpl["enqueued"].format(ts=_ts(end - 0.0001), **values))
                chained = (child, root, task_id)
                if not summary.sample_child:
                    summary.sample_id, summary.sample_child = task_id, child
            buffer.append(tpl[outcome].format(ts=_ts(end), **values))
            summary.outcomes[outcome] += 1
            summary.by_name.setdefault(name, Counter())[outcome] += 1
            if len(buffer) >= 20_000:
                summary.lines += len(buffer)
                out.write("\n".join(buffer) + "\n")
                buffer.clear()
        summary.lines += len(buffer)
        if buffer:
            out.write("\n".join(buffer) + "\n")
    return summary
