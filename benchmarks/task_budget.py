"""Where a worker's instructions per task go: celery's tracer in-process, piece by piece.

    uv run python benchmarks/task_budget.py            # the table (needs valgrind)
    uv run python benchmarks/task_budget.py --only logkit --tasks 2000   # one set-up

``worker_instructions.py`` counts a whole worker; this counts what logging adds to one
task where it is added: celery's own tracer (``build_tracer``, as a solo worker runs it)
runs a task that logs one line, N times, after the worker's logging set-up
(``app.log.setup`` at INFO to ``/dev/null``, then ``celeryd_after_setup``), with no broker.
Each set-up runs under ``valgrind --tool=callgrind`` for two N; the difference of the
totals over the difference of the N is one task.  Set-ups:

- ``quiet``: celery at ``-l WARNING``: the tracer and the task, no line;
- ``celery``: celery at ``-l INFO``: its task line and its ``succeeded`` line (a worker
  also writes ``received``, which the strategy writes before the tracer runs);
- ``logkit``: ``install(app)``: ``task_started``, the task's line, ``task_succeeded``;
- ``logkit_no_events``: the same with both events off: the task's line and the receivers;
- ``receivers``: logkit's receivers of the signals a successful task sends
  (``task_prerun``, ``task_success``, ``task_postrun``) called directly around a pushed
  request (events off, no signal dispatch), minus the same loop without them
  (``receivers_loop``).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

from celery import Celery, signals, states
from celery.app.task import Context
from celery.app.trace import build_tracer
from celery.utils.log import get_task_logger as celery_task_logger

import celery_logkit

SETUPS = ("quiet", "celery", "logkit", "logkit_no_events", "receivers", "receivers_loop")
_EVENTS_OFF = "task_started=off,task_succeeded=off"


def run(setup: str, tasks: int) -> None:
    """Run *tasks* tasks of *setup* (what callgrind counts)."""
    if setup in ("logkit_no_events", "receivers", "receivers_loop"):
        os.environ["LOGKIT_EVENT_LEVELS"] = _EVENTS_OFF
    app = Celery("budget", broker="memory://", set_as_current=True)
    logger: Any
    if setup.startswith(("logkit", "receivers")):
        celery_logkit.install(app)
        logger = celery_logkit.get_task_logger("budget")
    else:
        logger = celery_task_logger("budget")

    @app.task(ignore_result=True)
    def charge(i: int) -> None:
        logger.info("charged card", extra={"amount": i})

    app.finalize()
    app.log.setup(loglevel="WARNING" if setup == "quiet" else "INFO", logfile=os.devnull)
    signals.celeryd_after_setup.send(sender="w@h", instance=SimpleNamespace(app=app), conf=app.conf)
    task = app.tasks[charge.name]
    ids = [f"{i:08d}-9dc3-4fc1-8f71-d4840eeabc0d" for i in range(tasks)]
    delivery = {"exchange": "", "routing_key": "celery", "priority": 0, "redelivered": False}

    def message(task_id: str) -> dict[str, Any]:
        return {"id": task_id, "task": task.name, "root_id": task_id, "retries": 0,
                "hostname": "w@h", "delivery_info": delivery, "is_eager": False}  # fmt: skip

    if setup.startswith("receivers"):
        # every receiver of the signals a successful task sends, as celery's tracer calls them
        sent = (signals.task_prerun, signals.task_success, signals.task_postrun)
        receivers = [[r[1] for r in signal.receivers] for signal in sent]
        for i, task_id in enumerate(ids):
            task.request_stack.push(Context(message(task_id), args=(i,), kwargs={}))
            if setup == "receivers":
                named = {
                    "sender": task, "task_id": task_id, "task": task, "args": (i,),
                    "kwargs": {}, "result": None, "retval": None, "state": states.SUCCESS,
                }  # fmt: skip
                for each in receivers:
                    for receiver in each:
                        receiver(**named)
            task.request_stack.pop()
        return
    tracer = build_tracer(task.name, task, app=app, hostname="w@h", eager=False)
    for i, task_id in enumerate(ids):
        tracer(task_id, (i,), {}, message(task_id))


def count(setup: str, tasks: int) -> int:
    """Return callgrind's instruction total for *tasks* tasks of *setup*."""
    command = [
        "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
        sys.executable, __file__, "--only", setup, "--tasks", str(tasks),
    ]  # fmt: skip
    done = subprocess.run(
        command, env={**os.environ, "PYTHONHASHSEED": "0"}, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    for line in done.stderr.splitlines():
        if "refs:" in line:
            return int(line.split("refs:")[1].replace(",", "").strip())
    raise RuntimeError(f"no count for {setup}: {done.stderr[-500:]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=SETUPS, help="run one set-up (for callgrind)")
    parser.add_argument("--tasks", type=int, nargs="+", default=[2000, 12000])
    options = parser.parse_args()
    if options.only:
        logging.raiseExceptions = True
        run(options.only, options.tasks[0])
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: this benchmark counts with callgrind", file=sys.stderr)
        return 2
    low, high = sorted(options.tasks)[:2]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        runs = {(s, n): pool.submit(count, s, n) for s in SETUPS for n in (low, high)}
        per = {s: round((runs[s, high].result() - runs[s, low].result()) / (high - low))
               for s in SETUPS}  # fmt: skip
    rows = [
        ("celery's tracer and the task, no line (`-l WARNING`)", per["quiet"]),
        ("celery `-l INFO`: its task line and `succeeded` line", per["celery"] - per["quiet"]),
        ("logkit: `task_started`, the task's line, `task_succeeded`",
         per["logkit"] - per["quiet"]),
        ("  of which the two events' lines", per["logkit"] - per["logkit_no_events"]),
        ("  of which the receivers' own work (no dispatch, no line)",
         per["receivers"] - per["receivers_loop"]),
        ("  of which the task's line and celery's signal dispatch",
         per["logkit_no_events"] - per["quiet"] - (per["receivers"] - per["receivers_loop"])),
    ]  # fmt: skip
    print(f"# Instructions per task, celery's tracer in-process ({high} - {low} tasks)\n")
    print("| piece | instructions per task |")
    print("|---|---|")
    for label, value in rows:
        print(f"| {label} | {value:,} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
