"""install() and celery beat: logkit's Beat class, and the banner as a record."""

from __future__ import annotations

import logging
import warnings
from typing import Any, ClassVar

import pytest
from celery import Celery
from celery.apps.beat import Beat as CeleryBeat

import celery_logkit
from celery_logkit import _install
from celery_logkit._beat import BeatIntegration

from .helpers import Captured


def test_install_gives_the_app_a_beat_class_once() -> None:
    app = Celery("beat_once", set_as_current=False)
    celery_logkit.install(app)
    patched = app.Beat
    assert issubclass(patched, CeleryBeat)
    assert patched.__name__ == "Beat"
    celery_logkit.install(app, schema="ecs")
    assert app.Beat is patched


def test_the_apps_own_beat_class_is_kept() -> None:
    class MyBeat(CeleryBeat):
        marker = "mine"

    app = Celery("beat_own", set_as_current=False)
    app.Beat = MyBeat
    celery_logkit.install(app)
    assert issubclass(app.Beat, MyBeat)
    assert app.Beat.marker == "mine"


def test_run_checks_the_options_and_silences_the_banner(monkeypatch: pytest.MonkeyPatch) -> None:
    app = Celery("beat_run", set_as_current=False)
    celery_logkit.install(app)
    ran: list[bool] = []
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)  # run() replaces it
    monkeypatch.setattr(CeleryBeat, "run", lambda self: ran.append(self.quiet))

    beat = app.Beat(logkit_schema="datadog", logkit_format=None)
    assert beat.logkit_command_line == {"logkit_schema": "datadog", "logkit_format": None}
    beat.run()
    assert ran == [True]
    assert _install._installation is not None
    assert _install._installation.options().schema == "datadog"

    celery_logkit.install(app, banner=True)
    app.Beat().run()
    assert ran == [True, False]

    with pytest.raises(SystemExit):
        app.Beat(logkit_schema="xml").run()
    celery_logkit.install(app)
    _install._installation.refresh({})


class FakeScheduler:
    max_interval = 5
    schedule_filename = "/var/run/beat"
    schedule: ClassVar[dict[str, int]] = {"b": 1, "a": 2}


class FakeService:
    def __init__(self, app: Celery, scheduler: Any) -> None:
        self.app = app
        self.scheduler = scheduler


def test_beat_init_logs_the_banner_as_fields(captured: Captured) -> None:
    app = Celery("beat_banner", broker="redis://:secret@localhost:6379/0", set_as_current=False)
    integration = BeatIntegration(worker=None)  # type: ignore[arg-type]
    integration.on_beat_init(sender=FakeService(app, FakeScheduler()))

    starting = captured.one("Beat starting")
    assert starting["logger"] == "celery.beat"
    assert starting["broker"] == "redis://:**@localhost:6379/0"
    assert starting["scheduler"].endswith("FakeScheduler")
    assert starting["schedule_entries"] == ["a", "b"]
    assert starting["schedule_filename"] == "/var/run/beat"
    assert starting["max_interval"] == 5


def test_a_failing_scheduler_still_gives_the_record(captured: Captured) -> None:
    class Broken:
        @property
        def schedule(self) -> Any:
            raise RuntimeError("database is down")

    app = Celery("beat_broken", set_as_current=False)
    BeatIntegration(worker=None).on_beat_init(sender=FakeService(app, Broken()))  # type: ignore[arg-type]
    starting = captured.one("Beat starting")
    assert "database is down" in starting["startup_info_error"]


def test_nothing_below_info(captured: Captured) -> None:
    beat_logger = logging.getLogger("celery.beat")
    old = beat_logger.level
    beat_logger.setLevel(logging.WARNING)
    try:
        BeatIntegration(worker=None).on_beat_init(  # type: ignore[arg-type]
            sender=FakeService(Celery("quiet", set_as_current=False), FakeScheduler())
        )
    finally:
        beat_logger.setLevel(old)
    assert captured.records == []


def test_an_app_whose_beat_cannot_be_replaced_still_installs() -> None:
    class ReadOnly(Celery):
        @property
        def Beat(self) -> type[CeleryBeat]:
            return CeleryBeat

    app = ReadOnly("beat_readonly", set_as_current=False)
    assert celery_logkit.install(app) is app
    assert app.Beat is CeleryBeat
