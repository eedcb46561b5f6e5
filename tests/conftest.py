"""Shared fixtures: a handler that captures what the logkit formatter writes."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from celery_logkit import JsonFormatter, clear_contextvars

from .helpers import Captured


@pytest.fixture
def captured() -> Iterator[Captured]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield Captured(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        clear_contextvars()


@pytest.fixture(autouse=True)
def _configuration_restored() -> Iterator[None]:
    """Each test starts with the options in force as they were: an install() stays its own."""
    from celery_logkit import _config, _install

    saved = (_config._current, _config._source, _config._app_name, _install._installation)
    _config._app_name = None  # no service named after an app another test module installed
    try:
        yield
    finally:
        _config._current, _config._source, _config._app_name, _install._installation = saved
