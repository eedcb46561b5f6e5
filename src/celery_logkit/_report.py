"""A placeholder for the HTML report (``celery-logkit report --html``), replaced by its own work.

:func:`render_html` has the signature the command calls; this version writes the three
documents as preformatted JSON in one self-contained page.
"""

from __future__ import annotations

import html
import json
from typing import Any

__all__ = ["render_html"]


def render_html(
    stats: dict[str, Any], failures: list[dict[str, Any]], stuck: dict[str, Any], *, title: str
) -> str:
    """Return one self-contained HTML page of *stats*, *failures* and *stuck*."""
    parts = [f"<h1>{html.escape(title)}</h1>"]
    for name, document in (("Stats", stats), ("Failures", failures), ("Stuck", stuck)):
        text = html.escape(json.dumps(document, indent=2))
        parts.append(f"<h2>{name}</h2><pre>{text}</pre>")
    body = "\n".join(parts)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body>{body}</body></html>\n"
    )
