"""Helpers the unit tests share: the JSON lines a handler on the root logger captured."""

from __future__ import annotations

import io
import json
from typing import Any


class Captured:
    """The JSON lines written through a handler on the root logger."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    @property
    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]

    def one(self, message: str) -> dict[str, Any]:
        found = [r for r in self.records if r["message"] == message]
        assert len(found) == 1, (message, self.records)
        return found[0]
