"""``celery-logkit``, run as people and scripts run it: files, stdin, exit status, errors."""

from __future__ import annotations

import gzip
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .test_answers import A, B, C, D, story_lines
from .test_read import T0, line

COMMAND = [sys.executable, "-m", "celery_logkit"]


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], input=None if stdin is None else stdin.decode(),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    """The answers' story in three files: default, ecs (gzipped) and datadog lines."""
    by_schema: dict[str, list[bytes]] = {}
    for event in story_lines():
        by_schema.setdefault(event.schema, []).append(event.line)
    (tmp_path / "default.log").write_bytes(b"\n".join(by_schema["default"]) + b"\n")
    (tmp_path / "ecs.log.gz").write_bytes(gzip.compress(b"\n".join(by_schema["ecs"]) + b"\n"))
    (tmp_path / "datadog.log").write_bytes(
        b"not json at all\n" + b"\n".join(by_schema["datadog"]) + b"\n"
    )
    return tmp_path


def document(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_task_tells_the_familys_story_from_a_directory(logs: Path) -> None:
    tree = document(run("task", C, str(logs), "--json"))["tree"]
    assert (tree["task_id"], tree["state"]) == (A, "succeeded")
    assert [c["task_id"] for c in tree["children"]] == [C]
    text = run("task", C, str(logs), "-v")
    assert text.returncode == 0
    assert "this task" in text.stdout
    assert "ValueError" in text.stdout
    assert "own line" in text.stdout  # the lines each attempt wrote, in the console format


def test_task_not_found_is_status_1(logs: Path) -> None:
    result = run("task", "no-such-id", str(logs))
    assert result.returncode == 1
    assert "no line names task no-such-id" in result.stderr


def test_stats_json_is_the_contracts(logs: Path) -> None:
    stats = document(run("stats", str(logs), "--json"))
    assert set(stats) == {"since", "until", "by", "groups", "series", "lines"}
    groups = {g["key"]: g for g in stats["groups"]}
    assert groups["shop.order"]["succeeded"] == 1
    assert groups["shop.charge"]["failed"] == 1
    assert set(groups["shop.order"]) == {
        "key", "processed", "succeeded", "failed", "retried", "revoked", "rejected", "ignored",
        "failure_rate", "runtime", "queue_wait",
    }  # fmt: skip
    assert stats["lines"]["read"] == 13
    people = run("stats", str(logs), "--by", "queue")
    assert people.returncode == 0
    assert "processed" in people.stdout


def test_stats_from_standard_input_with_a_time_range(logs: Path) -> None:
    data = (logs / "default.log").read_bytes()
    stats = document(run("stats", "--json", "--since", "2026-01-01T00:00:07Z", stdin=data))
    assert [(g["key"], g["succeeded"], g["retried"]) for g in stats["groups"]] == [
        ("shop.order", 1, 0)
    ]
    assert stats["since"] == "2026-01-01T00:00:07.000Z"


def test_failures_stuck_and_workers(logs: Path) -> None:
    failures = document(run("failures", str(logs), "--json"))["groups"]
    assert [(f["task_name"], f["count"]) for f in failures] == [("shop.charge", 1)]
    stuck = document(run("stuck", str(logs), "--json"))
    assert [t["task_id"] for t in stuck["active"]] == [D]
    assert [t["task_id"] for t in stuck["reserved"]] == [B]
    workers = document(run("workers", str(logs), "--json"))["workers"]
    assert [w["worker"] for w in workers] == ["celery@w1"]


def test_nothing_stuck_is_status_1(tmp_path: Path) -> None:
    path = tmp_path / "fine.log"
    path.write_text(line("default", "task_succeeded", task={"task_id": A, "task_name": "x"}) + "\n")
    assert run("stuck", str(path)).returncode == 1
    assert run("failures", str(path)).returncode == 1


def test_tail_filters_and_renders_the_console_format(logs: Path) -> None:
    result = run("tail", str(logs), "--level", "error", "--no-color")
    assert result.returncode == 0, result.stderr
    (shown,) = result.stdout.strip().splitlines()[:1]
    assert shown.startswith("00:00:09.000Z error")
    assert "ValueError" in result.stdout
    by_task = run("tail", str(logs), "--task", D, "--json")
    assert [json.loads(x)["task_id"] for x in by_task.stdout.splitlines()] == [D]
    assert run("tail", str(logs), "--event", "task_revoked").returncode == 1


def test_report_writes_one_html_file(logs: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = run("report", "--html", str(out), str(logs))
    assert result.returncode == 0, result.stderr
    assert out.read_text().lstrip().lower().startswith("<!doctype html>")


def test_errors_are_one_line_and_status_2(logs: Path, tmp_path: Path) -> None:
    missing = run("stats", str(tmp_path / "missing.log"), str(logs))
    assert missing.returncode == 2
    assert (
        missing.stderr.strip()
        == f"celery-logkit: {tmp_path / 'missing.log'}: No such file or directory"
    )
    bad = tmp_path / "bad.log"
    bad.write_text('{"timestamp": "2026-01-01T00:00:00Z", "event": "task_failed"\n')
    malformed = run("failures", str(bad))
    assert malformed.returncode == 1
    assert malformed.stderr.startswith(f"celery-logkit: {bad}:1: malformed JSON line skipped")
    assert "Traceback" not in malformed.stderr
    usage = run("stats", "--by", "colour", str(logs))
    assert usage.returncode == 2
    assert "Traceback" not in usage.stderr
    since = run("stats", "--since", "last tuesday", str(logs))
    assert since.returncode == 2
    assert "not an ISO-8601 time" in since.stderr


def test_no_input_on_a_terminal_is_an_error() -> None:
    # Standard input is not a terminal here: an empty one is read, and nothing matches.
    assert run("stats", stdin=b"").returncode == 1


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "celery-logkit"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    for name in ("task", "stats", "failures", "stuck", "workers", "tail", "report"):
        assert name in result.stdout


def test_the_command_imports_neither_celery_nor_opentelemetry() -> None:
    code = (
        "import sys; import celery_logkit._command; "
        "print(sorted(m for m in ('celery', 'opentelemetry', 'structlog') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_importing_the_package_imports_no_command() -> None:
    code = (
        "import sys, celery_logkit; celery_logkit.install; "
        "print([m for m in ('celery_logkit._command',) if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "celery_logkit._command" not in out.stdout


def test_stats_read_in_parts_side_by_side_is_stats_read_whole(tmp_path: Path) -> None:
    # A large input is cut in parts read by processes of their own: the counts, the
    # lines read and skipped, and the malformed lines' numbers are the whole read's.
    from celery_logkit._answers import Stats, feed
    from celery_logkit._command import _stats_in_parts, _stats_scan
    from celery_logkit._read import Input

    from .test_answers import awkward_log

    path = tmp_path / "awkward.log"
    path.write_bytes(awkward_log() * 3)
    whole = Input(str(path))
    parts = whole.parts(4)
    assert len(parts) == 4
    assert parts[0].start == 0
    assert parts[-1].stop == path.stat().st_size
    assert all(a.stop == b.start for a, b in itertools.pairwise(parts))
    assert all(path.read_bytes()[p.start - 1 : p.start] == b"\n" for p in parts[1:])
    results = []
    for split in (False, True):
        stats = Stats(by="worker", interval=60.0)
        scan = _stats_scan(stats)
        if split:
            _stats_in_parts(parts, ("worker", None, None, 60.0), stats, scan)
        else:
            feed(scan.events([whole]), stats)
        results.append((stats.result(scan.read, scan.skipped), scan.malformed, scan.errors))
    assert results[0] == results[1]
    assert len(results[0][1]) == 3  # one malformed line a copy, numbered in the whole file


HEX_ID = "a50c6803-0000-4000-8000-000000000001"
EVIL_ID = "[link=https://evil.example]clickme[/link]"
EVIL_NAME = "[b]shop[/b].\x1b[31mred"
EVIL_WORKER = "celery@[i]w[/i]\x1b[2J"


def hostile_log(tmp_path: Path) -> Path:
    """Lines whose ids, names, workers and errors hold rich markup and escape sequences."""

    def at(second: int, event: str, **fields: Any) -> str:
        return json.dumps({
            "timestamp": f"2026-01-01T00:00:{second:02d}.000Z", "level": "info",
            "logger": "celery_logkit.lifecycle", "message": "m", "event": event, **fields,
        })  # fmt: skip

    ours = {"task_id": HEX_ID, "task_name": EVIL_NAME, "worker": EVIL_WORKER, "root_id": HEX_ID}
    error = {"type": "[b]Err[/b]", "message": "[red]boom[/red] \x1b[2J", "stack_trace": "T"}
    path = tmp_path / "hostile.log"
    path.write_text(
        "\n".join([
            at(0, "worker_started", worker=EVIL_WORKER, hostname="[u]host[/u]"),
            at(1, "task_started", **ours, group_id="[s]g[/s]"),
            at(2, "task_failed", **ours, group_id="[s]g[/s]", error=error),
            at(3, "task_started", task_id=EVIL_ID, task_name=EVIL_NAME, worker=EVIL_WORKER),
        ])
        + "\n"
    )  # fmt: skip
    return path


def shown(text: str) -> str:
    """Return *text* as a table or the tree must show it: as it is, escapes neutralised."""
    return text.replace("\x1b", "\\x1b")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("task", HEX_ID), [HEX_ID, shown(EVIL_NAME), "[s]g[/s]", shown(EVIL_WORKER),
                            shown("[b]Err[/b]: [red]boom[/red] \x1b[2J")]),
        (("stats",), [shown(EVIL_NAME)]),
        (("stats", "--by", "worker"), [shown(EVIL_WORKER)]),
        (("failures",), [shown(EVIL_NAME), "[b]Err[/b]", "[red]boom[/red]", HEX_ID]),
        (("stuck",), [EVIL_ID, shown(EVIL_NAME), shown(EVIL_WORKER)]),
        (("workers",), [shown(EVIL_WORKER)]),
    ],
)  # fmt: skip
def test_values_from_the_logs_are_shown_as_plain_text(
    tmp_path: Path, args: tuple[str, ...], expected: list[str]
) -> None:
    # A value is text: rich reads no markup in it (a task id in brackets, a link), and
    # an escape sequence is shown escaped, as tail shows it, never sent to the terminal.
    result = run(*args, str(hostile_log(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout
    for text in expected:
        assert text in result.stdout


@pytest.mark.parametrize("module", ["click", "rich", "plotext", "pygal"])
@pytest.mark.parametrize("entry", ["script", "module"])
def test_without_the_cli_extra_one_line_says_what_to_install(module: str, entry: str) -> None:
    # A plain ``pip install celery-logkit`` has none of the extra's modules: None in
    # sys.modules makes an import of *module* fail as a missing one does.
    start = (
        "from celery_logkit.__main__ import main; main()"
        if entry == "script"
        else "import runpy; runpy.run_module('celery_logkit', run_name='__main__')"
    )
    code = f"import sys; sys.modules[{module!r}] = None; sys.argv[1:] = ['stats', '-']; {start}"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, input="", check=False
    )
    assert result.returncode == 2
    assert result.stderr == (
        "celery-logkit: this command needs the cli extra: pip install 'celery-logkit[cli]'\n"
    )
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ("stats", "--interval", "0"),
        ("stats", "--interval", "0ms"),
        ("report", "--html", "never.html", "--interval", "0"),
        ("tail", "-n", "-3"),
    ],
)
def test_bad_option_values_are_usage_errors(logs: Path, args: tuple[str, ...]) -> None:
    result = run(*args, str(logs))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    assert "Invalid value" in result.stderr


def test_a_short_interval_over_a_long_span_is_widened(tmp_path: Path) -> None:
    # 1 ms over 100 s would be 100,000 buckets (a year's log: 31 billion): the series
    # is widened to a round interval giving at most 10,000, and stderr says so.
    path = tmp_path / "span.log"
    path.write_text(
        "".join(
            line("default", "task_succeeded", task={"task_id": A, "task_name": "x"}, at=at) + "\n"
            for at in (T0, T0 + 100)
        )
    )
    for command in ("stats", "report"):
        extra = ["--json"] if command == "stats" else ["--html", str(tmp_path / "r.html")]
        result = run(command, "--interval", "1ms", *extra, str(path))
        assert result.returncode == 0, result.stderr
        assert "--interval 1ms gives more than 10,000 buckets: widened to 0.1 s" in result.stderr
    series = json.loads(run("stats", "--interval", "1ms", "--json", str(path)).stdout)["series"]
    assert series["interval"] == 0.1
    assert len(series["buckets"]) == 1001
    assert sum(b["processed"] for b in series["buckets"]) == 2


@pytest.mark.parametrize("args", [("stats", "--json"), ("task", C, "--json"), ("tail", "--json")])
def test_gzip_on_standard_input_is_decompressed(logs: Path, args: tuple[str, ...]) -> None:
    # ``cat x.log.gz | celery-logkit stats -``: stdin is recognised by gzip's magic bytes.
    plain = (logs / "default.log").read_bytes()
    results = [
        subprocess.run(
            [*COMMAND, *args, "-"], input=data, capture_output=True, timeout=120, check=False
        )
        for data in (plain, gzip.compress(plain))
    ]
    assert [r.returncode for r in results] == [0, 0], results[1].stderr
    assert results[1].stdout == results[0].stdout
    assert results[1].stderr == b""


def test_tail_event_is_a_lifecycle_events_name(logs: Path) -> None:
    from celery_logkit._command import TAIL_EVENTS
    from celery_logkit._config import DEFAULT_EVENT_LEVELS

    # Every name a worker or beat writes as ``event``: task_failed_expected is a level's name.
    written = {*DEFAULT_EVENT_LEVELS} - {"task_failed_expected"} | {
        "worker_started",
        "beat_started",
    }
    assert set(TAIL_EVENTS) == written
    result = run("tail", "--event", "nonsense", str(logs))
    assert result.returncode == 2
    assert "'nonsense' is not one of" in result.stderr
    assert "task_failed" in result.stderr


def test_help_says_what_json_prints() -> None:
    assert "JSON lines" in " ".join(run("tail", "--help").stdout.split())
    assert "--json" not in run("report", "--help").stdout
    for command in ("task", "stats", "failures", "stuck", "workers"):
        assert "one JSON document" in run(command, "--help").stdout


def test_version_is_the_packages() -> None:
    import celery_logkit

    result = run("--version")
    assert result.returncode == 0
    assert result.stdout == f"celery-logkit {celery_logkit.__version__}\n"
