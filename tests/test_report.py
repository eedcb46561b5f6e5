"""The HTML report: built from the command's ``--json`` documents, escaped, self-contained,
and drawn by a real headless Chromium without a console error."""

from __future__ import annotations

import html
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from celery_logkit._report import TOP_FAILURES, render_html

from .browser import opened

EVIL = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'


def _timing(p50: float | None, p95: float | None = None) -> dict[str, float | None]:
    return {"p50": p50, "p95": p95, "p99": p95, "max": p95}


def stats_doc() -> dict[str, Any]:
    buckets = [
        {"start": f"2026-11-30T10:{minute:02d}:00Z", "processed": 40 + minute, "failed": minute % 4}
        for minute in range(30)
    ]
    return {
        "since": None,
        "until": None,
        "by": "name",
        "groups": [
            {
                "key": "shop.charge", "processed": 120, "succeeded": 90, "failed": 30,
                "retried": 7, "revoked": 0, "rejected": 0, "failure_rate": 0.25,
                "runtime": _timing(0.0123, 0.51), "queue_wait": _timing(0.004, 2.5),
            },
            {
                "key": "shop.email", "processed": 1000, "succeeded": 1000, "failed": 0,
                "retried": 0, "revoked": 0, "rejected": 0, "failure_rate": 0.0,
                "runtime": _timing(0.0009, 0.003), "queue_wait": _timing(0.2, 30.0),
            },
            {
                "key": f"evil{EVIL}", "processed": 1, "succeeded": 0, "failed": 0,
                "retried": 0, "revoked": 1, "rejected": 0, "failure_rate": 0.0,
                "runtime": _timing(None), "queue_wait": _timing(None),
            },
        ],
        "series": {"interval": 60.0, "buckets": buckets},
        "lines": {"read": 123456, "skipped": 3},
    }  # fmt: skip


def failures_doc() -> list[dict[str, Any]]:
    return [
        {
            "task_name": "shop.charge", "error_type": "ZeroDivisionError",
            "message": "boom <n>", "count": 30, "first_seen": "2026-11-30T10:01:00Z",
            "last_seen": "2026-11-30T10:29:00Z",
            "sample_task_id": "4a978f15-5ef3-4658-a0bc-c52bf1738fae",
            "stack": 'Traceback (most recent call last):\n  File "t.py", line 1\nZeroDivisionError',
        },
        {
            "task_name": f"evil{EVIL}", "error_type": f"E{EVIL}", "message": f"m{EVIL}",
            "count": 1, "first_seen": "2026-11-30T10:02:00Z",
            "last_seen": "2026-11-30T10:02:00Z", "sample_task_id": f"id{EVIL}",
            "stack": f"stack{EVIL}</pre></details>{EVIL}",
        },
    ]  # fmt: skip


def stuck_doc() -> dict[str, Any]:
    return {
        "active": [
            {
                "task_id": "ef12b435-95be-4b01-ad60-c4d911372902", "task_name": "shop.slow",
                "worker": "beta@vm", "started": "2026-11-30T10:20:00Z", "age": 600.0,
            }
        ],
        "reserved": [
            {
                "task_id": "f4135108-caaf-4a56-98da-0b8f63ae543f", "task_name": f"r{EVIL}",
                "worker": None, "received": "2026-11-30T10:21:00Z", "age": 540.0,
            }
        ],
        "workers": [
            {"worker": "beta@vm", "last_seen": "2026-11-30T10:21:00Z", "age": 540.0,
             "state": "lost"},
            {"worker": f"w{EVIL}", "last_seen": "2026-11-30T10:00:00Z", "age": 1800.0,
             "state": "silent"},
        ],
        "as_of": "2026-11-30T10:30:00Z",
        "lines": {"read": 123456, "skipped": 3},
    }  # fmt: skip


def page(**changes: Any) -> str:
    docs: dict[str, Any] = {"stats": stats_doc(), "failures": failures_doc(), "stuck": stuck_doc()}
    docs.update(changes)
    return render_html(docs["stats"], docs["failures"], docs["stuck"], title=f"Report {EVIL}")


class Parsed(HTMLParser):
    """What a browser's parser makes of the page: its elements, attributes and text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[str] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(name for name, _ in attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_no_value_from_the_logs_becomes_markup() -> None:
    parsed = Parsed(page())
    assert "script" not in parsed.tags
    assert "img" not in parsed.tags
    assert not [name for name in parsed.attributes if name.startswith("on")]
    text = "".join(parsed.text)
    # Each one is on the page as the text it was, in the title, the tables and the stack.
    assert text.count(EVIL) >= 8
    assert f"stack{EVIL}</pre></details>{EVIL}" in text


def test_the_page_fetches_nothing_and_runs_nothing() -> None:
    text = page()
    parsed = Parsed(text)
    assert not {"script", "link", "iframe", "object", "embed", "img"} & set(parsed.tags)
    assert not {"src", "href", "xlink:href"} & set(parsed.attributes)
    assert "@import" not in text
    assert "url(" not in text


def test_stats_table_has_every_group_and_its_figures() -> None:
    text = html.unescape(page())
    for key in ("shop.charge", "shop.email", f"evil{EVIL}"):
        assert f'<td class="key">{key}</td>' in text
    assert "25.0 %" in text
    assert "12.3 ms" in text  # runtime p50 of shop.charge
    assert "123,456 lines read, 3 skipped" in text


def test_charts_are_inline_svg_with_their_series() -> None:
    text = page()
    assert text.count("<svg") == 3  # over time, runtime, queue wait
    series_chart = text[text.index("Processed and failed over time") :]
    series_chart = series_chart[: series_chart.index("</svg>")]
    assert ">processed<" in series_chart
    assert ">failed<" in series_chart
    assert "shop.email" in text[text.index("Runtime per task") :]


def test_a_group_without_durations_is_not_charted() -> None:
    stats = stats_doc()
    text = page(stats=stats)
    runtime = text[text.index("Runtime per task") : text.index("Queue wait per task")]
    assert "shop.charge" in runtime
    assert "evil" not in runtime


def test_failures_carry_their_stack_folded() -> None:
    text = page()
    failures = text[text.index("Top failures") : text.index("<h2>Stuck")]
    assert failures.count("<details><summary>stack</summary><pre>") == 2
    assert "boom &lt;n&gt;" in failures
    assert "4a978f15-5ef3-4658-a0bc-c52bf1738fae" in failures


def test_only_the_top_failures_are_listed() -> None:
    many = [
        {**failures_doc()[0], "error_type": f"Error{number}", "count": 100 - number}
        for number in range(TOP_FAILURES + 5)
    ]
    text = page(failures=many)
    assert f"Error{TOP_FAILURES - 1}<" in text
    assert f"Error{TOP_FAILURES}<" not in text
    assert "and 5 more groups" in text


def test_stuck_tasks_and_lost_workers() -> None:
    text = page()
    stuck = text[text.index("<h2>Stuck") :]
    assert "ef12b435-95be-4b01-ad60-c4d911372902" in stuck
    assert "f4135108-caaf-4a56-98da-0b8f63ae543f" in stuck
    assert '<td class="lost">lost</td>' in stuck
    assert "10.0 min" in stuck  # the active task's age


def test_empty_documents_say_so() -> None:
    empty_stats = {
        "since": None, "until": None, "by": "name", "groups": [],
        "series": {"interval": 60.0, "buckets": []}, "lines": {"read": 0, "skipped": 0},
    }  # fmt: skip
    empty_stuck = {"active": [], "reserved": [], "workers": [], "as_of": None, "lines": {}}
    text = page(stats=empty_stats, failures=[], stuck=empty_stuck)
    assert "<svg" not in text
    assert "No failures in the input." in text
    assert "No durations in the input." in text
    assert text.count("None.") == 3


def test_importing_the_package_does_not_import_the_report() -> None:
    code = (
        "import sys, celery_logkit; "
        "print(sorted(m for m in sys.modules if m in ('pygal', 'celery_logkit._report')))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


# -- in a real browser ------------------------------------------------------------------


def test_chromium_renders_the_page_and_its_charts(tmp_path: Path) -> None:
    """Chromium draws the page offline: every request but the page's own is refused and
    recorded; the console's messages, uncaught errors and any dialog (``alert()``) too."""
    report = tmp_path / "report.html"
    report.write_text(page(), encoding="utf-8")
    with opened(report.as_uri(), offline=True) as shown:
        shot = shown.screenshot(tmp_path / "report.png", full_page=True)
        charts = shown.tab.eval_on_selector_all(
            "div.chart > svg",
            """svgs => svgs.map(svg => {
                const box = svg.getBoundingClientRect();
                const marks = [...svg.querySelectorAll('.series .reactive')]
                    .filter(m => { const b = m.getBBox(); return b.width + b.height > 0; });
                return {width: box.width, height: box.height, marks: marks.length,
                        series: new Set([...svg.querySelectorAll('g.series')].map(
                            g => [...g.classList].find(c => c.startsWith('serie-')))).size};
            })""",
        )
        title = shown.tab.title()
    assert shown.console == []
    assert shown.refused == []
    assert shown.failed == []
    assert shown.dialogs == []
    assert title == f"Report {EVIL}"
    assert len(charts) == 3
    for chart in charts:
        assert chart["width"] > 300
        assert chart["height"] > 100
    over_time, runtime, queue_wait = charts
    assert over_time["series"] == 2
    assert over_time["marks"] == 2 * 30  # a bar per bucket, per series
    assert runtime["series"] == 3  # p50, p95, p99
    assert runtime["marks"] == 3 * 2  # a bar per task that has durations, per percentile
    assert queue_wait["marks"] == 3 * 2
    assert shot.stat().st_size > 10_000
