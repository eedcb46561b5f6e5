r"""A readable ``key=value`` rendering for a developer's terminal.

``2026-11-25T15:35:13.955Z info     charging card  [proj.tasks] task_id=… order_id=7``,
the level coloured when asked, the stack of an exception indented below the line.
Every text the line shows (message, logger name, level, field names and values, the
stack) goes through :func:`neutralise`: control characters, ANSI escape sequences and
format characters (zero-width, bidi) are shown escaped (``\\x1b``, ``\\u200b``), so a
logged string, or a field name taken from a client's input, cannot repaint the terminal,
hide text or forge a field or a line; a lone surrogate is shown as the JSON path writes it,
so that the line can be encoded by any handler.  A value is the JSON path's text of it,
placeholders included: one value that cannot be shown costs only itself.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from ._json import _text, to_jsonable
from .formatter import LineFormatter, Processor
from .schemas.default import DEFAULT

__all__ = ["ConsoleFormatter", "neutralise"]

_CONTROL = {i: f"\\x{i:02x}" for i in [*range(0x20), 0x7F]} | {
    0x0A: "\\n",
    0x0D: "\\r",
    0x09: "\\t",
    **{i: f"\\x{i:02x}" for i in range(0x80, 0xA0)},
}

_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_COLOURS = {
    "debug": "\x1b[34m",
    "info": "\x1b[32m",
    "warning": "\x1b[33m",
    "error": "\x1b[31m",
    "critical": "\x1b[1;31m",
}
_LEADING = ("timestamp", "level", "message", "logger", "error", "stack_info")


@functools.cache
def _escapes() -> dict[int, str]:
    """Return the control characters' escapes and the format characters' (category Cf).

    Built on the first text that is not ASCII (scanning every code point takes a
    noticeable fraction of a second), from the running Python's Unicode database.
    """
    format_chars = (
        code for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) == "Cf"
    )
    return _CONTROL | {code: _escape(code) for code in format_chars}


def _escape(code: int) -> str:
    r"""Return the code point *code* as Python writes it escaped: ``\xad``, ``\u200b``..."""
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def neutralise(text: str) -> str:
    r"""Return *text* safe to print: control and format characters shown escaped.

    Control characters (ESC, CR, LF, C1...) would repaint the terminal or start a line;
    format characters (zero-width spaces, bidi overrides, U+FEFF...) hide or reorder
    text, so ``\u200btask_id=forged`` would look like a field of the line's own.  A lone
    surrogate, which no handler can encode, is written as the JSON path writes it.
    """
    if text.isascii():
        return text.translate(_CONTROL)
    return _text(text).translate(_escapes())


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
    """Format records for a terminal: one readable line, colours when ``colors``."""

    fixed_schema = DEFAULT

    def __init__(
        self,
        fmt: str | None = None,
        datefmt: str | None = None,
        style: Literal["%", "{", "$"] = "%",
        validate: bool = True,
        *,
        defaults: Mapping[str, Any] | None = None,
        colors: bool = False,
        redact_keys: Iterable[str] | None = None,
        processors: Sequence[Processor] | None = None,
    ) -> None:
        super().__init__(
            fmt, datefmt, style, validate, defaults=defaults, redact_keys=redact_keys,
            processors=processors,
        )  # fmt: skip
        self.colors = colors

    def render(self, event: dict[str, Any], record: logging.LogRecord) -> str:
        """Return *event* as ``time level message [logger] key=value ...``."""
        level = _shown(event["level"])
        shown_level = f"{level:<8}"
        if self.colors:
            shown_level = f"{_COLOURS.get(level, '')}{shown_level}{_RESET}"
        logger = f"[{_shown(event['logger'])}]"
        if self.colors:
            logger = f"{_DIM}{logger}{_RESET}"
        parts = [_shown(event["timestamp"]), shown_level, _shown(event["message"]), logger]
        parts += [
            f"{_token(_shown(k), ' =')}={_value(v)}" for k, v in event.items() if k not in _LEADING
        ]
        line = " ".join(parts)
        error = event.get("error")
        if isinstance(error, Mapping):
            stack = error.get("stack_trace") or (
                f"{_shown(error.get('type'))}: {_shown(error.get('message'))}"
            )
            line += _indented(stack)
        if event.get("stack_info"):
            line += _indented(event["stack_info"])
        return line


def _indented(block: object) -> str:
    """Return *block* shown (a stack, a traceback) as lines indented below the line."""
    text = block if isinstance(block, str) else _shown(block)
    return "".join(f"\n    {neutralise(row)}" for row in text.splitlines())
