"""The options :func:`celery_logkit.install` takes, validated once at install time."""

from __future__ import annotations

import dataclasses
from typing import Any

from .schemas import SCHEMAS

__all__ = ["Options"]

FORMATS = ("json",)


@dataclasses.dataclass(frozen=True)
class Options:
    """What :func:`~celery_logkit.install` was asked for.

    ``schema``: the field names on each line (``"default"``).
    ``format``: ``"json"``, one JSON object per line.
    ``banner``: keep celery's text start-up banner on stdout (off by default: it is
    not JSON; a structured ``Worker starting`` record carries the same facts).
    """

    schema: str = "default"
    format: str = "json"
    banner: bool = False

    def __post_init__(self) -> None:
        if self.schema not in SCHEMAS:
            accepted = ", ".join(repr(n) for n in sorted(SCHEMAS))
            raise ValueError(f"schema={self.schema!r} is not one of {accepted}")
        if self.format not in FORMATS:
            accepted = ", ".join(repr(f) for f in FORMATS)
            raise ValueError(f"format={self.format!r} is not one of {accepted}")
        if not isinstance(self.banner, bool):
            raise TypeError(f"banner={self.banner!r} must be True or False")

    @classmethod
    def from_kwargs(cls, options: dict[str, Any]) -> Options:
        """Build from ``install()``'s keyword arguments; unknown names fail clearly."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(
                f"install() got unknown option(s) {', '.join(map(repr, unknown))}; "
                f"accepted options are {', '.join(sorted(known))}"
            )
        return cls(**options)
