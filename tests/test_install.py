"""install(): validated options, nothing at import, receivers connected once."""

from __future__ import annotations

import subprocess
import sys

import pytest
from celery import Celery, signals

import celery_logkit
from celery_logkit.config import Options


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
