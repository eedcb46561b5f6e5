"""The shipping examples: Filebeat's ndjson parser and the Datadog Agent's file source."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import yaml

from celery_logkit import JsonFormatter
from celery_logkit._vocabulary import EventRecord

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def expand_keys(obj: dict[str, Any]) -> dict[str, Any]:
    """Filebeat's ``expand_keys``: dotted keys become objects; a clash is an error."""
    out: dict[str, Any] = {}
    for key, raw in obj.items():
        value = expand_keys(raw) if isinstance(raw, dict) else raw
        *parents, leaf = key.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
            assert isinstance(node, dict), f"{key}: {part} is a value and an object"
        if isinstance(value, dict) and isinstance(node.get(leaf), dict):
            node[leaf].update(value)
        else:
            assert leaf not in node, f"{key} clashes"
            node[leaf] = value
    return out


def ecs_lines() -> list[dict[str, Any]]:
    formatter = JsonFormatter(schema="ecs", service="billing")
    out = []
    fields = {"log.origin": "x", "user": {"id": 1}, "error": "string", "order.id": 5}
    try:
        raise ValueError("boom")
    except ValueError:
        exc = sys.exc_info()
    for attrs in ({}, fields, {"event": "task_failed"}):
        record = logging.LogRecord("proj", logging.ERROR, __file__, 1, "m", (), exc)
        record.__dict__.update(attrs)
        if "event" in attrs:
            record.__class__ = EventRecord
        out.append(json.loads(formatter.format(record)))
    return out


def test_filebeat_reads_ecs_lines_with_the_ndjson_parser() -> None:
    config = yaml.safe_load((EXAMPLES / "elk" / "filebeat.yml").read_text())
    (source,) = config["filebeat.inputs"]
    assert source["type"] == "filestream"
    ndjson = source["parsers"][0]["ndjson"]
    assert ndjson["target"] == ""
    assert ndjson["expand_keys"] is True
    assert ndjson["overwrite_keys"] is True
    for line in ecs_lines():
        expanded = expand_keys(line)
        assert expanded["log"]["level"] == "error"
        assert expanded["ecs"]["version"] == line["ecs.version"]
        assert isinstance(expanded["error"], dict)


def test_datadog_agent_tails_the_lines() -> None:
    config = yaml.safe_load(
        (EXAMPLES / "datadog" / "conf.d" / "celery.d" / "conf.yaml").read_text()
    )
    (source,) = config["logs"]
    assert source["type"] == "file"
    assert source["source"] == "python"
    assert source["path"].endswith(".ndjson")
