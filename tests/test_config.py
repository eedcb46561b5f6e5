"""Options: validated once, from install() and from logkit_* settings."""

from __future__ import annotations

import logging

import pytest

from celery_logkit.config import DEFAULT_EVENT_LEVELS, Options


def test_defaults() -> None:
    options = Options()
    assert options.level("task_started") == logging.INFO
    assert options.level("task_retrying") == logging.WARNING
    assert options.level("task_failed") == logging.ERROR
    assert options.level("task_failed_expected") == logging.INFO
    assert options.level("task_received") == logging.DEBUG
    assert options.propagate == ("request_id", "correlation_id")
    assert set(DEFAULT_EVENT_LEVELS) >= {"task_enqueued", "task_revoked", "task_not_found"}


@pytest.mark.parametrize(
    ("value", "level"),
    [("warning", logging.WARNING), ("ERROR", logging.ERROR), (5, 5), (None, None), ("off", None)],
)
def test_event_levels_accept_names_numbers_and_off(value: object, level: int | None) -> None:
    assert Options(event_levels={"task_started": value}).level("task_started") == level


def test_unknown_event_and_bad_level_are_named() -> None:
    with pytest.raises(ValueError, match=r"'task_sarted'.*task_started"):
        Options(event_levels={"task_sarted": "INFO"})
    with pytest.raises(ValueError, match=r"event_levels\['task_started'\]='LOUD'"):
        Options(event_levels={"task_started": "LOUD"})


def test_propagate_accepts_a_comma_list() -> None:
    assert Options(propagate="request_id, tenant").propagate == ("request_id", "tenant")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="propagate"):
        Options(propagate=[1])  # type: ignore[list-item]


def test_settings_under_install_options() -> None:
    settings = {
        "logkit_keep_celery_lines": True,
        "logkit_event_levels": {"task_started": "WARNING", "task_succeeded": None},
        "broker_url": "memory://",
    }
    options = Options.resolve(settings, {"event_levels": {"task_started": "ERROR"}})
    assert options.keep_celery_lines is True
    assert options.level("task_started") == logging.ERROR
    assert options.level("task_succeeded") is None


def test_unknown_setting_is_named() -> None:
    with pytest.raises(ValueError, match=r"'logkit_shema'.*logkit_schema"):
        Options.resolve({"logkit_shema": "ecs"}, {})


def test_unknown_install_option_is_named() -> None:
    with pytest.raises(TypeError, match=r"'levels'.*event_levels"):
        Options.from_kwargs({"levels": {}})
