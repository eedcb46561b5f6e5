"""Brokers for the real-worker tests: the filesystem transport always, Redis and RabbitMQ
on loopback when they answer (``LOGKIT_REQUIRE_BROKERS=1`` turns their absence into a
failure, as in CI)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from .harness import Broker

REDIS_URL = os.environ.get("LOGKIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
AMQP_URL = os.environ.get("LOGKIT_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _require(name: str, host: str, port: int) -> None:
    if _answers(host, port):
        return
    reason = f"{name} does not answer on {host}:{port}"
    if os.environ.get("LOGKIT_REQUIRE_BROKERS") == "1":
        pytest.fail(f"{reason} and LOGKIT_REQUIRE_BROKERS=1")
    pytest.skip(reason)


def filesystem_broker(tmp_path: Path) -> Broker:
    folder = tmp_path / "broker"
    folder.mkdir()
    return Broker(
        "filesystem",
        "filesystem://",
        {
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "control_folder": str(folder / "control"),
            "polling_interval": 0.05,
        },
    )


def make_broker(name: str, tmp_path: Path) -> Broker:
    if name == "redis":
        _require("Redis", "127.0.0.1", 6379)
        return Broker("redis", REDIS_URL)
    if name == "amqp":
        _require("RabbitMQ", "127.0.0.1", 5672)
        return Broker("amqp", AMQP_URL)
    return filesystem_broker(tmp_path)
