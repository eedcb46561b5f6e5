r"""Text from the logs made safe to show on a terminal: :func:`neutralise`.

Control characters, ANSI escape sequences and format characters (zero-width, bidi) are
shown escaped (``\\x1b``, ``\\u200b``), so that a logged string cannot repaint the
terminal, hide text or forge a line.  Its own module, importing nothing heavy, so that the
``celery-logkit`` command's tables use it without loading the formatters (celery,
OpenTelemetry) that :mod:`celery_logkit._console` needs.
"""

from __future__ import annotations

import functools
import sys
import unicodedata

from ._json import _text

__all__ = ["neutralise"]

_CONTROL = {i: f"\\x{i:02x}" for i in [*range(0x20), 0x7F]} | {
    0x0A: "\\n",
    0x0D: "\\r",
    0x09: "\\t",
    **{i: f"\\x{i:02x}" for i in range(0x80, 0xA0)},
}


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
