"""``celery-logkit``: answers from the logs alone (a task's story, stats, failures, ...).

Each subcommand reads JSON lines in any of the schemas from files, globs, directories,
``.gz`` files or standard input (:mod:`celery_logkit._read`), feeds them to its answer
(:mod:`celery_logkit._answers`), and prints it as tables for people, or as one JSON
document with ``--json``.  Like grep, it exits 0 when it found something, 1 when
nothing matched and 2 on an error (an input that cannot be read, a wrong option); what
went wrong is one line on standard error, never a traceback.

Its dependencies (click, rich, plotext) are the ``celery-logkit[cli]`` extra, imported
here only: a worker never loads them.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import click
import orjson

from . import _answers
from ._answers import Failures, Stats, Story, Stuck, Workers, feed
from ._neutralise import neutralise
from ._read import (
    LIFECYCLE,
    Input,
    InputError,
    LogEvent,
    Scan,
    expand,
    lifecycle,
    normalise,
    parse_time,
)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text
    from rich.tree import Tree

__all__ = ["main"]

PROGRESS_FROM = 64 << 20
"""Inputs from this many bytes on show a progress bar (on a terminal's standard error)."""

_SHUTDOWN = b" shutdown (MainProcess)"
_WORKER_STARTED = b'"worker_started"'


class _Failed(Exception):
    """An error that ends the command with status 2, said in one line."""


@functools.cache
def _err() -> Console:
    """Return standard error's console (rich is imported when something is printed)."""
    from rich.console import Console  # noqa: PLC0415 - not for a --json answer

    return Console(stderr=True, highlight=False, soft_wrap=True)


def _shown(value: object, style: str = "") -> Text:
    """Return a value from the logs as rich text: shown as it is, never read as markup.

    Rich reads no tag in a :class:`~rich.text.Text` (a task id ``[a50c6803-...]`` or
    ``[link=...]`` stays text), and control characters and escape sequences are shown
    escaped, as ``tail`` shows them, so that a logged value cannot repaint the terminal.
    """
    from rich.text import Text  # noqa: PLC0415 - not for a --json answer

    return Text(neutralise(value if isinstance(value, str) else str(value)), style=style)


def _block(text: str, style: str = "") -> Text:
    """Return lines from the logs (a stack) as :func:`_shown` shows each, one below another."""
    return _shown("", style).join(_shown(row, style) for row in text.splitlines())


def _cells(*values: object) -> list[Text]:
    """Return a table row's *values* as :func:`_shown` shows them (a text as it is)."""
    from rich.text import Text  # noqa: PLC0415 - not for a --json answer

    return [value if isinstance(value, Text) else _shown(value) for value in values]


def _table(title: str, **options: Any) -> Table:
    """Return a table titled on its left, as every answer prints one."""
    from rich.table import Table  # noqa: PLC0415 - not for a --json answer

    return Table(title=title, title_justify="left", **options)


def _out() -> Console:
    """Return standard output's console: the terminal's width, or wide enough for a file."""
    from rich.console import Console  # noqa: PLC0415 - not for a --json answer

    return Console(highlight=False, width=None if sys.stdout.isatty() else 200)


def _say_error(message: str) -> None:
    _err().print(_shown(f"celery-logkit: {message}", "red"))


# -- inputs ------------------------------------------------------------------------------


def _inputs(names: Sequence[str]) -> tuple[list[Input], list[str]]:
    """Return the inputs and the errors naming them; standard input when none is named."""
    if not names:
        if sys.stdin.isatty():
            raise _Failed("no input: name log files, directories or globs, or pipe lines in")
        names = ["-"]
    return expand(names)


def _may_be_terminal() -> bool:
    """Whether rich may take standard error for a terminal (else rich need not load)."""
    return sys.stderr.isatty() or bool({"TTY_COMPATIBLE", "FORCE_COLOR"} & set(os.environ))


@contextmanager
def _progress(inputs: Sequence[Input]) -> Iterator[Callable[[int], None] | None]:
    """Yield a callback advancing a progress bar on standard error, or ``None``."""
    sizes = [input.size() for input in inputs]
    total = sum(size or 0 for size in sizes)
    if total < PROGRESS_FROM or not _may_be_terminal() or not _err().is_terminal:
        yield None
        return
    from rich.progress import (  # noqa: PLC0415 - only on a terminal, for a long scan
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
    )

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=_err(),
        transient=True,
    ) as bar:
        task = bar.add_task("reading", total=total)
        yield lambda n: bar.advance(task, n)


def _run_scan(scan: Scan, inputs: Sequence[Input]) -> Iterator[LogEvent]:
    with _progress(inputs) as progress:
        yield from scan.events(inputs, progress)


def _finish(scan: Scan, errors: list[str], found: bool) -> NoReturn:
    """Report malformed lines and errors, then exit as grep does."""
    shown = scan.malformed[:5]
    for line in shown:
        _say_error(line)
    if len(scan.malformed) > len(shown):
        _say_error(f"... and {len(scan.malformed) - len(shown)} more malformed lines skipped")
    for error in [*errors, *scan.errors]:
        _say_error(error)
    sys.exit(2 if errors or scan.errors else 0 if found else 1)


def _json(document: Any) -> None:
    sys.stdout.buffer.write(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.flush()


# -- options -----------------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def _seconds(text: str, label: str) -> float:
    match = _DURATION.match(text)
    if match is None:
        raise click.BadParameter(
            f"{text!r} is not a duration such as 90s, 5m, 2h or 1d", param_hint=label
        )
    return float(match.group(1)) * _UNITS[match.group(2)]


def _interval(text: str | None) -> float | None:
    """Parse ``--interval``: a duration of more than nothing (a series' bucket width)."""
    if text is None:
        return None
    seconds = _seconds(text, "--interval")
    if seconds <= 0:
        raise click.BadParameter(f"{text!r} is not more than 0", param_hint="--interval")
    return seconds


def _say_widened(text: str | None, series: dict[str, Any]) -> None:
    """Say on standard error that ``--interval`` *text* was widened (see MAX_BUCKETS)."""
    if text is not None and series["interval"] != _interval(text):
        _say_error(
            f"--interval {text} gives more than {_answers.MAX_BUCKETS:,} buckets: "
            f"widened to {series['interval']:g} s"
        )


def _moment(text: str | None, label: str) -> float | None:
    """Parse *text*: an ISO-8601 time (UTC unless it says), or a duration ago (``2h``)."""
    if text is None:
        return None
    if _DURATION.match(text):
        return time.time() - _seconds(text, label)
    ts = parse_time(text if "T" in text or len(text) > 10 else f"{text}T00:00:00Z")
    if ts is None:
        raise click.BadParameter(
            f"{text!r} is not an ISO-8601 time (2026-01-31T14:00:00Z) or a duration ago (2h)",
            param_hint=label,
        )
    return ts


_inputs_argument = click.argument("inputs", nargs=-1, metavar="[INPUT]...")
_json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
_since_option = click.option(
    "--since", help="Only from this time: ISO-8601 (UTC unless given), or a duration ago (2h)."
)
_until_option = click.option("--until", help="Only before this time (as --since).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    package_name="celery-logkit", prog_name="celery-logkit", message="%(prog)s %(version)s"
)
def cli() -> None:
    """Answers from celery-logkit's JSON lines: no server, no broker.

    INPUT is a file, a .gz file, a directory, a glob, or - (standard input, also read
    when no INPUT is given and lines are piped in; gzip data there is decompressed).
    Lines of the default, ecs and datadog schemas may be mixed; other lines are skipped
    and counted.  Exit status: 0 found something, 1 nothing matched, 2 an error.
    """


# -- task --------------------------------------------------------------------------------


@cli.command()
@click.argument("task_id")
@_inputs_argument
@click.option("-v", "--verbose", is_flag=True, help="Show stacks and the lines each attempt wrote.")
@_json_option
def task(task_id: str, inputs: tuple[str, ...], verbose: bool, as_json: bool) -> None:
    """Show task TASK_ID's story and its family's: attempts, retries, outcome, children."""
    sources, errors = _inputs(inputs)
    sources, spooled = _spool_stdin(sources)
    try:
        story = Story(task_id)
        scan = Scan(keep_raw=verbose)
        feed(scan.family(sources, task_id.encode(), story.roots), story)
        document = story.result(None, scan.skipped, verbose=verbose)
    finally:
        if spooled is not None:
            os.unlink(spooled)
    if as_json:
        _json(document)
    elif story.found():
        _print_story(document, verbose)
    else:
        _err().print(_shown(f"no line names task {task_id}"))
    _finish(scan, errors, story.found())


def _spool_stdin(sources: list[Input]) -> tuple[list[Input], str | None]:
    """Copy standard input (decompressed) to a file: the family's pass reads it again."""
    if not any(source.is_stdin for source in sources):
        return sources, None
    fd, path = tempfile.mkstemp(prefix="celery-logkit-", suffix=".log")
    stdin = Input("-").open()
    with os.fdopen(fd, "wb") as spool:
        try:
            while block := stdin.read(1 << 20):
                spool.write(block)
        except (OSError, EOFError) as exc:
            os.unlink(path)
            raise InputError(f"-: {exc}") from None
    return [Input(path) if source.is_stdin else source for source in sources], path


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.2f} s"


def _offset(seconds: float | None) -> str:
    return "" if seconds is None else f"+{seconds:.3f}s"


_OUTCOME_STYLE = {
    "task_succeeded": "green", "task_failed": "red", "task_retrying": "yellow",
    "task_revoked": "magenta", "task_rejected": "magenta", "task_ignored": "magenta",
}  # fmt: skip


def _print_story(document: dict[str, Any], verbose: bool) -> None:
    out = _out()
    out.print(_shown(f"times relative to the first event, {document['first_event']}", "dim"))
    from rich.tree import Tree  # noqa: PLC0415 - not for a --json answer

    tree = Tree(_story_label(document["tree"]))
    _story_children(tree, document["tree"], verbose)
    out.print(tree)


def _rendered(raw: str) -> str:
    """Return a raw line as the console format shows it (as it is, if it is not a line)."""
    from ._console import ConsoleFormatter  # noqa: PLC0415 - only -v shows lines

    try:
        event = normalise(orjson.loads(raw), "")
    except orjson.JSONDecodeError:
        event = None
    if event is None:
        return raw
    return ConsoleFormatter(context="short").render(event.as_default(), None)  # type: ignore[arg-type]


def _story_label(node: dict[str, Any]) -> Text:
    from rich.text import Text  # noqa: PLC0415 - not for a --json answer

    state = node["state"]
    style = "green" if state == "succeeded" else "red" if state == "failed" else "yellow"
    label = Text(" this task ", style="reverse") + " " if node["focus"] else Text()
    label += _shown(node["task_name"] or "?", "bold")
    label += Text.assemble("[", _shown(node["task_id"]), "] ", _shown(state, style))
    if node["group_id"]:
        label += Text.assemble(" ", _shown(f"group {node['group_id']}", "dim"))
    return label


def _story_children(tree: Tree, node: dict[str, Any], verbose: bool) -> None:
    enqueued = node["enqueued"]
    if enqueued:
        by = enqueued["by_name"] or "a producer"
        tree.add(_shown(_offset(enqueued["offset"]), "dim") + " enqueued by " + _shown(by))
    for attempt in node["attempts"]:
        _attempt_branch(tree, attempt, verbose)
    for child in node["children"]:
        _story_children(tree.add(_story_label(child)), child, verbose)


def _attempt_branch(tree: Tree, attempt: dict[str, Any], verbose: bool) -> None:
    parts = [_shown(f"attempt {attempt['attempt']}")]
    if attempt["worker"]:
        parts.append(_shown(f"on {attempt['worker']}"))
    if attempt["received"] is not None:
        parts.append(_shown(f"received {_offset(attempt['received'])}"))
    if attempt["started"] is not None:
        waited = _ms(attempt["queue_wait"])
        parts.append(_shown(f"started {_offset(attempt['started'])} (waited {waited})"))
    outcome = attempt["outcome"]
    if outcome:
        style = _OUTCOME_STYLE.get(outcome, "")
        parts.append(
            _shown(outcome.removeprefix("task_"), style)
            + _shown(f" {_offset(attempt['ended'])} in {_ms(attempt['runtime'])}")
        )
    else:
        parts.append(_shown("no end yet (still running, or its worker was lost)", "yellow"))
    branch = tree.add(_shown(", ").join(parts))
    if attempt["error_type"]:
        error = f"{attempt['error_type']}: {attempt['error_message'] or ''}"
        branch.add(_shown(error, "red"))
    if attempt["reason"] and outcome != "task_failed":
        countdown = attempt["countdown"]
        after = f" (next attempt in {countdown} s)" if countdown is not None else ""
        branch.add(_shown(f"reason: {attempt['reason']}{after}"))
    if verbose and attempt.get("stack"):
        branch.add(_block(str(attempt["stack"]), "dim"))
    if verbose:
        for line in attempt.get("lines", []):
            branch.add(_block(_rendered(line)))


# -- stats -------------------------------------------------------------------------------

_BY = click.Choice(["name", "queue", "worker", "hour"])


@cli.command()
@_inputs_argument
@click.option("--by", type=_BY, default="name", show_default=True, help="Group by.")
@_since_option
@_until_option
@click.option(
    "--interval", help="The series' interval (90s, 5m, 1h); chosen by the span if not given."
)
@_json_option
def stats(
    inputs: tuple[str, ...],
    by: str,
    since: str | None,
    until: str | None,
    interval: str | None,
    as_json: bool,
) -> None:
    """Count processed, failed, retried... tasks; runtime and queue wait percentiles."""
    sources, errors = _inputs(inputs)
    answer = Stats(by, _moment(since, "--since"), _moment(until, "--until"), _interval(interval))
    options = (by, answer.since, answer.until, answer.interval)
    scan = _stats_scan(answer)
    parts = _parts(sources)
    if len(parts) > len(sources):
        _stats_in_parts(parts, options, answer, scan)
    else:
        feed(_run_scan(scan, sources), answer)
    document = answer.result(scan.read, scan.skipped)
    _say_widened(interval, document["series"])
    if as_json:
        _json(document)
    else:
        _print_stats(document)
    _finish(scan, errors, bool(document["groups"]))


def _stats_scan(answer: Stats) -> Scan:
    return Scan(markers=(LIFECYCLE,), accept=lifecycle(*_answers.STATS_EVENTS), take=answer.take)


def _parts(sources: Sequence[Input]) -> list[Input]:
    """Return the inputs cut in parts, one a processor, when they are large plain files.

    ``stats`` reads the parts side by side, one process each (as a columnar engine
    would use the processors), and adds their answers up.  Standard input and ``.gz``
    files are read whole, in one process.
    """
    sizes = [source.size() for source in sources]
    processors = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    count = min(processors, PARTS)
    if count < 2 or None in sizes or sum(size or 0 for size in sizes) < PARALLEL_FROM:
        return list(sources)
    return [part for source in sources for part in source.parts(count)]


PARALLEL_FROM = 32 << 20
"""Inputs from this many bytes on are read in parts side by side (``stats``)."""

PARTS = 8
"""At most this many parts (processes) an input is read in."""


def _stats_in_parts(
    parts: Sequence[Input], options: tuple[Any, ...], answer: Stats, scan: Scan
) -> None:
    """Read *parts* side by side; add their counts, lines and errors up, in their order."""
    import multiprocessing  # noqa: PLC0415 - only for a large input
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with (
        _progress(parts) as progress,
        ProcessPoolExecutor(max_workers=len(parts), mp_context=context) as pool,
    ):
        jobs = [pool.submit(_stats_part, part, options) for part in parts]
        lines: dict[str, int] = {}
        for part, job in zip(parts, jobs, strict=True):
            theirs, read, skipped, malformed, errors = job.result()
            before = lines.get(part.name, 0)
            answer.merge(theirs)
            scan.read += read
            scan.skipped += skipped
            scan.malformed += [_renumbered(line, part.name, before) for line in malformed]
            scan.errors += errors
            lines[part.name] = before + read
            if progress is not None:
                progress(part.size() or 0)


def _stats_part(
    part: Input, options: tuple[Any, ...]
) -> tuple[Stats, int, int, list[str], list[str]]:
    """Read one part of an input (in a process of its own) for ``stats``."""
    answer = Stats(*options)
    scan = _stats_scan(answer)
    feed(scan.events([part]), answer)
    return answer, scan.read, scan.skipped, scan.malformed, scan.errors


def _renumbered(line: str, name: str, before: int) -> str:
    """Return a part's ``name:line: ...`` message numbered from its input's first line."""
    number, _, rest = line[len(name) + 1 :].partition(":")
    return f"{name}:{int(number) + before}:{rest}" if number.isdigit() else line


_COUNTS = ("processed", "succeeded", "failed", "retried", "revoked", "rejected", "ignored")


def _print_stats(document: dict[str, Any]) -> None:
    out = _out()
    table = _table(f"Tasks by {document['by']}")
    table.add_column(document["by"])
    for name in _COUNTS:
        table.add_column(name, justify="right")
    table.add_column("fail %", justify="right")
    for name in ("runtime p50", "p95", "p99", "max", "wait p50", "p95", "max"):
        table.add_column(name, justify="right")
    for group in document["groups"]:
        runtime, wait = group["runtime"], group["queue_wait"]
        table.add_row(
            *_cells(
                group["key"],
                *(f"{group[n]:,}" for n in _COUNTS),
                f"{group['failure_rate'] * 100:.2f}",
                *(_ms(runtime[q]) for q in ("p50", "p95", "p99", "max")),
                *(_ms(wait[q]) for q in ("p50", "p95", "max")),
            )
        )
    out.print(table)
    _print_series(out, document["series"])
    lines = document["lines"]
    out.print(f"[dim]{lines['read']:,} lines read, {lines['skipped']:,} skipped[/dim]")


def _print_series(out: Console, series: dict[str, Any]) -> None:
    buckets = series["buckets"]
    if len(buckets) < 2 or not out.is_terminal:
        return
    import plotext  # type: ignore[import-untyped]  # noqa: PLC0415 - only to draw on a terminal

    plotext.clear_figure()
    plotext.theme("clear")
    labels = [b["start"][5:16].replace("T", " ") for b in buckets]
    xs = list(range(len(buckets)))
    plotext.plot(xs, [b["processed"] for b in buckets], label="processed", marker="braille")
    plotext.plot(xs, [b["failed"] for b in buckets], label="failed", marker="braille", color="red")
    step = max(1, len(xs) // 6)
    plotext.xticks(xs[::step], labels[::step])
    plotext.plotsize(min(out.width, 120), 15)
    plotext.title(f"processed and failed per {series['interval']:g} s")
    out.print(plotext.build(), markup=False, highlight=False)


# -- failures ----------------------------------------------------------------------------


@cli.command()
@_inputs_argument
@_since_option
@_until_option
@click.option("-v", "--verbose", is_flag=True, help="Show one stack per kind of failure.")
@_json_option
def failures(
    inputs: tuple[str, ...], since: str | None, until: str | None, verbose: bool, as_json: bool
) -> None:
    """Failures by task name and error (ids and numbers masked), most frequent first."""
    sources, errors = _inputs(inputs)
    answer = Failures(_moment(since, "--since"), _moment(until, "--until"))
    scan = Scan(markers=(LIFECYCLE,), accept=lifecycle("task_failed", "task_internal_error"))
    feed(_run_scan(scan, sources), answer)
    document = answer.result(scan.read, scan.skipped)
    if as_json:
        _json(document)
    else:
        out = _out()
        table = _table("Failures", show_lines=verbose)
        for name in ("task", "error", "message", "count", "first seen", "last seen", "sample task"):
            table.add_column(name, justify="right" if name == "count" else "left")
        for kind in document["groups"]:
            message = _shown(kind["message"])
            if verbose and kind["stack"]:
                message += _shown("\n") + _block(kind["stack"], "dim")
            table.add_row(*_cells(
                kind["task_name"], kind["error_type"], message, f"{kind['count']:,}",
                kind["first_seen"], kind["last_seen"], kind["sample_task_id"],
            ))  # fmt: skip
        out.print(table)
    _finish(scan, errors, bool(document["groups"]))


# -- stuck and workers -------------------------------------------------------------------


def _worker_scan() -> Scan:
    return Scan(
        markers=(LIFECYCLE, _WORKER_STARTED, _SHUTDOWN),
        accept=lifecycle(*_answers.STUCK_EVENTS),
    )


def _feed_workers(
    scan: Scan, sources: Sequence[Input], answer: Stuck | Workers, *others: Any
) -> None:
    """Feed the lines to *answer* (and *others*), then tell it each input's last line."""
    feed(_run_scan(scan, sources), answer, *others)
    for last in scan.last_line.values():
        answer.seen(last)


def _workers_read(
    kind: type[Stuck] | type[Workers], inputs: Sequence[str], now: str | None, silent_after: str
) -> tuple[Scan, list[str], dict[str, Any]]:
    """Read *inputs* for ``stuck`` or ``workers``: the scan, the input errors, the answer."""
    sources, errors = _inputs(inputs)
    answer = kind(_seconds(silent_after, "--silent-after"))
    scan = _worker_scan()
    _feed_workers(scan, sources, answer)
    return scan, errors, answer.result(scan.read, scan.skipped, _moment(now, "--now"))


_now_option = click.option(
    "--now", help="Measure ages against this time (default: the last line's)."
)
_silent_option = click.option(
    "--silent-after", default="5m", show_default=True,
    help="A worker whose last line is older than this is silent (running, or lost).",
)  # fmt: skip


@cli.command()
@_inputs_argument
@_now_option
@_silent_option
@_json_option
def stuck(inputs: tuple[str, ...], now: str | None, silent_after: str, as_json: bool) -> None:
    """Tasks started and not ended, received and not started; silent or lost workers."""
    scan, errors, document = _workers_read(Stuck, inputs, now, silent_after)
    if as_json:
        _json(document)
    else:
        out = _out()
        out.print(_shown(f"ages as of {document['as_of']}", "dim"))
        for title, rows, when in (
            ("Active: started, not ended", document["active"], "started"),
            ("Reserved: received, not started", document["reserved"], "received"),
        ):
            table = _table(title)
            for name in ("task", "task id", "worker", when, "age"):
                table.add_column(name, justify="right" if name == "age" else "left")
            for row in rows:
                table.add_row(*_cells(
                    row["task_name"], row["task_id"], row["worker"] or "-", row[when],
                    _age(row["age"]),
                ))  # fmt: skip
            out.print(table)
        table = _table("Workers silent or lost")
        for name in ("worker", "last seen", "age", "state"):
            table.add_column(name)
        for row in document["workers"]:
            table.add_row(*_cells(row["worker"], row["last_seen"], _age(row["age"]), row["state"]))
        out.print(table)
    found = any(document[k] for k in ("active", "reserved", "workers"))
    _finish(scan, errors, found)


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


@cli.command()
@_inputs_argument
@_now_option
@_silent_option
@_json_option
def workers(inputs: tuple[str, ...], now: str | None, silent_after: str, as_json: bool) -> None:
    """Each worker seen: pool, concurrency, versions, queues, start and stop, tasks."""
    scan, errors, document = _workers_read(Workers, inputs, now, silent_after)
    if as_json:
        _json(document)
    else:
        table = _table("Workers")
        columns = ("worker", "host", "pool", "conc.", "celery", "queues", "started", "stopped",
                   "state", "tasks", "failed")  # fmt: skip
        for name in columns:
            table.add_column(
                name, justify="right" if name in ("conc.", "tasks", "failed") else "left"
            )
        for row in document["workers"]:
            queues = row["queues"]
            table.add_row(*_cells(
                row["worker"], row["host"] or "-", row["pool"] or "-", row["concurrency"] or "-",
                row["celery_version"] or "-",
                ", ".join(map(str, queues)) if isinstance(queues, list) else "-",
                row["started"] or "-", row["stopped"] or "-", row["state"],
                f"{row['tasks']:,}", f"{row['failures']:,}",
            ))  # fmt: skip
        _out().print(table)
    _finish(scan, errors, bool(document["workers"]))


# -- tail --------------------------------------------------------------------------------


class _Filter:
    """The lines ``tail`` shows: of a task, a task name, a level and up, an event, a text."""

    _LEVELS = ("debug", "info", "warning", "error", "critical")

    def __init__(
        self,
        task: str | None,
        name: str | None,
        level: str | None,
        event: str | None,
        grep: str | None,
    ) -> None:
        self.task = task
        self.name = name
        self.level = None if level is None else self._LEVELS.index(level.lower())
        self.event = event
        self.grep = re.compile(grep) if grep else None
        self.marker = task.encode() if task else None

    def __call__(self, event: LogEvent) -> bool:
        if self.task and self.task not in (
            event.task_id,
            event.root_id,
            event.field("child_task_id"),
        ):
            return False
        if self.name and event.task_name != self.name:
            return False
        if self.level is not None and self._rank(event.level) < self.level:
            return False
        if self.event and event.event != self.event:
            return False
        return not self.grep or bool(self.grep.search(event.message))

    def _rank(self, level: str) -> int:
        text = level.lower()
        text = {"warn": "warning", "fatal": "critical", "err": "error"}.get(text, text)
        return self._LEVELS.index(text) if text in self._LEVELS else len(self._LEVELS)


TAIL_EVENTS = (
    "task_enqueued", "task_received", "task_started", "task_retrying", "task_succeeded",
    "task_ignored", "task_failed", "task_revoked", "task_rejected", "task_not_found",
    "task_internal_error", "worker_started", "beat_started",
)  # fmt: skip
"""The lifecycle events' names a worker and beat write (``tail --event``'s choices)."""


@cli.command()
@_inputs_argument
@click.option("-f", "--follow", is_flag=True, help="Keep reading the files as they grow.")
@click.option(
    "-n",
    "--lines",
    "count",
    type=click.IntRange(min=0),
    help="Show the last N lines first (10 with -f).",
)
@click.option("--task", "task_id", help="Only the lines of this task (or of its family, by root).")
@click.option("--name", help="Only the lines of tasks of this name.")
@click.option(
    "--level", type=click.Choice(_Filter._LEVELS, case_sensitive=False), help="This level and up."
)
@click.option("--event", type=click.Choice(TAIL_EVENTS), help="Only this lifecycle event.")
@click.option("--grep", help="Only lines whose message matches this regular expression.")
@click.option("--color/--no-color", default=None, help="Colours (default: on a terminal).")
@click.option(
    "--json", "as_json", is_flag=True,
    help="Print the matching lines as they were written (JSON lines, one a line).",
)  # fmt: skip
def tail(
    inputs: tuple[str, ...],
    follow: bool,
    count: int | None,
    task_id: str | None,
    name: str | None,
    level: str | None,
    event: str | None,
    grep: str | None,
    color: bool | None,
    as_json: bool,
) -> None:
    """Show lines readably (the console format), filtered; -f follows files as they grow."""
    try:
        keep = _Filter(task_id, name, level, event, grep)
    except re.error as exc:
        raise click.BadParameter(str(exc), param_hint="--grep") from None
    sources, errors = _inputs(inputs)
    colors = sys.stdout.isatty() if color is None else color
    show = _line_printer(as_json, colors)
    scan = Scan(markers=(keep.marker,) if keep.marker else (), keep_raw=as_json)
    shown = 0
    if count is None and follow:
        count = 10
    files = [s for s in sources if not s.is_stdin]
    last: deque[LogEvent] | None = deque(maxlen=count) if count is not None else None
    for line in scan.events([s for s in sources if not s.is_stdin] if follow else sources):
        if keep(line):
            if last is not None:
                last.append(line)
            else:
                show(line)
                shown += 1
    for line in last or ():
        show(line)
        shown += 1
    if follow:
        with contextlib.suppress(KeyboardInterrupt):
            shown += _follow(files, [s for s in sources if s.is_stdin], scan, keep, show)
    _finish(scan, errors, shown > 0)


def _line_printer(as_json: bool, colors: bool) -> Callable[[LogEvent], None]:
    if as_json:

        def show_json(event: LogEvent) -> None:
            sys.stdout.buffer.write(event.line.rstrip(b"\n") + b"\n")
            sys.stdout.flush()

        return show_json
    from ._console import ConsoleFormatter  # noqa: PLC0415 - only tail renders lines

    formatter = ConsoleFormatter(colors=colors, context="short")

    def show_line(event: LogEvent) -> None:
        sys.stdout.write(formatter.render(event.as_default(), None) + "\n")  # type: ignore[arg-type]
        sys.stdout.flush()

    return show_line


def _follow(
    files: list[Input],
    stdin: list[Input],
    scan: Scan,
    keep: Callable[[LogEvent], bool],
    show: Callable[[LogEvent], None],
) -> int:
    """Show the lines appended to *files* (and read from standard input) until interrupted."""
    shown = 0
    if stdin:
        for raw in sys.stdin.buffer:
            for line in scan.lines_of(raw if raw.endswith(b"\n") else raw + b"\n", "-"):
                if keep(line):
                    show(line)
                    shown += 1
    positions = {f.name: _size(f.name) for f in files}
    partial = dict.fromkeys(positions, b"")
    while files:
        quiet = True
        for source in files:
            size = _size(source.name)
            position = positions[source.name]
            if size < position:  # truncated or replaced: read it from the start
                position, partial[source.name] = 0, b""
            if size == position:
                continue
            quiet = False
            with open(source.name, "rb") as stream:
                stream.seek(position)
                data = partial[source.name] + stream.read(size - position)
            positions[source.name] = size
            cut = data.rfind(b"\n") + 1
            partial[source.name] = data[cut:]
            for line in scan.lines_of(data[:cut], source.name) if cut else ():
                if keep(line):
                    show(line)
                    shown += 1
        if quiet:
            time.sleep(0.2)
    return shown


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


# -- report ------------------------------------------------------------------------------


@cli.command()
@_inputs_argument
@click.option("--html", "html_file", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Write the report to this file.")  # fmt: skip
@click.option("--title", default="Celery tasks, from the logs", show_default=True)
@_since_option
@_until_option
@click.option("--interval", help="The charts' interval (as stats --interval).")
def report(
    inputs: tuple[str, ...],
    html_file: str,
    title: str,
    since: str | None,
    until: str | None,
    interval: str | None,
) -> None:
    """One self-contained HTML file: stats, charts, top failures, stuck tasks."""
    from ._report import render_html  # noqa: PLC0415 - only this subcommand draws HTML

    sources, errors = _inputs(inputs)
    begin, end = _moment(since, "--since"), _moment(until, "--until")
    stats_answer = Stats("name", begin, end, _interval(interval))
    failures_answer = Failures(begin, end)
    stuck_answer = Stuck()
    scan = _worker_scan()
    _feed_workers(scan, sources, stuck_answer, stats_answer, failures_answer)
    stats_document = stats_answer.result(scan.read, scan.skipped)
    _say_widened(interval, stats_document["series"])
    page = render_html(
        stats_document,
        failures_answer.result(scan.read, scan.skipped)["groups"],
        stuck_answer.result(scan.read, scan.skipped),
        title=title,
    )
    try:
        with open(html_file, "w", encoding="utf-8") as out:
            out.write(page)
    except OSError as exc:
        raise _Failed(f"{html_file}: {exc.strerror or exc}") from None
    _err().print(_shown(f"wrote {html_file}"))
    _finish(scan, errors, True)


# -- entry point -------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Run the command; every error ends it with one line and status 2, never a traceback."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="celery-logkit",
                 standalone_mode=False)  # fmt: skip
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except click.exceptions.Abort:
        sys.exit(130)
    except (_Failed, InputError) as exc:
        _say_error(str(exc))
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, as grep does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except Exception as exc:  # noqa: BLE001 - a bug still ends in one line, not a traceback
        _say_error(f"internal error: {type(exc).__name__}: {exc}")
        sys.exit(2)
    sys.exit(0)
