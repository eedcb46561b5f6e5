"""The answers, fed lines the library's own formatter wrote, in every schema at once."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from celery_logkit._answers import (
    STATS_EVENTS,
    Failures,
    Sketch,
    Stats,
    Story,
    Stuck,
    Workers,
    feed,
    mask,
)
from celery_logkit._read import LIFECYCLE, LogEvent, Scan, lifecycle, normalise

from .test_read import T0, line

A = "aaaaaaaa-0000-4000-8000-000000000001"
C = "cccccccc-0000-4000-8000-000000000003"
B = "bbbbbbbb-0000-4000-8000-000000000002"
D = "dddddddd-0000-4000-8000-000000000004"
E = "eeeeeeee-0000-4000-8000-000000000005"


def task(task_id: str, name: str, retries: int = 0, **more: Any) -> dict[str, Any]:
    return {"task_id": task_id, "task_name": name, "retries": retries, "root_id": A,
            "queue": "q", "worker": "celery@w1", **more}  # fmt: skip


def read(schema: str, *args: Any, **kwargs: Any) -> LogEvent:
    text = line(schema, *args, **kwargs)
    event = normalise(orjson.loads(text), f"{schema}.log", text.encode())
    assert event is not None
    return event


def story_lines() -> list[LogEvent]:
    """A retried task A (default schema) whose child C fails (ecs); B waits, D runs (datadog)."""
    return [
        read("default", "task_received", task=task(A, "shop.order"), at=T0),
        read("default", "task_started", task=task(A, "shop.order"), at=T0 + 1,
             fields={"attempt": 1, "queue_wait_ms": 1000.0}),
        read("default", "task_retrying", task=task(A, "shop.order"), at=T0 + 2,
             fields={"reason": "ConnectionError: down", "countdown": 5, "duration_ms": 1000.0}),
        read("default", "task_received", task=task(A, "shop.order", 1), at=T0 + 7),
        read("default", "task_started", task=task(A, "shop.order", 1), at=T0 + 7.5,
             fields={"attempt": 2, "queue_wait_ms": 500.0}),
        read("default", task=task(A, "shop.order", 1), message="own line", at=T0 + 7.6,
             logger="shop"),
        read("default", "task_enqueued", task=task(A, "shop.order", 1), at=T0 + 7.7,
             fields={"child_task_id": C, "child_task_name": "shop.charge"}),
        read("default", "task_succeeded", task=task(A, "shop.order", 1), at=T0 + 8,
             fields={"duration_ms": 500.0}),
        read("ecs", "task_started", task=task(C, "shop.charge", parent_id=A), at=T0 + 8.5,
             fields={"attempt": 1, "queue_wait_ms": 800.0}),
        read("ecs", "task_failed", task=task(C, "shop.charge", parent_id=A), at=T0 + 9,
             fields={"duration_ms": 500.0}, level=logging.ERROR, stack="Traceback\nValueError"),
        read("datadog", "task_received", task=task(B, "shop.mail", root_id=B), at=T0 + 3),
        read("datadog", "task_started", task=task(D, "shop.mail", root_id=D), at=T0 + 4,
             fields={"attempt": 1, "queue_wait_ms": 100.0}),
    ]  # fmt: skip


def test_the_sketch_is_within_one_percent() -> None:
    rng = random.Random(3)
    values = [rng.lognormvariate(0, 2) for _ in range(20_000)]
    sketch = Sketch()
    for value in values:
        sketch.add(value)
    values.sort()
    for q in (0.5, 0.95, 0.99):
        exact = values[int(q * (len(values) - 1))]
        assert sketch.quantile(q) == pytest.approx(exact, rel=0.021)
    assert sketch.max == values[-1]
    assert len(sketch.bins) < 1000  # bounded by the values' range, not their number
    other = Sketch()
    other.merge(sketch)
    assert other.quantile(0.5) == sketch.quantile(0.5)
    assert Sketch().quantile(0.5) is None


def test_stats_count_each_outcome_and_time_each_step() -> None:
    stats = Stats()
    feed(story_lines(), stats)
    document = stats.result(12, 0)
    groups = {g["key"]: g for g in document["groups"]}
    order, charge, mail = groups["shop.order"], groups["shop.charge"], groups["shop.mail"]
    assert (order["processed"], order["succeeded"], order["retried"]) == (1, 1, 1)
    assert (charge["processed"], charge["failed"], charge["failure_rate"]) == (1, 1, 1.0)
    assert mail["processed"] == 0
    assert order["runtime"]["max"] == pytest.approx(1.0)
    assert order["runtime"]["p50"] == pytest.approx(0.5, rel=0.02)
    assert order["queue_wait"]["max"] == pytest.approx(1.0)
    assert charge["queue_wait"]["p50"] == pytest.approx(0.8, rel=0.02)
    assert document["lines"] == {"read": 12, "skipped": 0}
    buckets = document["series"]["buckets"]
    assert document["series"]["interval"] == 60.0
    assert [(b["processed"], b["failed"]) for b in buckets] == [(2, 1)]
    assert buckets[0]["start"] == "2026-01-01T00:00:00.000Z"


def test_stats_by_worker_and_in_a_time_range() -> None:
    stats = Stats(by="worker", since=T0 + 8.2)
    feed(story_lines(), stats)
    groups = stats.result(0, 0)["groups"]
    assert [(g["key"], g["processed"], g["failed"]) for g in groups] == [("celery@w1", 1, 1)]
    hourly = Stats(by="hour")
    feed(story_lines(), hourly)
    assert [g["key"] for g in hourly.result(0, 0)["groups"]] == ["2026-01-01T00:00Z"]


def test_failures_are_grouped_with_ids_and_numbers_masked() -> None:
    failures = Failures()
    for n, (at, order) in enumerate(((T0 + 5, 81723), (T0 + 1, 42), (T0 + 3, 7))):
        failures.add(read("datadog", "task_failed",
                          task=task(f"{n}eeeeeee-0000-4000-8000-000000000000", "shop.charge"),
                          at=at, level=logging.ERROR, stack=f"Traceback {order}"))  # fmt: skip
    failures.add(read("default", "task_succeeded", task=task(A, "shop.order")))
    groups = failures.result(0, 0)["groups"]
    assert len(groups) == 1
    kind = groups[0]
    assert (kind["task_name"], kind["error_type"], kind["count"]) == (
        "shop.charge",
        "ValueError",
        3,
    )
    assert kind["message"] == "bad card <n>"
    assert kind["first_seen"] == "2026-01-01T00:00:01.000Z"
    assert kind["last_seen"] == "2026-01-01T00:00:05.000Z"
    assert kind["sample_task_id"] == "1eeeeeee-0000-4000-8000-000000000000"
    assert kind["stack"] == "Traceback 42"


def test_mask() -> None:
    assert mask(f"order 42 of {A} at 0x7f3a failed after 1.5 s") == (
        "order <n> of <id> at <hex> failed after <n> s"
    )


def test_stuck_lists_what_started_or_arrived_and_never_ended() -> None:
    stuck = Stuck()
    events = story_lines()
    feed(reversed(events), stuck)  # order of reading does not matter, timestamps do
    document = stuck.result(12, 0)
    assert [(t["task_id"], t["age"]) for t in document["active"]] == [(D, 5.0)]
    assert [(t["task_id"], t["age"]) for t in document["reserved"]] == [(B, 6.0)]
    assert document["as_of"] == "2026-01-01T00:00:09.000Z"
    later = stuck.result(12, 0, now=T0 + 3600)
    assert later["workers"] == [
        {"worker": "celery@w1", "last_seen": "2026-01-01T00:00:09.000Z", "age": 3591.0,
         "state": "silent"}
    ]  # fmt: skip


def started(worker: str, at: float, source: str) -> LogEvent:
    event = normalise(orjson.loads(line(
        "ecs", "worker_started", task={"worker": worker}, at=at, logger="celery.apps.worker",
        fields={"pool": "prefork", "concurrency": 4, "celery_version": "5.7.0", "queues": ["q"]},
    )), source)  # fmt: skip
    assert event is not None
    return event


def test_workers_started_stopped_and_lost() -> None:
    shutdown = normalise(orjson.loads(line(
        "ecs", message="worker: Warm shutdown (MainProcess)", at=T0 + 50,
        logger="celery.apps.worker", level=logging.WARNING,
    )), "w1.log")  # fmt: skip
    ended = read("ecs", "task_succeeded", task=task(A, "x", worker="celery@w2"), at=T0 + 20)
    assert shutdown is not None
    workers = Workers()
    feed([started("celery@w1", T0, "w1.log"), shutdown, started("celery@w2", T0, "w2.log"),
          ended, started("celery@w2", T0 + 60, "w2.log")], workers)  # fmt: skip
    rows = workers.result(5, 0)["workers"]
    assert [(r["worker"], r["state"], r["tasks"]) for r in rows] == [
        ("celery@w1", "stopped", 0),
        ("celery@w2", "lost", 1),
        ("celery@w2", "running", 0),
    ]
    assert rows[0]["stopped"] == "2026-01-01T00:00:50.000Z"
    assert (rows[0]["pool"], rows[0]["concurrency"], rows[0]["queues"]) == ("prefork", 4, ["q"])
    assert rows[0]["host"] is not None


def test_a_tasks_story_is_its_familys_tree() -> None:
    story = Story(C)
    events = story_lines()
    feed(events, story)
    assert story.roots() == {A}
    feed(events, story)  # lines read twice (by id, then by root) count once
    document = story.result(12, 0, verbose=True)
    tree = document["tree"]
    assert document["root_id"] == A
    assert (tree["task_id"], tree["state"], tree["focus"]) == (A, "succeeded", False)
    first, second = tree["attempts"]
    assert (first["outcome"], first["reason"], first["countdown"]) == (
        "task_retrying", "ConnectionError: down", 5,
    )  # fmt: skip
    assert (second["received"], second["started"], second["queue_wait"]) == (7.0, 7.5, 0.5)
    assert len(second["lines"]) == 4  # received, started, its own line, succeeded
    (child,) = tree["children"]
    assert (child["task_id"], child["state"], child["focus"]) == (C, "failed", True)
    assert child["enqueued"]["by"] == A
    assert child["attempts"][0]["error_type"] == "ValueError"
    assert child["attempts"][0]["stack"] == "Traceback\nValueError"


def test_a_task_with_no_end_says_so() -> None:
    story = Story(D)
    feed(story_lines(), story)
    node = story.result(0, 0)["tree"]
    assert node["state"] == "no final event (still running, or lost)"
    assert node["attempts"][0]["outcome"] is None
    missing = Story("nope")
    assert not missing.found()
    assert missing.result(0, 0)["tree"] is None


def test_an_ignored_task_ends_counted_as_ignored() -> None:
    """``task_ignored`` (celery's ``Ignore``) is a final state: counted, and not stuck."""
    lines = [
        read(schema, event, task=task(E, "shop.skip"), at=T0 + n,
             fields={"reason": "duplicate", "duration_ms": 20.0} if event == "task_ignored"
             else {"attempt": 1, "queue_wait_ms": 5.0})
        for schema in ("default", "ecs", "datadog")
        for n, event in enumerate(("task_started", "task_ignored"))
    ]  # fmt: skip
    stats, stuck, story = Stats(), Stuck(), Story(E)
    feed(lines, stats, stuck, story)
    (group,) = stats.result(0, 0)["groups"]
    assert (group["processed"], group["ignored"], group["succeeded"]) == (3, 3, 0)
    assert stuck.result(0, 0)["active"] == []
    node = story.result(0, 0)["tree"]
    assert node["state"] == "ignored"
    assert node["attempts"][0]["outcome"] == "task_ignored"


def test_workers_and_stuck_agree_on_lost_and_silent() -> None:
    """Lost: started again with no shutdown between; silent: quiet for --silent-after."""
    lines = [
        started("celery@w1", T0, "w1.log"),
        started("celery@w1", T0 + 10, "w1.log"),  # the first run: lost
        started("celery@w2", T0, "w2.log"),
        read("default", "task_succeeded", task=task(A, "x", worker="celery@w2"), at=T0 + 20),
        read("default", "task_succeeded", task=task(B, "x", worker="celery@w1"), at=T0 + 400),
    ]
    workers, stuck = Workers(silent_after=300), Stuck(silent_after=300)
    feed(lines, workers, stuck)
    states = [(r["worker"], r["state"]) for r in workers.result(0, 0)["workers"]]
    assert states == [("celery@w1", "lost"), ("celery@w1", "running"), ("celery@w2", "silent")]
    listed = [(w["worker"], w["state"]) for w in stuck.result(0, 0)["workers"]]
    assert listed == [(w, s) for w, s in states if s in ("lost", "silent")]
    later = Workers(silent_after=1000)
    feed(lines, later)
    assert [r["state"] for r in later.result(0, 0)["workers"]] == ["lost", "running", "running"]


def awkward_log() -> bytes:
    """Lifecycle lines in every schema with awkward values, and lines that are not usual.

    Quotes, backslashes and unicode in the values read; a task name with a ``"``;
    missing fields; numbers of every type; foreign lines; a malformed line; a line
    as an export writes it (``": "``); a requeued rejection; nested keys dotted.
    """
    rng = random.Random(17)
    names = ["shop.order", 'shop."quoted"', "shop.back\\slash", "shop.ünïcode ✓", "shop.tab\t"]
    events = ["task_started", "task_succeeded", "task_failed", "task_retrying", "task_revoked",
              "task_ignored", "task_rejected", "task_received"]  # fmt: skip
    lines: list[bytes] = []
    for n in range(600):
        schema = ("default", "ecs", "datadog")[n % 3]
        event = rng.choice(events)
        more: dict[str, Any] = {
            "queue": rng.choice(["q", "q\\2", None]),
            "worker": rng.choice(["celery@w1", 'celery@"w2"', None]),
        }
        fields: dict[str, Any] = {}
        if event == "task_started" and rng.random() < 0.9:
            fields["queue_wait_ms"] = rng.choice([12, 0, 3.25, rng.uniform(0, 5000)])
        elif rng.random() < 0.9:
            fields["duration_ms"] = rng.choice([7, 0, 0.001, rng.uniform(0, 90_000)])
        if event == "task_rejected":
            fields["requeue"] = rng.random() < 0.5
        name = rng.choice([*names, None])
        task_fields = {k: v for k, v in task(A, name or "", **more).items() if v is not None}
        if name is None:
            del task_fields["task_name"]
        at = T0 + n * 37.123 + rng.random()
        message = rng.choice(['a "b" c\\d', "ünï"])
        text = line(schema, event, task=task_fields, fields=fields, at=at, message=message)
        lines.append(text.encode())
    usual = orjson.loads(lines[1])
    lines += [
        orjson.dumps(usual).replace(b'":', b'": '),  # an export's spacing
        orjson.dumps({**usual, "timestamp": "2026-01-01T10:00:00+02:00"}),  # an offset
        orjson.dumps({**usual, "timestamp": "2026-01-01T10:00:00.5Z"}),  # another precision
        orjson.dumps({**usual, "timestamp": "not a time"}),
        orjson.dumps({**usual, "task_name": 42, "duration_ms": True}),  # other types
        orjson.dumps({**usual, "event": ["task_succeeded"]}),
        orjson.dumps(dict(reversed(list(usual.items())))),  # another key order
        orjson.dumps({k: v for k, v in usual.items() if k != "level"}),  # no schema's line
        b'{"timestamp":"2026-01-01T00:00:01.000Z","level":"info","event":"task_succeeded",',
        b"plain text from a shell script: task_succeeded",
        b'{"@timestamp":"2026-01-01T00:00:02.000Z","log":{"level":"info"},'
        b'"event.action":"task_succeeded","event":"x","task_name":"dotted"}',
        b'{"@timestamp":"2026-01-01T00:00:02.000Z","log.level":"info",'
        b'"event":{"action":"task_succeeded","duration":5},"task_name":"no celery"}',
        b'{"timestamp":"2026-01-01T00:00:03.000Z","status":"info","evt":{"name":"task_failed"},'
        b'"duration":3000000000,"task_name":"dd","celery":{"worker":1,"queue":"q"}}',
        b'{"timestamp":"2026-01-01T00:00:03.000Z","status":"info","evt":"task_failed",'
        b'"task_name":"dd","celery":{}}',
        b'\xff{"timestamp":"2026-01-01T00:00:01.000Z","level":"info","event":"task_failed"}',
    ]
    rng.shuffle(lines)
    return b"\n".join(lines) + b"\n"


@pytest.mark.parametrize("by", ["name", "queue", "worker", "hour"])
@pytest.mark.parametrize("since", [None, T0 + 4000])
def test_stats_read_from_a_lines_parse_or_its_values_agree(by: str, since: float | None) -> None:
    # Stats.take reads most lines' values without a LogEvent: its answers must be a
    # full parse's, whatever the lines hold.
    log = awkward_log()
    documents = []
    taken: list[bool] = []
    for quick in (False, True):
        stats = Stats(by=by, since=since, interval=1.0)
        scan = Scan(markers=(LIFECYCLE,), accept=lifecycle(*STATS_EVENTS))
        if quick:
            scan.take = counted(stats.take, taken)
        feed(scan.lines_of(log, "awkward.log"), stats)
        documents.append((stats.result(scan.read, scan.skipped), scan.malformed))
    assert documents[0] == documents[1]
    result, malformed = documents[0]
    assert sum(g["processed"] for g in result["groups"]) > 100
    assert len(malformed) == 1
    assert taken.count(True) > 300  # most lines were read from their values,
    assert taken.count(False) > 20  # and the unusual ones parsed


def counted(take: Callable[[bytes | bytearray], bool], taken: list[bool]) -> Any:
    """Return *take*, noting in *taken* what it returns."""

    def noted(raw: bytes | bytearray) -> bool:
        taken.append(take(raw))
        return taken[-1]

    return noted
