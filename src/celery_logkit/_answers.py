"""The answers the logs give: a task's story, stats, failures, what is stuck, the workers.

Each answer is an accumulator: it is fed :class:`~celery_logkit._read.LogEvent` lines
one at a time, in any order across inputs (what happened is ordered by timestamp, not
by reading order), and keeps only what its answer needs: counters and quantile
sketches per group, one entry per failure kind, the tasks not yet ended.  Its
``result()`` is the document ``--json`` prints (keys as ``celery-logkit``'s contract
gives them: times ISO-8601 UTC, durations in seconds).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from ._read import LogEvent, parse_time

__all__ = [
    "ATTEMPT_ENDS",
    "FINAL",
    "Failures",
    "Sketch",
    "Stats",
    "Story",
    "Stuck",
    "Workers",
    "iso",
    "mask",
]

FINAL = frozenset(
    {"task_succeeded", "task_failed", "task_revoked", "task_rejected", "task_ignored"}
)
"""Events after which a task runs no more (a requeued rejection aside).

``task_ignored`` is a task that raised celery's ``Ignore``: it ends, in no state."""

ATTEMPT_ENDS = FINAL | {"task_retrying", "task_internal_error", "task_not_found"}
"""Events that end an attempt."""

_FAILED = frozenset({"task_failed", "task_internal_error"})
_STEP = {"task_enqueued": 0, "task_received": 1, "task_started": 2}
SHUTDOWN = ("Warm shutdown", "Cold shutdown")
"""What celery's main process says when it stops (its ``worker: ... shutdown`` lines)."""


def iso(ts: float | None) -> str | None:
    """Return *ts* (seconds since the epoch) as ISO-8601 UTC with milliseconds."""
    if ts is None:
        return None
    moment = _dt.datetime.fromtimestamp(ts, _dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _final(event: LogEvent) -> bool:
    """Whether *event* ends its task (a rejection that requeued the message does not)."""
    return event.event in FINAL and not (
        event.event == "task_rejected" and event.field("requeue") is True
    )


class Sketch:
    """Quantiles of a stream of positive numbers in memory bounded by their range.

    A DDSketch (Masson, Rim and Lee, 2019): values fall in buckets whose bounds grow
    by a factor *gamma*, so each quantile is within 1 % of a value of the stream
    whatever the stream's size; the maximum is kept exactly.  Sketches merge.
    """

    __slots__ = ("bins", "count", "max", "zeros")

    GAMMA = 1.02
    _LOG_GAMMA = math.log(GAMMA)

    def __init__(self) -> None:
        self.bins: Counter[int] = Counter()
        self.count = 0
        self.zeros = 0
        self.max: float | None = None

    def add(self, value: float) -> None:
        """Count *value*."""
        self.count += 1
        if self.max is None or value > self.max:
            self.max = value
        if value <= 0:
            self.zeros += 1
        else:
            self.bins[math.ceil(math.log(value) / self._LOG_GAMMA)] += 1

    def merge(self, other: Sketch) -> None:
        """Count *other*'s values too."""
        self.bins.update(other.bins)
        self.count += other.count
        self.zeros += other.zeros
        if other.max is not None and (self.max is None or other.max > self.max):
            self.max = other.max

    def quantile(self, q: float) -> float | None:
        """Return the *q* quantile (0 to 1), or ``None`` when nothing was counted."""
        if self.count == 0:
            return None
        rank = q * (self.count - 1)
        seen = self.zeros
        if rank < seen:
            return 0.0
        for index in sorted(self.bins):
            seen += self.bins[index]
            if seen > rank:
                value = 2 * self.GAMMA**index / (self.GAMMA + 1)
                return min(value, self.max) if self.max is not None else value
        return self.max

    def summary(self) -> dict[str, float | None]:
        """Return p50, p95, p99 and the maximum, rounded to the microsecond."""
        values = {
            "p50": self.quantile(0.5),
            "p95": self.quantile(0.95),
            "p99": self.quantile(0.99),
            "max": self.max,
        }
        return {k: None if v is None else round(v, 6) for k, v in values.items()}


@dataclass
class _Group:
    counts: Counter[str] = field(default_factory=Counter)
    runtime: Sketch = field(default_factory=Sketch)
    queue_wait: Sketch = field(default_factory=Sketch)


_COUNTED = {
    "task_succeeded": "succeeded",
    "task_failed": "failed",
    "task_retrying": "retried",
    "task_revoked": "revoked",
    "task_rejected": "rejected",
    "task_ignored": "ignored",
}
STATS_EVENTS = (*_COUNTED, "task_started")
"""The events the stats read."""

INTERVALS = (60.0, 300.0, 900.0, 3600.0, 6 * 3600.0, 86400.0)
"""The intervals an automatic series chooses from: the first giving at most 120 buckets."""

MAX_BUCKETS = 10_000
"""At most this many buckets a series has: a shorter interval asked for is widened."""

_ROUND = (0.001, 0.01, 0.1, 1.0, 10.0, 30.0, *INTERVALS)
"""The intervals a series too long is widened to: the first giving at most MAX_BUCKETS."""


def _bounded(interval: float, span: float) -> float:
    """Return *interval*, or the round one to widen it to for at most MAX_BUCKETS over *span*.

    ``--interval 1ms`` over a year's log would otherwise be 31 billion buckets.
    """
    needed = span / MAX_BUCKETS
    if interval >= needed:
        return interval
    return next((i for i in _ROUND if i >= needed), math.ceil(needed / 86400) * 86400.0)


class Stats:
    """Per task name (or queue, worker, hour): counts, failure rate, runtime and queue wait.

    Also the processed and failed tasks per *interval* seconds (chosen from
    :data:`INTERVALS` when ``None``, by the span the lines cover).
    """

    def __init__(
        self,
        by: str = "name",
        since: float | None = None,
        until: float | None = None,
        interval: float | None = None,
    ) -> None:
        self.by = by
        self.since = since
        self.until = until
        self.interval = interval
        self.groups: dict[str, _Group] = {}
        self.buckets: dict[int, list[int]] = {}
        self._grain = interval or INTERVALS[0]
        self._quick = _Quick(by)
        self._hours: dict[int, str] = {}

    def add(self, event: LogEvent) -> None:
        """Count *event* if it is a lifecycle event in the time range."""
        name = event.event
        if name not in _COUNTED and name != "task_started":
            return
        if name == "task_started":
            self.count(name, event.ts, event, None, event.seconds("queue_wait_ms"), final=False)
        else:
            self.count(name, event.ts, event, event.duration, None, final=_final(event))

    def count(
        self,
        name: str,
        ts: float,
        keyed: LogEvent | str | None,
        duration: float | None,
        wait: float | None,
        *,
        final: bool,
    ) -> None:
        """Count one lifecycle event: *keyed* is its line, or the value it is grouped by."""
        if (self.since is not None and ts < self.since) or (
            self.until is not None and ts >= self.until
        ):
            return
        if self.by == "hour":
            hour = int(ts // 3600)
            key = self._hours.get(hour) or self._hours.setdefault(
                hour, (iso(ts // 3600 * 3600) or "")[:13] + ":00Z"
            )
        elif isinstance(keyed, LogEvent):
            key = self._key(keyed)
        else:
            key = keyed if keyed is not None else "(none)"
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = _Group()
        if name == "task_started":
            if wait is not None:
                group.queue_wait.add(wait)
            return
        counts = group.counts
        counts[_COUNTED[name]] += 1
        if duration is not None:
            group.runtime.add(duration)
        if final:
            counts["processed"] += 1
            index = int(ts // self._grain)
            bucket = self.buckets.get(index)
            if bucket is None:
                bucket = self.buckets[index] = [0, 0]
            bucket[0] += 1
            bucket[1] += name == "task_failed"

    def take(self, raw: bytes | bytearray) -> bool:
        """Count the line *raw* if its shape is usual; ``False`` if it must be parsed.

        See :class:`_Quick`: most of a large log's lifecycle lines are read this way,
        about three times faster, with the same answers as a parse.
        """
        return self._quick.take(self, raw)

    def _key(self, event: LogEvent) -> str:
        value = {"name": event.task_name, "queue": event.queue, "worker": event.worker}[self.by]
        return value if value is not None else "(none)"

    def merge(self, other: Stats) -> None:
        """Add *other*'s counts (a part of the input read elsewhere) to these."""
        for key, theirs in other.groups.items():
            ours = self.groups.setdefault(key, _Group())
            ours.counts.update(theirs.counts)
            ours.runtime.merge(theirs.runtime)
            ours.queue_wait.merge(theirs.queue_wait)
        for index, (processed, failed) in other.buckets.items():
            bucket = self.buckets.setdefault(index, [0, 0])
            bucket[0] += processed
            bucket[1] += failed

    def result(self, read: int, skipped: int) -> dict[str, Any]:
        """Return the ``stats --json`` document."""
        groups = []
        for key in sorted(self.groups, key=lambda k: (-self.groups[k].counts["processed"], k)):
            group = self.groups[key]
            counts = group.counts
            processed = counts["processed"]
            groups.append(
                {
                    "key": key,
                    "processed": processed,
                    **{name: counts[name] for name in _COUNTED.values()},
                    "failure_rate": round(counts["failed"] / processed, 6) if processed else 0.0,
                    "runtime": group.runtime.summary(),
                    "queue_wait": group.queue_wait.summary(),
                }
            )
        interval, buckets = self._series()
        return {
            "since": iso(self.since),
            "until": iso(self.until),
            "by": self.by,
            "groups": groups,
            "series": {"interval": interval, "buckets": buckets},
            "lines": {"read": read, "skipped": skipped},
        }

    def _series(self) -> tuple[float, list[dict[str, Any]]]:
        grain = self._grain
        interval = self.interval
        if not self.buckets:
            return interval or grain, []
        first, last = min(self.buckets), max(self.buckets)
        span = (last - first + 1) * grain
        if interval is None:
            interval = next((i for i in INTERVALS if span / i <= 120), INTERVALS[-1])
        interval = _bounded(interval, span)
        merged: dict[int, list[int]] = {}
        for index, (processed, failed) in self.buckets.items():
            bucket = merged.setdefault(int(index * grain // interval), [0, 0])
            bucket[0] += processed
            bucket[1] += failed
        start, end = min(merged), max(merged)
        series = [
            {"start": iso(i * interval), "processed": merged.get(i, [0, 0])[0],
             "failed": merged.get(i, [0, 0])[1]}
            for i in range(start, end + 1)
        ]  # fmt: skip
        return interval, series


_STATS = frozenset(STATS_EVENTS)


class _Quick:
    """Reads a stats line's few values straight from its parse, when its shape is usual.

    A :class:`LogEvent` finds each value by its schema's path, trying other spellings
    of the path (dotted keys nested, nested keys dotted) and building the line's
    object: about 8 µs a line, most of ``stats``' time on a large log.  Here a line
    parsed by orjson (so malformed lines, bad UTF-8 and the rest are what a parse
    says) is read with a few ``dict.get`` for the shapes celery-logkit writes: its
    schema told by the same keys in the same order as :func:`normalise`, each value's
    object where the schema puts it.  Any other shape (a value whose object is
    missing or is not an object, which a parse would look for spelled another way; a
    rejection, whose ``requeue`` decides whether it ends the task) is left to the
    parse, so the answers are the same.
    """

    def __init__(self, by: str) -> None:
        self.by = by
        self.seconds: dict[str, float] = {}

    def take(self, stats: Stats, raw: bytes | bytearray) -> bool:
        """Count *raw* in *stats* if its shape is usual; ``False``: parse it as before."""
        try:
            line = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return False
        if type(line) is not dict:
            return False
        get = line.get
        stamp = get("timestamp")
        if type(stamp) is str and type(get("level")) is str:  # the default schema's line
            schema, name, scale, fields = "default", get("event"), 1.0, line
            duration = get("duration_ms")
        else:
            values = _values(line)
            if values is None:
                return False
            schema, stamp, name, duration, scale, fields = values
        ts = self._time(stamp)
        if ts is None:
            return False
        if type(name) is not str or name not in _STATS:
            return True  # a line read, not a stats event
        if name == "task_rejected":
            return False
        key = None
        if self.by == "name":  # where every schema writes it
            key = get("task_name")
            if key is not None and type(key) is not str:
                key = str(key)
        elif self.by != "hour":
            key = _key(line, schema, fields, self.by)
            if key is _UNUSUAL:
                return False
        _tally(stats, name, ts, key, duration, scale, fields)
        return True

    def _time(self, stamp: str) -> float | None:
        """Return what :func:`parse_time` does; keep a usual timestamp's second's."""
        base = self.seconds.get(stamp[:19])
        if base is not None and len(stamp) == 24 and stamp[19] == "." and stamp[23] == "Z":
            fraction = stamp[20:23]  # what parse_time reads, for the usual timestamp
            return float(base + int(fraction) / 1000) if fraction.isdigit() else parse_time(stamp)
        ts = parse_time(stamp)
        if ts is not None and len(stamp) == 24 and stamp[19] == "." and stamp[23] == "Z":
            try:
                moment = _dt.datetime.fromisoformat(stamp[:19])
            except ValueError:
                return ts
            if len(self.seconds) > 100_000:
                self.seconds.clear()
            self.seconds[stamp[:19]] = moment.replace(tzinfo=_dt.UTC).timestamp()
        return ts


def _tally(
    stats: Stats,
    name: str,
    ts: float,
    key: str | None,
    duration: Any,
    scale: float,
    fields: dict[str, Any],
) -> None:
    """Count a usual line's event: its duration in *scale* milliseconds, its wait."""
    if name == "task_started":
        wait = fields.get("queue_wait_ms")
        wait = float(wait / 1000) if type(wait) is int or type(wait) is float else None
        stats.count(name, ts, key, None, wait, final=False)
    else:
        seconds = None
        if type(duration) is int or type(duration) is float:
            seconds = float(duration / scale / 1000)
        stats.count(name, ts, key, seconds, None, final=name in FINAL)


_UNUSUAL: Any = object()


def _values(line: dict[str, Any]) -> tuple[str, str, Any, Any, float, dict[str, Any]] | None:
    """Return a usual line's schema, timestamp, event, duration, its scale and own fields.

    ``None`` when the line's shape is not the usual one (a parse must read it).
    """
    get = line.get
    stamp = get("timestamp")
    if type(stamp) is str and type(get("level")) is str:
        return "default", stamp, get("event"), get("duration_ms"), 1.0, line
    fields = get("celery")
    if type(fields) is not dict:
        return None
    if type(stamp) is str and get("@timestamp") is None:
        evt = get("evt")
        if type(get("status")) is not str or type(evt) is not dict:
            return None
        return "datadog", stamp, evt.get("name"), get("duration"), 1_000_000, fields
    stamp, event = get("@timestamp"), get("event")
    if type(stamp) is not str or type(get("log.level")) is not str or type(event) is not dict:
        return None
    return "ecs", stamp, event.get("action"), event.get("duration"), 1_000_000, fields


def _key(line: dict[str, Any], schema: str, fields: dict[str, Any], by: str) -> Any:
    """Return the value a usual line is grouped *by* (queue, worker) as text."""
    if schema == "default":
        key = line.get(by)
    elif schema == "datadog" or by == "queue":
        key = fields.get(by)
    else:  # an ecs line's worker: service.node.name
        node = line.get("service")
        node = node.get("node") if type(node) is dict else None
        if type(node) is not dict:
            return _UNUSUAL
        key = node.get("name")
    return key if key is None or type(key) is str else str(key)


_MASKS = (
    (
        re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),
        "<id>",
    ),
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "<hex>"),
    (re.compile(r"\b[0-9a-fA-F]*[0-9][0-9a-fA-F]*[a-fA-F][0-9a-fA-F]*\b(?<=\w{8})"), "<hex>"),
    (re.compile(r"\d+(?:\.\d+)?"), "<n>"),
)


def mask(message: str) -> str:
    """Return *message* with ids (uuids, hex strings) and numbers masked, to group by."""
    for pattern, replacement in _MASKS:
        message = pattern.sub(replacement, message)
    return message


@dataclass
class _Failure:
    task_name: str
    error_type: str
    message: str
    count: int = 0
    first: float = math.inf
    last: float = -math.inf
    sample: str = ""
    stack: str | None = None


class Failures:
    """Failures grouped by task name, error type and message (ids and numbers masked)."""

    def __init__(self, since: float | None = None, until: float | None = None) -> None:
        self.since = since
        self.until = until
        self.kinds: dict[tuple[str, str, str], _Failure] = {}

    def add(self, event: LogEvent) -> None:
        """Count *event* if it is a failure in the time range."""
        if event.event not in _FAILED:
            return
        if (self.since is not None and event.ts < self.since) or (
            self.until is not None and event.ts >= self.until
        ):
            return
        error_type, message = event.error_type, event.error_message
        if error_type is None:
            error_type, _, message = event.message.rpartition(": ")[2].partition(": ")
            error_type = error_type or "(unknown)"
        masked = mask(message or "")
        key = (event.task_name or "(unknown)", error_type, masked)
        kind = self.kinds.get(key)
        if kind is None:
            kind = self.kinds[key] = _Failure(*key)
        kind.count += 1
        if event.ts < kind.first:  # the sample and its stack are the first failure's
            kind.first, kind.sample = event.ts, event.task_id or ""
            kind.stack = event.stack or kind.stack
        elif kind.stack is None:
            kind.stack = event.stack
        kind.last = max(kind.last, event.ts)

    def result(self, read: int, skipped: int) -> dict[str, Any]:
        """Return the ``failures --json`` document, the most frequent kind first."""
        kinds = sorted(self.kinds.values(), key=lambda k: (-k.count, k.task_name, k.error_type))
        return {
            "groups": [
                {
                    "task_name": k.task_name,
                    "error_type": k.error_type,
                    "message": k.message,
                    "count": k.count,
                    "first_seen": iso(k.first),
                    "last_seen": iso(k.last),
                    "sample_task_id": k.sample,
                    "stack": k.stack,
                }
                for k in kinds
            ],
            "lines": {"read": read, "skipped": skipped},
        }


STUCK_EVENTS = ("task_received", "task_started", *sorted(ATTEMPT_ENDS), "worker_started")
"""The events ``stuck`` and ``workers`` read (and the shutdown lines)."""


@dataclass
class _Run:
    """One run of a worker: from its ``worker_started`` (if seen) to its last line."""

    worker: str
    started: float | None = None
    start_fields: dict[str, Any] = field(default_factory=dict)
    host: str | None = None
    last_seen: float = -math.inf
    stopped: float | None = None
    lost: bool = False
    tasks: int = 0
    failures: int = 0
    sources: set[str] = field(default_factory=set)


class Workers:
    """Each worker seen: its runs, from start to a clean stop, or lost; tasks handled.

    A line without a worker (celery's shutdown notice) is the worker's whose line its
    input had last.  A run's state (:meth:`state`, which ``stuck`` uses too) is
    ``stopped`` when a shutdown line ends it; ``lost`` when the same node name starts
    again with no shutdown line between; at the end of the input, ``silent`` (running,
    or lost: the logs cannot tell) when its last line is *silent_after* seconds or more
    older than the input's last line (or ``--now``); else ``running``.
    """

    def __init__(self, silent_after: float = 300.0) -> None:
        self.silent_after = silent_after
        self.runs: dict[str, list[_Run]] = {}
        self._current: dict[str, str] = {}
        self.latest = -math.inf

    def state(self, run: _Run, reference: float) -> str:
        """Return *run*'s state, ages measured against *reference* (see the class)."""
        if run.stopped is not None:
            return "stopped"
        if run.lost:
            return "lost"
        if run.last_seen > -math.inf and reference - run.last_seen >= self.silent_after:
            return "silent"
        return "running"

    def _run(self, worker: str) -> _Run:
        runs = self.runs.setdefault(worker, [])
        if not runs:
            runs.append(_Run(worker))
        return runs[-1]

    def add(self, event: LogEvent) -> None:
        """Follow *event*: a start, a stop, a task's end, or just a sign of life."""
        self.latest = max(self.latest, event.ts)
        worker = event.worker or self._current.get(event.source)
        if worker is None:
            return
        self._current[event.source] = worker
        if event.event == "worker_started":
            self._started(worker, event)
            return
        run = self._run(worker)
        run.sources.add(event.source)
        run.last_seen = max(run.last_seen, event.ts)
        if event.host and run.host is None:
            run.host = event.host
        if event.event is None:
            if (
                event.worker is None
                and event.message.startswith("worker: ")
                and any(word in event.message for word in SHUTDOWN)
            ):
                run.stopped = event.ts
        elif _final(event):
            run.tasks += 1
            run.failures += event.event == "task_failed"

    def _started(self, worker: str, event: LogEvent) -> None:
        runs = self.runs.setdefault(worker, [])
        if runs and (runs[-1].started is not None or runs[-1].tasks) and runs[-1].stopped is None:
            runs[-1].lost = True
        if not runs or runs[-1].started is not None or runs[-1].tasks:
            runs.append(_Run(worker))
        run = runs[-1]
        run.started = event.ts
        run.last_seen = max(run.last_seen, event.ts)
        run.start_fields = dict(event.fields)
        run.host = event.host or run.host
        run.sources.add(event.source)

    def seen(self, event: LogEvent) -> None:
        """Note an input's last line (read even when markers ruled it out)."""
        self.latest = max(self.latest, event.ts)
        worker = event.worker or self._current.get(event.source)
        if worker is not None and worker in self.runs:
            run = self.runs[worker][-1]
            run.last_seen = max(run.last_seen, event.ts)

    def result(self, read: int, skipped: int, now: float | None = None) -> dict[str, Any]:
        """Return the ``workers --json`` document: one entry per run, by worker then start.

        Ages are against *now*, or the input's last line.
        """
        reference = now if now is not None else self.latest
        out = []
        for worker in sorted(self.runs):
            for run in self.runs[worker]:
                fields = run.start_fields
                out.append(
                    {
                        "worker": worker,
                        "host": run.host or (worker.partition("@")[2] or None),
                        "pool": fields.get("pool"),
                        "concurrency": fields.get("concurrency"),
                        "celery_version": fields.get("celery_version"),
                        "queues": fields.get("queues"),
                        "started": iso(run.started),
                        "stopped": iso(run.stopped),
                        "state": self.state(run, reference),
                        "last_seen": iso(run.last_seen if run.last_seen > -math.inf else None),
                        "tasks": run.tasks,
                        "failures": run.failures,
                    }
                )
        return {"workers": out, "lines": {"read": read, "skipped": skipped}}


@dataclass
class _Pending:
    task_name: str
    worker: str | None
    step: int
    ts: float


class Stuck:
    """What ``inspect active`` / ``reserved`` would say: tasks started or received, not ended.

    A task's state is its latest lifecycle event by timestamp, so inputs may be read in
    any order.  Workers whose last line is older than *silent_after* seconds, or whose
    run was lost (see :class:`Workers`), are listed too.
    """

    def __init__(self, silent_after: float = 300.0) -> None:
        self.silent_after = silent_after
        self.pending: dict[str, _Pending] = {}
        self.ended: dict[str, float] = {}
        self.workers = Workers(silent_after)
        self.latest = -math.inf

    def add(self, event: LogEvent) -> None:
        """Follow *event*."""
        self.latest = max(self.latest, event.ts)
        self.workers.add(event)
        name, task_id = event.event, event.task_id
        if task_id is None or name is None:
            return
        step = _STEP.get(name)
        if step is not None and step > 0:
            if self.ended.get(task_id, -math.inf) >= event.ts:
                return
            known = self.pending.get(task_id)
            if known is None or (known.ts, known.step) <= (event.ts, step):
                self.pending[task_id] = _Pending(
                    event.task_name or "(unknown)", event.worker, step, event.ts
                )
        elif name in ATTEMPT_ENDS:
            known = self.pending.get(task_id)
            if known is not None and known.ts <= event.ts:
                del self.pending[task_id]
            # Only what may still come out of order is kept: an end newer than the pending.
            if known is None or known.ts <= event.ts:
                self.ended[task_id] = event.ts
                if len(self.ended) > 200_000:
                    self.ended.clear()

    def seen(self, event: LogEvent) -> None:
        """Note an input's last line (read even when markers ruled it out)."""
        self.latest = max(self.latest, event.ts)
        self.workers.seen(event)

    def result(self, read: int, skipped: int, now: float | None = None) -> dict[str, Any]:
        """Return the ``stuck --json`` document; ages are against *now* or the last line."""
        as_of = now if now is not None else self.latest if self.latest > -math.inf else None
        reference = as_of or 0.0
        active, reserved = [], []
        for task_id, pending in sorted(self.pending.items(), key=lambda item: item[1].ts):
            entry = {"task_id": task_id, "task_name": pending.task_name, "worker": pending.worker}
            age = round(max(0.0, reference - pending.ts), 3)
            if pending.step == _STEP["task_started"]:
                active.append({**entry, "started": iso(pending.ts), "age": age})
            else:
                reserved.append({**entry, "received": iso(pending.ts), "age": age})
        workers = []
        for worker in sorted(self.workers.runs):
            for run in self.workers.runs[worker]:
                if run.stopped is not None or run.last_seen == -math.inf:
                    continue
                state = self.workers.state(run, reference)
                if state in ("lost", "silent"):
                    age = round(max(0.0, reference - run.last_seen), 3)
                    workers.append(
                        {"worker": worker, "last_seen": iso(run.last_seen), "age": age,
                         "state": state}
                    )  # fmt: skip
        return {
            "active": active,
            "reserved": reserved,
            "workers": workers,
            "as_of": iso(as_of),
            "lines": {"read": read, "skipped": skipped},
        }


@dataclass
class _Attempt:
    number: int
    events: list[LogEvent] = field(default_factory=list)
    lines: list[LogEvent] = field(default_factory=list)


@dataclass
class _Task:
    task_id: str
    task_name: str | None = None
    parent_id: str | None = None
    group_id: str | None = None
    root_id: str | None = None
    enqueued_by: list[LogEvent] = field(default_factory=list)
    children: set[str] = field(default_factory=set)
    attempts: dict[int, _Attempt] = field(default_factory=dict)


class Story:
    """One task's story, and its family's: each task's attempts, as a tree from the root.

    Fed the lines that name the task, its root or its group; children are found by
    ``parent_id`` and by the ``task_enqueued`` lines' ``child_task_id``.
    """

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        self.tasks: dict[str, _Task] = {}
        self.seen: set[tuple[str, float, str]] = set()

    def _task(self, task_id: str) -> _Task:
        task = self.tasks.get(task_id)
        if task is None:
            task = self.tasks[task_id] = _Task(task_id)
        return task

    def roots(self) -> set[str]:
        """Return the root and group ids the task's lines name (to read their lines too)."""
        task = self.tasks.get(self.task_id)
        if task is None:
            return set()
        return {i for i in (task.root_id, task.group_id) if i and i != self.task_id}

    def add(self, event: LogEvent) -> None:
        """Place *event* in its task's attempt (once, however many times it is fed)."""
        key = (event.source, event.ts, event.message)
        if key in self.seen:
            return
        self.seen.add(key)
        if event.event == "task_enqueued":
            child_id = event.field("child_task_id")
            if isinstance(child_id, str):
                child = self._task(child_id)
                if event.task_id != child_id:  # not a retry's own message
                    child.enqueued_by.append(event)
                child.task_name = child.task_name or _text(event.field("child_task_name"))
                if event.task_id is not None and event.task_id != child_id:
                    self._task(event.task_id).children.add(child_id)
                    child.parent_id = child.parent_id or event.task_id
        if event.task_id is None:
            return
        task = self._task(event.task_id)
        task.task_name = event.task_name or task.task_name
        task.root_id = event.root_id or task.root_id
        task.group_id = event.group_id or task.group_id
        if event.parent_id and event.parent_id != event.task_id:
            task.parent_id = event.parent_id
            self._task(event.parent_id).children.add(event.task_id)
        if event.event == "task_enqueued":
            return
        number = (event.retries or 0) + 1
        if event.event == "task_started" and isinstance(event.field("attempt"), int):
            number = event.field("attempt")
        attempt = task.attempts.get(number)
        if attempt is None:
            attempt = task.attempts[number] = _Attempt(number)
        (attempt.events if event.event else attempt.lines).append(event)

    def found(self) -> bool:
        """Whether any line named the task."""
        return self.task_id in self.tasks

    def result(self, read: int | None, skipped: int, *, verbose: bool = False) -> dict[str, Any]:
        """Return the ``task --json`` document: the family's tree, from its root.

        *read* is ``None`` when the lines were found by searching the bytes, not counted.
        """
        start = min(
            (e.ts for t in self.tasks.values() for a in t.attempts.values() for e in a.events),
            default=None,
        )
        top = self._top()
        return {
            "task_id": self.task_id,
            "root_id": top,
            "first_event": iso(start),
            "tree": self._node(top, start or 0.0, verbose, set()) if top else None,
            "lines": {"read": read, "skipped": skipped},
        }

    def _top(self) -> str | None:
        if not self.found():
            return None
        current = self.task_id
        visited = {current}
        while True:
            parent = self.tasks[current].parent_id
            if parent is None or parent in visited or parent not in self.tasks:
                return current
            visited.add(parent)
            current = parent

    def _node(self, task_id: str, start: float, verbose: bool, done: set[str]) -> dict[str, Any]:
        done.add(task_id)
        task = self.tasks[task_id]
        attempts = [self._attempt(a, start, verbose) for _, a in sorted(task.attempts.items())]
        last = attempts[-1]["outcome"] if attempts else None
        children = sorted(
            (c for c in task.children if c in self.tasks and c not in done),
            key=self._first,
        )
        enqueued = task.enqueued_by[0] if task.enqueued_by else None
        by = None
        if enqueued is not None:
            by = {
                "at": iso(enqueued.ts),
                "offset": round(enqueued.ts - start, 6),
                "by": enqueued.task_id,
                "by_name": enqueued.task_name,
                "worker": enqueued.worker,
            }
        return {
            "task_id": task_id,
            "task_name": task.task_name,
            "parent_id": task.parent_id,
            "group_id": task.group_id,
            "state": _STATE.get(last or "") or "no final event (still running, or lost)",
            "enqueued": by,
            "attempts": attempts,
            "children": [self._node(c, start, verbose, done) for c in children],
            "focus": task_id == self.task_id,
        }

    def _first(self, task_id: str) -> float:
        events = [e.ts for a in self.tasks[task_id].attempts.values() for e in a.events]
        events += [e.ts for e in self.tasks[task_id].enqueued_by]
        return min(events, default=math.inf)

    @staticmethod
    def _attempt(attempt: _Attempt, start: float, verbose: bool) -> dict[str, Any]:
        by_event: dict[str, LogEvent] = {}
        for event in sorted(attempt.events, key=lambda e: e.ts):
            by_event.setdefault(event.event or "", event)
        end = next((by_event[n] for n in by_event if n in ATTEMPT_ENDS), None)
        received, started = by_event.get("task_received"), by_event.get("task_started")

        def at(event: LogEvent | None) -> float | None:
            return None if event is None else round(event.ts - start, 6)

        out: dict[str, Any] = {
            "attempt": attempt.number,
            "worker": next((e.worker for e in attempt.events if e.worker), None),
            "received": at(received),
            "started": at(started),
            "queue_wait": None if started is None else started.seconds("queue_wait_ms"),
            "ended": at(end),
            "outcome": None if end is None else end.event,
            "runtime": None if end is None else end.duration,
            "reason": None if end is None else end.field("reason"),
            "countdown": None if end is None else end.field("countdown"),
            "error_type": None if end is None else end.error_type,
            "error_message": None if end is None else end.error_message,
        }
        if verbose:
            out["stack"] = None if end is None else end.stack
            lines = sorted(attempt.events + attempt.lines, key=lambda e: e.ts)
            out["lines"] = [e.line.decode("utf-8", "replace") for e in lines if e.line]
        return out


_STATE = {
    "task_succeeded": "succeeded",
    "task_failed": "failed",
    "task_revoked": "revoked",
    "task_rejected": "rejected",
    "task_ignored": "ignored",
    "task_not_found": "not found",
    "task_internal_error": "internal error",
    "task_retrying": "retrying (no later attempt in the input)",
}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def feed(events: Iterable[LogEvent], *answers: Any) -> None:
    """Feed each of *events* to each of *answers* (objects with ``add``)."""
    adds = [answer.add for answer in answers]
    for event in events:
        for add in adds:
            add(event)
