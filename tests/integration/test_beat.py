"""A real ``celery beat`` (and a worker's embedded beat) writes only JSON lines."""

from __future__ import annotations

import json
from pathlib import Path

import celery
import pytest

from .harness import Beat, Broker, Worker, event_name

pytestmark = pytest.mark.worker

SCHEDULE = {"tick": {"task": "worker_app.add", "schedule": 0.5, "args": [1, 2]}}


def beat_env(**install_options: object) -> dict[str, str]:
    return {
        "LOGKIT_SETTINGS": json.dumps({"beat_schedule": SCHEDULE}),
        "LOGKIT_INSTALL_OPTIONS": json.dumps(install_options),
    }


def is_sent(record: dict[str, object]) -> bool:
    return record.get("message") == "Scheduler: Sending due task tick (worker_app.add)"


def lost_its_exit(beat: Beat) -> bool:
    """Whether celery's SIGTERM handler raised SystemExit in a finaliser, which Python ignores.

    celery beat's handler closes the schedule, then raises SystemExit; when the signal lands
    in ``AsyncResult.__del__`` the exit is "ignored" and the next tick fails on the closed
    shelf, so beat exits with 1.  A race of celery's own (5.7), with or without logkit.
    """
    messages = [str(r.get("message", "")) for r in beat.records]
    return (
        any(m.startswith("Exception ignored in") for m in messages)
        and any("raise SystemExit()" in m for m in messages)
        and any("invalid operation on closed shelf" in m for m in messages)
    )


@pytest.mark.parametrize("schema", ["default", "ecs", "datadog"])
def test_beat_writes_only_json_and_its_banner_as_a_record(
    fs_broker: Broker, tmp_path: Path, schema: str
) -> None:
    """The banner's facts are one ``beat_started`` event; ECS and Datadog put them under
    ``celery``."""
    beat = Beat(fs_broker, tmp_path, env={**beat_env(), "LOGKIT_SCHEMA": schema}).start()
    try:
        beat.wait_for_count(lambda r: event_name(r) == "task_enqueued", 3, timeout=60)
    finally:
        code = beat.stop()
    assert code == 0 or lost_its_exit(beat), beat.lines[-20:]

    bad = [f"{line.stream}: {line.text!r}" for line in beat.not_json]
    assert not bad, "lines that are not JSON objects:\n" + "\n".join(bad)
    records = beat.records
    assert not any("celery beat v" in json.dumps(r) for r in records), "the text banner"
    (starting,) = [r for r in records if r["message"] == "Beat starting"]
    assert event_name(starting) == "beat_started", starting
    if schema == "ecs":
        assert starting["log"]["logger"] == "celery.beat"
        assert starting["log.level"] == "info"
        fields = starting["celery"]
    elif schema == "datadog":
        assert (starting["logger"]["name"], starting["status"]) == ("celery.beat", "info")
        fields = starting["celery"]
    else:
        assert starting["logger"] == "celery.beat"
        fields = starting
    if schema != "default":
        assert "scheduler" not in starting, "the facts are under celery"
    assert fields["celery_version"] == celery.__version__
    assert fields["scheduler"] == "celery.beat.PersistentScheduler"
    assert fields["schedule_entries"] == ["celery.backend_cleanup", "tick"]
    assert fields["schedule_filename"] == str(tmp_path / "beat-schedule")
    assert fields["broker"].startswith("filesystem://")
    assert fields["max_interval"] == 1

    assert len([r for r in records if is_sent(r)]) >= 3
    messages = [r["message"] for r in records]
    assert messages.index("beat: Starting...") < messages.index("Beat starting")


def test_beat_keeps_the_text_banner_when_asked(fs_broker: Broker, tmp_path: Path) -> None:
    beat = Beat(fs_broker, tmp_path, env=beat_env(banner=True)).start()
    try:
        beat.wait_for(is_sent, timeout=60)
    finally:
        beat.stop()
    text = [line.text for line in beat.not_json]
    assert any("celery beat v" in t for t in text), text
    assert any(r["message"] == "Beat starting" for r in beat.records)


def test_beat_takes_the_command_line_option_and_stops_on_a_bad_value(
    fs_broker: Broker, tmp_path: Path
) -> None:
    beat = Beat(fs_broker, tmp_path, env=beat_env(), extra_args=["--logkit-schema", "datadog"])
    beat.start()
    try:
        sent = beat.wait_for(lambda r: r.get("message", "").startswith("Scheduler: Sending"))
    finally:
        beat.stop()
    assert sent["logger"] == {"name": "celery.beat", "thread_name": "MainThread"}
    assert sent["status"] == "info"

    bad = Beat(fs_broker, tmp_path, env={**beat_env(), "LOGKIT_EVENT_LEVELS": "task_sent=INFO"})
    bad.start()
    assert bad.wait_exit(timeout=60) == 1
    assert not bad.not_json, bad.not_json
    (critical,) = bad.records
    assert critical["level"] == "critical"
    assert "LOGKIT_EVENT_LEVELS" in critical["message"]


def test_embedded_beat_in_a_worker(fs_broker: Broker, tmp_path: Path) -> None:
    worker = Worker(
        fs_broker, tmp_path, pool="solo", concurrency=1, env=beat_env(),
        extra_args=["-B", "-s", str(tmp_path / "beat-schedule")],
    )  # fmt: skip
    with worker:
        worker.wait_for_count(lambda r: r.get("event") == "task_succeeded", 2, timeout=60)
    assert not worker.not_json, worker.not_json
    records = worker.records
    assert any(r["message"] == "Beat starting" for r in records)
    sent = [r for r in records if is_sent(r)]
    assert sent
    assert all("task_id" not in r for r in sent)
