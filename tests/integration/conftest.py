"""Broker fixtures for the real-worker tests: each broker in turn, or the filesystem one;
real workers' logs in each schema for the ``celery-logkit`` command's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from .cli_logs import SCHEMAS, CliLogs, generate
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


class CliLogStore:
    """The ``celery-logkit`` fixtures: each schema's logs, generated once per session."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._made: dict[str, CliLogs] = {}

    def get(self, schema: str) -> CliLogs:
        if schema not in self._made:
            make_broker("redis", self.root)  # skips (or fails, in CI) without Redis
            folder = self.root / schema
            self._made[schema] = CliLogs(folder, generate(schema, folder))
        return self._made[schema]


@pytest.fixture(scope="session")
def cli_log_store(tmp_path_factory: pytest.TempPathFactory) -> CliLogStore:
    return CliLogStore(tmp_path_factory.mktemp("cli-logs"))


@pytest.fixture(params=SCHEMAS)
def cli_logs(request: pytest.FixtureRequest, cli_log_store: CliLogStore) -> CliLogs:
    """Real workers' logs in each schema in turn, with what their producer knows."""
    return cli_log_store.get(request.param)
