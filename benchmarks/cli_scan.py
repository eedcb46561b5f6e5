"""``celery-logkit`` against grep, jq and DuckDB on the same generated log, in one run.

    uv run --group bench --extra cli python benchmarks/cli_scan.py [--tasks 500000] [--runs 3]

For each schema (default, ecs, datadog) it writes a log of ``--tasks`` tasks over 4
workers (about 4 lines a task, made by the library's own formatter: ``cli_log.py``),
then times, page-cached, the best of ``--runs``:

* one task's lines: ``grep -F ID``, ``jq 'select(.task_id == ID)'`` (one run),
  DuckDB ``read_json`` + ``WHERE task_id = ID``, and ``celery-logkit task ID --json``
  (the task is a chain's child, so its family is read too: a second pass, by root);
* counts and p95 per task name: DuckDB ``read_json`` + ``GROUP BY`` and
  ``celery-logkit stats --json``;

and prints a table of times and ratios.  Then the peak RSS of ``stats`` and ``task`` on
the default schema's log and on 4 copies of it.  Logs are written under ``--dir`` (a
temporary directory by default) and deleted at the end.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from cli_log import write_log

COMMAND = [sys.executable, "-m", "celery_logkit"]

DUCKDB_STATS = {
    "default": (
        "{'event': 'VARCHAR', 'task_name': 'VARCHAR', 'duration_ms': 'DOUBLE', "
        "'queue_wait_ms': 'DOUBLE'}",
        "event",
        "duration_ms / 1000",
        "queue_wait_ms / 1000",
    ),
    "ecs": (
        "{'event': 'STRUCT(action VARCHAR, duration BIGINT)', 'task_name': 'VARCHAR', "
        "'celery': 'STRUCT(queue_wait_ms DOUBLE)'}",
        "event.action",
        "event.duration / 1e9",
        "celery.queue_wait_ms / 1000",
    ),
    "datadog": (
        "{'evt': 'STRUCT(name VARCHAR)', 'task_name': 'VARCHAR', 'duration': 'BIGINT', "
        "'celery': 'STRUCT(queue_wait_ms DOUBLE)'}",
        "evt.name",
        "duration / 1e9",
        "celery.queue_wait_ms / 1000",
    ),
}


def _stats_sql(path: Path, schema: str) -> str:
    columns, event, runtime, wait = DUCKDB_STATS[schema]
    return f"""
        SELECT task_name,
               count(*) FILTER (WHERE {event} IN ('task_succeeded', 'task_failed',
                                                  'task_revoked', 'task_rejected')) AS processed,
               count(*) FILTER (WHERE {event} = 'task_failed') AS failed,
               count(*) FILTER (WHERE {event} = 'task_retrying') AS retried,
               quantile_cont({runtime}, 0.95)
                   FILTER (WHERE {event} IN ('task_succeeded', 'task_failed', 'task_retrying'))
                   AS runtime_p95,
               quantile_cont({wait}, 0.95) FILTER (WHERE {event} = 'task_started') AS wait_p95
        FROM read_json('{path}', format = 'newline_delimited', columns = {columns})
        WHERE {event} IN ('task_succeeded', 'task_failed', 'task_revoked', 'task_rejected',
                          'task_retrying', 'task_started')
        GROUP BY task_name ORDER BY processed DESC
    """


def _task_sql(path: Path, task_id: str) -> str:
    return (
        f"SELECT * FROM read_json('{path}', format = 'newline_delimited', "
        f"columns = {{'task_id': 'VARCHAR', 'message': 'VARCHAR'}}) WHERE task_id = '{task_id}'"
    )


def _best(runs: int, run: object) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def _shell(argv: list[str]) -> None:
    # Output to a pipe, read whole: GNU grep stops at the first match when it writes to
    # /dev/null, which would time something else.
    done = subprocess.run(argv, capture_output=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{argv[0]} failed: {done.stderr.decode()[-500:]}")


def _duckdb(sql: str) -> None:
    connection = duckdb.connect()
    connection.execute(sql).fetchall()
    connection.close()


def _peak_rss(argv: list[str]) -> float:
    """Return the peak RSS of running *argv*, in MiB, as GNU time measures it.

    (``wait4``'s figure would count the benchmark's own pages, which the child has until
    it runs the command.)
    """
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *argv], capture_output=True, text=True, check=False
    )
    return int(done.stderr.strip().splitlines()[-1]) / 1024


def _warm(path: Path) -> None:
    with path.open("rb") as file:
        while file.read(64 << 20):
            pass


def _time_schema(path: Path, schema: str, task_id: str, runs: int) -> tuple[float, ...]:
    """Return the times of grep, jq, DuckDB and the command for one task, then for stats."""
    target = str(path)
    return (
        _best(runs, lambda: _shell(["grep", "-F", task_id, target])),
        _best(1, lambda: _shell(["jq", "-c", f'select(.task_id == "{task_id}")', target])),
        _best(runs, lambda: _duckdb(_task_sql(path, task_id))),
        _best(runs, lambda: _shell([*COMMAND, "task", task_id, target, "--json"])),
        _best(runs, lambda: _duckdb(_stats_sql(path, schema))),
        _best(runs, lambda: _shell([*COMMAND, "stats", target, "--json"])),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--schemas", default="default,ecs,datadog")
    args = parser.parse_args()
    if shutil.which("jq") is None or shutil.which("grep") is None:
        raise SystemExit("grep and jq are needed on PATH")
    where = Path(tempfile.mkdtemp(prefix="cli-scan-", dir=args.dir))
    rows = []
    try:
        for schema in args.schemas.split(","):
            path = where / f"{schema}.log"
            start = time.perf_counter()
            summary = write_log(path, schema=schema, tasks=args.tasks)
            made = time.perf_counter() - start
            size = path.stat().st_size
            print(
                f"{schema}: {summary.lines:,} lines, {size / 1e6:,.0f} MB, written in {made:.1f} s",
                file=sys.stderr,
            )
            _warm(path)
            task_id = summary.sample_child
            times = _time_schema(path, schema, task_id, args.runs)
            grep, jq, duck_task, ours_task, duck_stats, ours_stats = times
            rows.append(
                (
                    schema,
                    summary.lines,
                    size,
                    grep,
                    jq,
                    duck_task,
                    ours_task,
                    duck_stats,
                    ours_stats,
                )
            )
            if schema != "default":
                path.unlink()
        print()
        print(
            "| schema | lines | MB | `grep -F ID` | `jq select` | DuckDB task | "
            "`task ID` | ÷ grep | jq ÷ ours | DuckDB stats | `stats` | ÷ DuckDB |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for schema, lines, size, grep, jq, duck_task, ours_task, duck_stats, ours_stats in rows:
            print(
                f"| {schema} | {lines:,} | {size / 1e6:,.0f} | {grep:.2f} s | {jq:.1f} s | "
                f"{duck_task:.2f} s | {ours_task:.2f} s | {ours_task / grep:.2f}x | "
                f"{jq / ours_task:.0f}x | {duck_stats:.2f} s | {ours_stats:.2f} s | "
                f"{ours_stats / duck_stats:.2f}x |"
            )
        default = where / "default.log"
        if default.exists():
            big = where / "default-x4.log"
            with big.open("wb") as out:
                for _ in range(4):
                    with default.open("rb") as part:
                        shutil.copyfileobj(part, out, 64 << 20)
            sample = _sample(default)
            print()
            print("| peak RSS | 1x log | 4x log |")
            print("|---|---:|---:|")
            for name, argv in (
                ("`stats --json`", ["stats"]),
                ("`task ID --json`", ["task", sample]),
            ):
                one = _peak_rss([*COMMAND, *argv, str(default), "--json"])
                four = _peak_rss([*COMMAND, *argv, str(big), "--json"])
                print(f"| {name} | {one:.0f} MiB | {four:.0f} MiB |")
    finally:
        shutil.rmtree(where, ignore_errors=True)


def _sample(path: Path) -> str:
    """Return a chain child's id in *path* (the generator's sample)."""
    with path.open("rb") as file:
        for line in file:
            if b'"task_enqueued"' in line:
                at = line.index(b'"child_task_id":"') + len(b'"child_task_id":"')
                return line[at : at + 36].decode()
    raise SystemExit("no chain in the log")


if __name__ == "__main__":
    main()
