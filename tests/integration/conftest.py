"""Broker fixtures for the real-worker tests: each broker in turn, or the filesystem one."""

from __future__ import annotations

from pathlib import Path

import pytest

from .harness import Broker
from .helpers import filesystem_broker, make_broker


@pytest.fixture(params=["filesystem", "redis", "amqp"])
def any_broker(request: pytest.FixtureRequest, tmp_path: Path) -> Broker:
    """Each broker in turn."""
    return make_broker(request.param, tmp_path)


@pytest.fixture
def fs_broker(tmp_path: Path) -> Broker:
    """The embedded filesystem broker."""
    return filesystem_broker(tmp_path)
