"""``celery-logkit``'s answers, from logs that real workers wrote, against what the producer knows.

The logs and the truth come from :mod:`tests.integration.cli_logs` (two prefork workers on
Redis, in each schema: successes, a retry with a countdown, failures, a chain, a group, a
chord, a killed pool process, two revoked tasks, and a worker killed with SIGKILL with a task
running and one waiting for its ETA, then started again).  The command runs as people run
it: the console script (``python -m celery_logkit`` once), with ``--json``.

``stats``, ``failures`` and ``stuck`` are checked key by key against the documents the
command's contract defines.  ``task`` and ``workers`` have no document fixed there, so their
checks look for what must be in any answer: a task's node is a JSON object with its
``task_id``, and a child is either nested in its parent's object or names it as
``parent_id``; a worker's object names it under ``worker`` (or ``node``/``hostname``).
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .cli_logs import CliLogs, Truth

pytest.importorskip("celery_logkit._command", reason="the celery-logkit command is not built")

pytestmark = pytest.mark.worker

SCRIPT = Path(sys.executable).with_name("celery-logkit")
FINAL = ("succeeded", "failed", "revoked", "rejected")


def logkit(*args: str | Path, stdin: bytes | None = None) -> tuple[int, Any]:
    """Run ``celery-logkit ARGS --json``; return its exit status and its document."""
    done = subprocess.run(
        [SCRIPT, *args, "--json"], input=stdin, capture_output=True, timeout=120, check=False
    )
    assert done.returncode in (0, 1), done.stderr.decode()
    assert b"Traceback" not in done.stderr, done.stderr.decode()
    return done.returncode, json.loads(done.stdout)


def ids_of(truth: Truth, **where: Any) -> set[str]:
    return {
        task_id
        for task_id, task in truth["tasks"].items()
        if all(task[key] == value for key, value in where.items())
    }


def short(error_type: str | None) -> str | None:
    """``billiard.exceptions.WorkerLostError`` and ``WorkerLostError`` are one type."""
    return None if error_type is None else error_type.rsplit(".", 1)[-1]


# -- walking a document whose shape the contract leaves open ---------------------------------


def objects(doc: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in *doc*, outermost first."""
    if isinstance(doc, dict):
        yield doc
        for value in doc.values():
            yield from objects(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from objects(value)


def nodes(doc: Any, task_id: str) -> list[dict[str, Any]]:
    """The objects that stand for *task_id* (those whose ``task_id`` it is)."""
    return [obj for obj in objects(doc) if obj.get("task_id") == task_id]


def task_ids(doc: Any) -> set[str]:
    return {obj["task_id"] for obj in objects(doc) if isinstance(obj.get("task_id"), str)}


def is_child(doc: Any, child: str, parent: str) -> bool:
    """Whether *doc* shows *child* under *parent*: nested in it, or naming it as parent."""
    if any(node.get("parent_id") == parent for node in nodes(doc, child)):
        return True
    return any(child in task_ids(value) for node in nodes(doc, parent) for value in node.values()
               if isinstance(value, list | dict))  # fmt: skip


def strings(doc: Any) -> list[str]:
    """Every string value in *doc*."""
    if isinstance(doc, str):
        return [doc]
    if isinstance(doc, dict):
        return [s for value in doc.values() for s in strings(value)]
    if isinstance(doc, list):
        return [s for value in doc for s in strings(value)]
    return []


# -- stats --------------------------------------------------------------------------------


def test_stats_counts_per_task_name(cli_logs: CliLogs) -> None:
    status, doc = logkit("stats", cli_logs.folder)
    assert status == 0
    assert doc["by"] == "name"
    groups = {group["key"]: group for group in doc["groups"]}
    expected = {name: c for name, c in cli_logs.truth["stats"].items() if any(c.values())}
    assert set(expected) <= set(groups)
    for name in set(groups) - set(expected):  # a task that never ended (active, reserved)
        assert not any(groups[name][key] for key in FINAL), name
    for name, counts in expected.items():
        got = groups[name]
        assert {key: got[key] for key in counts} == counts, name
        assert got["failure_rate"] == pytest.approx(
            counts["failed"] / counts["processed"] if counts["processed"] else 0.0
        )
    add = groups["worker_app.add"]
    for part in ("runtime", "queue_wait"):  # the producer runs logkit: queue wait is known
        assert 0 < add[part]["p50"] <= add[part]["p95"] <= add[part]["p99"] <= add[part]["max"]
    buckets = doc["series"]["buckets"]
    assert sum(b["processed"] for b in buckets) == sum(c["processed"] for c in expected.values())
    assert sum(b["failed"] for b in buckets) == sum(c["failed"] for c in expected.values())
    assert doc["lines"]["read"] == sum(len(f.read_bytes().splitlines()) for f in cli_logs.files)
    assert doc["lines"]["skipped"] == 0  # every line there is celery-logkit's


def test_stats_by_worker(cli_logs: CliLogs) -> None:
    _, doc = logkit("stats", "--by", "worker", cli_logs.folder)
    groups = {group["key"]: group for group in doc["groups"]}
    truth = cli_logs.truth
    for node in truth["workers"]:
        tasks = [t for t in truth["tasks"].values() if t["worker"] == node]
        processed = sum(t["outcome"] in FINAL for t in tasks)
        assert groups[node]["processed"] == processed, node
        assert groups[node]["failed"] == sum(t["outcome"] == "failed" for t in tasks)


def test_stats_read_gz_stdin_and_foreign_lines(cli_logs: CliLogs, tmp_path: Path) -> None:
    """The same answer from a ``.gz``, standard input and a file with lines not logkit's."""
    _, whole = logkit("stats", cli_logs.folder)
    alpha, beta, producer = cli_logs.files
    zipped = tmp_path / "alpha.log.gz"
    zipped.write_bytes(gzip.compress(alpha.read_bytes()))
    mixed = tmp_path / "beta.log"
    foreign = b'plain text from another program\n{"msg": "another JSON logger"}\n'
    mixed.write_bytes(foreign + beta.read_bytes())
    _, doc = logkit("stats", zipped, mixed, "-", stdin=producer.read_bytes())
    assert doc["groups"] == whole["groups"]
    assert doc["lines"]["read"] == whole["lines"]["read"] + 2
    # Counted whether parsed or ruled out by the prefilter (no timestamp key).
    assert doc["lines"]["skipped"] == 2


def test_stats_mixed_schemas(cli_log_store: Any) -> None:
    """Lines of all three schemas at once: the counts add up."""
    logs = [cli_log_store.get(schema) for schema in ("default", "ecs", "datadog")]
    _, doc = logkit("stats", *(log.folder for log in logs))
    groups = {group["key"]: group for group in doc["groups"]}
    for name, counts in logs[0].truth["stats"].items():
        if not any(counts.values()):
            continue
        for key in ("processed", "succeeded", "failed", "retried", "revoked"):
            assert groups[name][key] == sum(log.truth["stats"][name][key] for log in logs)


def test_python_m_answers_as_the_script_does(cli_logs: CliLogs) -> None:
    _, by_script = logkit("stats", cli_logs.folder)
    done = subprocess.run(
        [sys.executable, "-m", "celery_logkit", "stats", cli_logs.folder, "--json"],
        capture_output=True,
        check=True,
        timeout=120,
    )
    assert json.loads(done.stdout) == by_script


# -- failures -----------------------------------------------------------------------------


def test_failures_grouped_by_name_and_type(cli_logs: CliLogs) -> None:
    status, doc = logkit("failures", cli_logs.folder)
    assert status == 0
    truth = cli_logs.truth
    expected: dict[tuple[str, str | None], set[str]] = {}
    for task_id, task in truth["tasks"].items():
        if task["outcome"] == "failed":
            expected.setdefault((task["name"], short(task["error_type"])), set()).add(task_id)
    groups = {(g["task_name"], short(g["error_type"])): g for g in doc["groups"]}
    assert set(groups) == set(expected)
    for key, members in expected.items():
        group = groups[key]
        assert group["count"] == len(members), key
        assert group["sample_task_id"] in members
        assert group["first_seen"] <= group["last_seen"]
    boom = groups[("worker_app.fail", "ZeroDivisionError")]
    # "boom 101" and "boom 202": one group, the numbers masked.
    assert "boom" in boom["message"]
    assert not re.search(r"101|202", boom["message"])
    assert "ZeroDivisionError" in boom["stack"]
    assert 'in fail\n    raise ZeroDivisionError(f"boom {token}")' in boom["stack"]


# -- stuck ---------------------------------------------------------------------------------


def test_stuck_active_reserved_and_lost(cli_logs: CliLogs) -> None:
    status, doc = logkit("stuck", cli_logs.folder)
    assert status == 0
    truth = cli_logs.truth
    beta = next(node for node, w in truth["workers"].items() if "lost" in w["runs"])
    assert {t["task_id"] for t in doc["active"]} == ids_of(truth, outcome="active")
    assert {t["task_id"] for t in doc["reserved"]} == ids_of(truth, outcome="reserved")
    for entry in (*doc["active"], *doc["reserved"]):
        task = truth["tasks"][entry["task_id"]]
        assert entry["task_name"] == task["name"]
        assert entry["worker"] == task["worker"] == beta
        assert entry["age"] >= 0
    assert doc["active"][0]["task_name"] == "worker_app.slow"
    # beta's first run ended with no shutdown line (it started again): lost.
    states = {(w["worker"], w["state"]) for w in doc["workers"]}
    assert (beta, "lost") in states
    alpha = next(node for node, w in truth["workers"].items() if "lost" not in w["runs"])
    assert alpha not in {worker for worker, _ in states}  # stopped cleanly, and last
    assert all(doc["as_of"] >= w["last_seen"] for w in doc["workers"])


# -- task ----------------------------------------------------------------------------------


def test_task_chain_is_a_tree_from_its_root(cli_logs: CliLogs) -> None:
    first, second, third = cli_logs.truth["chain"]
    for asked in (first, second, third):
        status, doc = logkit("task", asked, cli_logs.folder)
        assert status == 0
        assert {first, second, third} <= task_ids(doc), asked
        assert is_child(doc, second, first)
        assert is_child(doc, third, second)


def test_task_group_and_chord(cli_logs: CliLogs) -> None:
    truth = cli_logs.truth
    member = truth["group"]["members"][0]
    _, doc = logkit("task", member, cli_logs.folder)
    assert member in task_ids(doc)
    assert truth["group"]["id"] in strings(doc)
    chord = truth["chord"]
    _, doc = logkit("task", chord["body"], cli_logs.folder)
    assert chord["body"] in task_ids(doc)
    assert any(is_child(doc, chord["body"], header) for header in chord["header"])


def test_task_retried_has_its_attempts(cli_logs: CliLogs) -> None:
    retried = cli_logs.truth["retried"]
    _, doc = logkit("task", retried, cli_logs.folder)
    attempts = [
        value
        for node in nodes(doc, retried)
        for key, value in node.items()
        if key.startswith("attempt") and isinstance(value, list)
    ]
    assert attempts, f"no list of attempts in {doc}"
    assert len(attempts[0]) == cli_logs.truth["tasks"][retried]["retries"] + 1
    text = json.dumps(doc)
    assert "ConnectionError: upstream r1 not ready" in text  # the retry's reason
    assert "succeeded" in text


def test_task_failure_names_its_error(cli_logs: CliLogs) -> None:
    truth = cli_logs.truth
    for task_id in ids_of(truth, outcome="failed"):
        _, doc = logkit("task", task_id, cli_logs.folder)
        names = {short(s) for s in strings(doc)}
        assert short(truth["tasks"][task_id]["error_type"]) in names, task_id


def test_task_without_an_end_says_so(cli_logs: CliLogs) -> None:
    (active,) = ids_of(cli_logs.truth, outcome="active")
    status, doc = logkit("task", active, cli_logs.folder)
    assert status == 0
    text = json.dumps(nodes(doc, active)).lower()
    assert re.search(r"running|lost|unfinished|no final|not ended", text), text
    assert "succeeded" not in text


def test_task_unknown_is_exit_1(cli_logs: CliLogs) -> None:
    status, _ = logkit("task", "00000000-0000-0000-0000-000000000000", cli_logs.folder)
    assert status == 1


# -- workers -------------------------------------------------------------------------------


def test_workers_both_nodes_their_pool_and_end(cli_logs: CliLogs) -> None:
    status, doc = logkit("workers", cli_logs.folder)
    assert status == 0
    for node, facts in cli_logs.truth["workers"].items():
        found = [
            obj
            for obj in objects(doc)
            if node in (obj.get("worker"), obj.get("node"), obj.get("hostname"))
        ]
        assert found, f"{node} not in {doc}"
        for worker in found:
            assert worker.get("pool") == facts["pool"]
            assert worker.get("concurrency") == facts["concurrency"]
        text = json.dumps(found).lower()
        assert ("lost" in text) == ("lost" in facts["runs"]), text


# -- report ---------------------------------------------------------------------------------


def test_report_html_opens_in_chromium(cli_logs: CliLogs, tmp_path: Path) -> None:
    from ..browser import opened

    page = tmp_path / "report.html"
    done = subprocess.run(
        [SCRIPT, "report", "--html", page, cli_logs.folder],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    text = page.read_text(encoding="utf-8")
    truth = cli_logs.truth
    for name in truth["stats"]:
        assert name in text
    for task_id in ids_of(truth, outcome="active") | ids_of(truth, outcome="reserved"):
        assert task_id in text
    with opened(page.as_uri(), offline=True) as shown:
        shown.screenshot(tmp_path / "report.png", full_page=True)
        marks = shown.tab.eval_on_selector_all(
            "div.chart > svg",
            """svgs => svgs.map(svg => [...svg.querySelectorAll('.series .reactive')]
                .filter(m => { const b = m.getBBox(); return b.width + b.height > 0; }).length)""",
        )
    assert shown.console == []
    assert shown.refused == []
    assert shown.failed == []
    assert len(marks) == 3
    assert all(count > 0 for count in marks)
