"""``celery-logkit report --html``: one self-contained HTML page from the command's answers.

:func:`render_html` takes the ``--json`` documents of ``stats``, ``failures`` and ``stuck``
and returns a page that reads offline with nothing fetched: the CSS is inline, the charts
are SVG drawn here by pygal (the ``cli`` extra), and the page holds no script at all —
pygal's own (a tooltip loader from the network, and a config object holding the chart's
labels) is taken out.  Every value from the logs (task names, messages, stacks, worker
names) is attacker-controlled text: it is escaped wherever it lands, in HTML or in SVG.

A worker never imports this module: importing ``celery_logkit`` does not import it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pygal
from pygal.style import Style

__all__ = ["render_html"]

PERCENTILES = ("p50", "p95", "p99", "max")
TOP_FAILURES = 20
"""How many failure groups the page lists (the ``failures`` document is sorted already)."""

_SCRIPT = re.compile(r"<script\b[^>]*?(?:/>|>.*?</script>)", re.DOTALL)
"""A ``<script>`` element as pygal's serialiser writes it: text in it is escaped, so the
first ``</script>`` is its end."""

_STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    foreground="#24292f",
    foreground_strong="#24292f",
    foreground_subtle="#8c959f",
    colors=("#0969da", "#cf222e", "#bf8700", "#8250df"),
    font_family="system-ui, sans-serif",
)

_CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, sans-serif; color: #24292f; margin: 0 auto;
       max-width: 1200px; padding: 1.5rem; background: #f6f8fa; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: .5rem 0; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1rem; margin: 1rem 0 .25rem; }
.meta { color: #57606a; margin: 0; }
section { background: #fff; border: 1px solid #d0d7de; border-radius: 6px;
          padding: .5rem 1rem 1rem; margin-bottom: 1rem; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #eaeef2;
         vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.n, th.n { text-align: right; white-space: nowrap; }
td.key, td.id { font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
td.key { min-width: 14em; }
tr.bad td.rate { color: #cf222e; font-weight: 600; }
.chart svg { width: 100%; height: auto; }
details summary { cursor: pointer; color: #0969da; }
pre { background: #f6f8fa; padding: .5rem; overflow-x: auto; white-space: pre-wrap;
      word-break: break-all; font-size: 12px; }
.none { color: #57606a; font-style: italic; }
.lost { color: #cf222e; font-weight: 600; }
"""


def render_html(
    stats: Mapping[str, Any],
    failures: Sequence[Mapping[str, Any]],
    stuck: Mapping[str, Any],
    *,
    title: str,
) -> str:
    """Return the page: stats, charts, percentiles, top failures, stuck tasks and workers.

    *stats* is ``stats --json``'s document, *failures* the ``groups`` of ``failures
    --json``, *stuck* ``stuck --json``'s document (the keys the command's contract names).
    """
    groups = list(stats.get("groups") or [])
    body = "\n".join(
        (
            f"<h1>{_esc(title)}</h1>",
            _meta(stats),
            _section("Tasks", _stats_table(groups, str(stats.get("by") or "name"))),
            _section("Processed and failed over time", _series_chart(stats.get("series"))),
            _section("Runtime per task", _percentiles(groups, "runtime")),
            _section("Queue wait per task", _percentiles(groups, "queue_wait")),
            _section("Top failures", _failures(failures)),
            _section("Stuck", _stuck(stuck)),
        )
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )


# -- pieces ---------------------------------------------------------------------------


def _esc(value: object) -> str:
    """*value* as HTML text (quotes too: it may land in an attribute)."""
    return html.escape("" if value is None else str(value), quote=True)


def _section(heading: str, content: str) -> str:
    return f"<section><h2>{_esc(heading)}</h2>\n{content}\n</section>"


def _meta(stats: Mapping[str, Any]) -> str:
    lines = stats.get("lines") or {}
    window = " to ".join(
        _esc(stats.get(end)) for end in ("since", "until") if stats.get(end) is not None
    )
    parts = [f"{_count(lines.get('read'))} lines read, {_count(lines.get('skipped'))} skipped"]
    if window:
        parts.append(f"from {window}")
    return f'<p class="meta">{"; ".join(parts)}</p>'


def _count(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else "—"


def _seconds(value: object) -> str:
    """Write a duration in seconds in the unit that reads best (µs to hours)."""
    if not isinstance(value, int | float):
        return "—"
    if value < 0.001:
        return f"{value * 1e6:.0f} µs"
    if value < 1:
        return f"{value * 1e3:.1f} ms"
    if value < 120:
        return f"{value:.2f} s"
    if value < 7200:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.1f} h"


def _interval(value: object) -> str:
    """Write a bucket's width: whole minutes and hours as such (``5 min``), else a duration."""
    if isinstance(value, int | float) and value >= 60 and value % 60 == 0:
        return f"{value / 3600:g} h" if value % 3600 == 0 else f"{value / 60:g} min"
    return _seconds(value)


def _table(headers: Sequence[str], rows: Iterable[str], *, numeric_from: int) -> str:
    cells = "".join(
        f"<th{' class=n' if index >= numeric_from else ''}>{_esc(name)}</th>"
        for index, name in enumerate(headers)
    )
    return f"<table><thead><tr>{cells}</tr></thead><tbody>\n{''.join(rows)}</tbody></table>"


def _none(what: str) -> str:
    return f'<p class="none">{_esc(what)}</p>'


def _stats_table(groups: Sequence[Mapping[str, Any]], by: str) -> str:
    if not groups:
        return _none("No task reached an end in the input.")
    rows = []
    for row in groups:
        rate = row.get("failure_rate")
        rate_text = f"{rate * 100:.1f} %" if isinstance(rate, int | float) else "—"
        runtime, wait = row.get("runtime") or {}, row.get("queue_wait") or {}
        numbers = [
            *(_count(row.get(k)) for k in ("processed", "succeeded", "failed", "retried")),
            *(_count(row.get(k)) for k in ("revoked", "rejected", "ignored")),
        ]
        cells = "".join(f'<td class="n">{n}</td>' for n in numbers)
        timing = "".join(
            f'<td class="n">{_seconds(part.get(p))}</td>'
            for part in (runtime, wait)
            for p in ("p50", "p95")
        )
        bad = ' class="bad"' if row.get("failed") else ""
        rows.append(
            f'<tr{bad}><td class="key">{_esc(row.get("key"))}</td>{cells}'
            f'<td class="n rate">{rate_text}</td>{timing}</tr>\n'
        )
    headers = [by, "processed", "succeeded", "failed", "retried", "revoked", "rejected", "ignored"]
    headers += ["failure rate", "runtime p50", "runtime p95", "wait p50", "wait p95"]
    return _table(headers, rows, numeric_from=1)


def _svg(chart: Any) -> str:
    """*chart* as inline SVG with no script: nothing runs, nothing is fetched."""
    svg = chart.render(is_unicode=True, disable_xml_declaration=True)
    return f'<div class="chart">{_SCRIPT.sub("", str(svg))}</div>'


def _chart_config(**overrides: Any) -> dict[str, Any]:
    """Return the options of every chart here: no script to load, the page's colours."""
    return {
        "style": _STYLE,
        "js": [],
        "width": 960,
        "height": 360,
        "legend_at_bottom": True,
        "truncate_label": 40,
        "truncate_legend": 40,
        **overrides,
    }


def _series_chart(series: object) -> str:
    buckets = list(series.get("buckets") or []) if isinstance(series, Mapping) else []
    if not buckets:
        return _none("No task reached an end in the input.")
    starts = [str(bucket.get("start") or "") for bucket in buckets]
    same_day = len({start[:10] for start in starts}) == 1
    labels = [start[11:19] if same_day else start[:16].replace("T", " ") for start in starts]
    interval = series.get("interval") if isinstance(series, Mapping) else None
    chart = pygal.Bar(
        **_chart_config(),
        x_label_rotation=30,
        show_minor_x_labels=False,
        x_labels_major_count=12,
        y_title=f"tasks per {_interval(interval)}",
    )
    chart.x_labels = labels
    chart.add("processed", [int(bucket.get("processed") or 0) for bucket in buckets])
    chart.add("failed", [int(bucket.get("failed") or 0) for bucket in buckets])
    return _svg(chart)


def _percentiles(groups: Sequence[Mapping[str, Any]], part: str) -> str:
    timed = [row for row in groups if any(_of(row, part, p) is not None for p in PERCENTILES)]
    if not timed:
        return _none("No durations in the input.")
    chart = pygal.HorizontalBar(
        **_chart_config(height=max(200, 70 + 60 * len(timed))),
        x_title="seconds",
        value_formatter=_seconds,
    )
    drawn = timed[::-1]  # pygal draws the first row at the bottom: read as the table does
    chart.x_labels = [str(row.get("key")) for row in drawn]
    for percentile in ("p50", "p95", "p99"):
        chart.add(percentile, [_of(row, part, percentile) for row in drawn])
    rows = []
    for row in timed:
        values = "".join(f'<td class="n">{_seconds(_of(row, part, p))}</td>' for p in PERCENTILES)
        rows.append(f'<tr><td class="key">{_esc(row.get("key"))}</td>{values}</tr>\n')
    return _svg(chart) + _table(["task", *PERCENTILES], rows, numeric_from=1)


def _of(row: Mapping[str, Any], part: str, percentile: str) -> float | None:
    value = (row.get(part) or {}).get(percentile)
    return float(value) if isinstance(value, int | float) else None


def _failures(failures: Sequence[Mapping[str, Any]]) -> str:
    if not failures:
        return _none("No failures in the input.")
    rows = []
    for failure in list(failures)[:TOP_FAILURES]:
        stack = failure.get("stack")
        stack_html = (
            f"<details><summary>stack</summary><pre>{_esc(stack)}</pre></details>" if stack else ""
        )
        rows.append(
            f'<tr><td class="key">{_esc(failure.get("task_name"))}</td>'
            f'<td class="key">{_esc(failure.get("error_type"))}</td>'
            f"<td>{_esc(failure.get('message'))}{stack_html}</td>"
            f'<td class="n">{_count(failure.get("count"))}</td>'
            f'<td class="n">{_esc(failure.get("first_seen"))}</td>'
            f'<td class="n">{_esc(failure.get("last_seen"))}</td>'
            f'<td class="id">{_esc(failure.get("sample_task_id"))}</td></tr>\n'
        )
    headers = ["task", "error", "message", "count", "first seen", "last seen", "sample task"]
    more = len(failures) - TOP_FAILURES
    note = f'<p class="meta">and {more:,} more groups</p>' if more > 0 else ""
    return _table(headers, rows, numeric_from=3) + note


def _stuck(stuck: Mapping[str, Any]) -> str:
    as_of = f'<p class="meta">as of {_esc(stuck.get("as_of"))}</p>'
    parts = [as_of]
    for key, heading, since in (
        ("active", "Started, not ended", "started"),
        ("reserved", "Received, not started", "received"),
    ):
        tasks = list(stuck.get(key) or [])
        parts.append(f"<h3>{_esc(heading)}</h3>")
        if not tasks:
            parts.append(_none("None."))
            continue
        rows = [
            f'<tr><td class="id">{_esc(task.get("task_id"))}</td>'
            f'<td class="key">{_esc(task.get("task_name"))}</td>'
            f'<td class="key">{_esc(task.get("worker"))}</td>'
            f'<td class="n">{_esc(task.get(since))}</td>'
            f'<td class="n">{_seconds(task.get("age"))}</td></tr>\n'
            for task in tasks
        ]
        parts.append(_table(["task id", "task", "worker", since, "age"], rows, numeric_from=3))
    workers = list(stuck.get("workers") or [])
    parts.append("<h3>Workers silent or lost</h3>")
    if workers:
        rows = [
            f'<tr><td class="key">{_esc(worker.get("worker"))}</td>'
            f'<td class="{"lost" if worker.get("state") == "lost" else ""}">'
            f"{_esc(worker.get('state'))}</td>"
            f'<td class="n">{_esc(worker.get("last_seen"))}</td>'
            f'<td class="n">{_seconds(worker.get("age"))}</td></tr>\n'
            for worker in workers
        ]
        parts.append(_table(["worker", "state", "last seen", "silent for"], rows, numeric_from=2))
    else:
        parts.append(_none("None."))
    return "\n".join(parts)
