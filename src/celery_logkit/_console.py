r"""A readable rendering for a developer's terminal, read at a glance.

``15:35:13.955Z info     proj.charge[4a978f15] charging card [proj.tasks] order_id=7``:
the time (UTC), the level (coloured when asked), the task as celery writes it with the first
8 characters of its id, the message, the logger and the caller's own fields as ``key=value``.
The rest of the task's context (its full id, root, parent, group, queue, worker, retries,
trace ids, service) is shown with ``context="full"``.  A line whose message already names
the task (a lifecycle line: ``Task proj.charge[<id>] succeeded``) does not repeat it.  The
following lines of a multi-line message and the stack of an exception are indented below
the line, so that no text of a record starts a line of its own.

Every text the line shows (message, task, logger name, level, field names and values, the
stack) goes through :func:`neutralise`: control characters, ANSI escape sequences and
format characters (zero-width, bidi) are shown escaped (``\\x1b``, ``\\u200b``), so a
logged string, or a field name taken from a client's input, cannot repaint the terminal,
hide text or forge a field or a line; a lone surrogate is shown as the JSON path writes it,
so that the line can be encoded by any handler.  A value is the JSON path's text of it,
placeholders included: one value that cannot be shown costs only itself.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from ._formatter import LineFormatter, Processor
from ._json import to_jsonable
from ._neutralise import neutralise
from ._vocabulary import TASK_FIELDS
from .schemas.default import DEFAULT

__all__ = ["ConsoleFormatter", "neutralise"]

_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_BOLD = "\x1b[1m"
_KEY = "\x1b[36m"
_COLOURS = {
    "debug": "\x1b[34m",
    "info": "\x1b[32m",
    "warning": "\x1b[33m",
    "error": "\x1b[31m",
    "critical": "\x1b[1;31m",
}
_LEADING = frozenset(
    {"timestamp", "level", "message", "logger", "error", "stack_info", "task_name"}
)
_CONTEXT = frozenset({*TASK_FIELDS, "event", "trace_id", "span_id"}) - {"task_name"}
"""What ``context="short"`` leaves out: the task's context bar its name, and trace ids."""

_CONSOLE = dataclasses.replace(
    DEFAULT,
    name="console",
    head=tuple(
        (role, path) for role, path in DEFAULT.head if role not in ("service", "env", "version")
    ),
)
"""The default schema without the service's names, the same on every line of a terminal:
a caller's own ``env`` or ``service`` is a field of theirs."""
_SHORT_ID = 8

Context = Literal["short", "full"]


def _shown(value: object) -> str:
    """Return *value* as the line shows it, neutralised; never raise.

    A string is itself; anything else is the JSON the JSON path writes of it, so that a
    value whose ``str`` or ``repr`` raises is ``"<unrepresentable Type>"`` and costs only
    itself, not the line.
    """
    if isinstance(value, str):
        return neutralise(value)
    return neutralise(json.dumps(to_jsonable(value), ensure_ascii=False))


def _token(text: str, separators: str = " ") -> str:
    """Return shown *text* quoted when empty or holding one of *separators*.

    A value is quoted when it holds a space; a field name also when it holds ``=``,
    which would otherwise move the boundary between name and value.
    """
    if not text or any(sep in text for sep in separators):
        return json.dumps(text, ensure_ascii=False)
    return text


def _value(value: object) -> str:
    """Return a field's *value* as shown: a string quoted as :func:`_token` says, else JSON."""
    return _token(_shown(value)) if isinstance(value, str) else _shown(value)


class ConsoleFormatter(LineFormatter):
    """Format records for a terminal: one short line, colours when ``colors``.

    ``context="short"`` shows the task as ``name[first 8 characters of its id]`` and the
    caller's fields; ``context="full"`` adds the task's whole context (full id, root,
    parent, group, queue, worker, retries), the trace ids and the lifecycle
    event's name, after the caller's fields.
    """

    fixed_schema = _CONSOLE

    def __init__(
        self,
        fmt: str | None = None,
        datefmt: str | None = None,
        style: Literal["%", "{", "$"] = "%",
        validate: bool = True,
        *,
        defaults: Mapping[str, Any] | None = None,
        colors: bool = False,
        context: Context = "short",
        redact_keys: Iterable[str] | None = None,
        processors: Sequence[Processor] | None = None,
    ) -> None:
        super().__init__(
            fmt, datefmt, style, validate, defaults=defaults, redact_keys=redact_keys,
            processors=processors,
        )  # fmt: skip
        if context not in ("short", "full"):
            msg = f"context={context!r} is not one of 'short', 'full'"
            raise ValueError(msg)
        self.colors = colors
        self.context = context

    def render(self, event: dict[str, Any], record: logging.LogRecord) -> str:
        """Return *event* as ``time level task message [logger] key=value ...``.

        The lines of the message after its first, then the stack, are indented below.
        """
        paint = _paint if self.colors else _plain
        level = _shown(event["level"])
        parts = [
            paint(_time(event["timestamp"]), _DIM),
            paint(f"{level:<8}", _COLOURS.get(level, "")),
        ]
        message = event["message"]
        first, *more = message.rstrip("\n").split("\n") if isinstance(message, str) else [message]
        task = _task(event, message)
        if task:
            parts.append(paint(task, _BOLD))
        parts.append(_shown(first))
        full = self.context == "full"
        if full or "event" not in event:
            parts.append(paint(f"[{_shown(event['logger'])}]", _DIM))
        fields = [(k, v) for k, v in event.items() if k not in _LEADING and k not in _CONTEXT]
        if full:
            fields += [(k, v) for k, v in event.items() if k in _CONTEXT]
        parts += [f"{paint(_token(_shown(k), ' ='), _KEY)}={_value(v)}" for k, v in fields]
        line = " ".join(parts)
        line += "".join(f"\n    {_shown(row)}" for row in more)
        error = event.get("error")
        if isinstance(error, Mapping):
            stack = error.get("stack_trace") or (
                f"{_shown(error.get('type'))}: {_shown(error.get('message'))}"
            )
            line += _indented(stack)
        if event.get("stack_info"):
            line += _indented(event["stack_info"])
        return line


def _paint(text: str, style: str) -> str:
    """Return *text* in *style* (an SGR escape sequence), then back to the terminal's own."""
    return f"{style}{text}{_RESET}"


def _plain(text: str, _style: str) -> str:
    """Return *text* as it is: no colours were asked for."""
    return text


def _time(timestamp: object) -> str:
    """Return an RFC 3339 UTC *timestamp*'s time of day (``15:35:13.955Z``), else all of it.

    A terminal is watched as the lines come: the day is the reader's own.  The ``Z`` says
    the time is UTC, not the terminal's.
    """
    if isinstance(timestamp, str) and len(timestamp) > 11 and timestamp[10] == "T":
        return _shown(timestamp[11:])
    return _shown(timestamp)


def _task(event: dict[str, Any], message: object) -> str:
    """Return the task as celery writes it, ``name[short id]``; ``""`` when there is none.

    Nothing either when *message* holds the task's id already (``Task name[id] started``).
    """
    task_id = event.get("task_id")
    name = event.get("task_name")
    if task_id is None:
        return "" if name is None else _shown(name)
    if isinstance(task_id, str):
        if isinstance(message, str) and task_id in message:
            return ""
        short = _shown(task_id[:_SHORT_ID])
    else:
        short = _shown(task_id)
    return f"{'' if name is None else _shown(name)}[{short}]"


def _indented(block: object) -> str:
    """Return *block* shown (a stack, a traceback) as lines indented below the line."""
    text = block if isinstance(block, str) else _shown(block)
    return "".join(f"\n    {neutralise(row)}" for row in text.splitlines())
