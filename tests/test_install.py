"""install(): validated options, nothing at import, receivers connected once."""

from __future__ import annotations

import subprocess
import sys

import pytest
from celery import Celery, signals

import celery_logkit
from celery_logkit._config import Options


def test_import_configures_nothing() -> None:
    code = (
        "import logging, warnings; before = warnings.showwarning; import celery_logkit;"
        "from celery import signals;"
        "assert not logging.getLogger().handlers;"
        "assert warnings.showwarning is before;"
        "assert not signals.task_prerun.receivers and not signals.after_setup_logger.receivers"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_install_twice_connects_once() -> None:
    app = Celery("twice", set_as_current=False)
    celery_logkit.install(app)
    before = len(signals.task_prerun.receivers)
    assert celery_logkit.install(app) is app
    assert len(signals.task_prerun.receivers) == before


def test_unknown_option_is_named() -> None:
    with pytest.raises(
        TypeError,
        match=r"'schemaa'.*accepted options are banner, env, event_levels, format",
    ):
        celery_logkit.install(Celery("bad", set_as_current=False), schemaa="ecs")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"schema": "nope"}, "schema='nope'"), ({"format": "xml"}, "format='xml'")],
)
def test_bad_values_are_named(kwargs: dict[str, str], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        Options.from_kwargs(kwargs)


def test_install_adds_the_worker_and_beat_options_once() -> None:
    app = Celery("flags", set_as_current=False)
    celery_logkit.install(app)
    celery_logkit.install(app, schema="ecs")
    for command in ("worker", "beat"):
        flags = sorted(opt for option in app.user_options[command] for opt in option.opts)
        assert flags == ["--logkit-format", "--logkit-schema"]
    assert not app.user_options["preload"], "other commands are left alone"


def test_worker_options_reach_the_options() -> None:
    from celery_logkit._cli import from_worker_options

    given = {"logkit_schema": "ecs", "logkit_format": None, "concurrency": 2}
    assert from_worker_options(given) == {"schema": "ecs"}
    assert from_worker_options(None) == {}


def test_outside_a_worker_a_bad_variable_is_logged_and_install_options_used(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from celery_logkit import _install

    monkeypatch.setenv("LOGKIT_MAX_LINE_BYTES", "lots")
    app = Celery("producer", set_as_current=False)
    celery_logkit.install(app, schema="ecs")
    assert _install._installation is not None
    with caplog.at_level("ERROR", logger="celery_logkit"):
        options = _install._installation.options()
    assert options.schema == "ecs"
    assert options.max_line_bytes == 16384
    assert "LOGKIT_MAX_LINE_BYTES='lots' is not a whole number of bytes" in caplog.text
    with pytest.raises(ValueError, match="LOGKIT_MAX_LINE_BYTES"):
        _install._installation.refresh({})
    celery_logkit.install(app)  # leave a clean installation behind
