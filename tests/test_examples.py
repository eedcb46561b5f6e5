"""The README's main job: the quickstart runs a real worker and exits 0 by itself; the
Django section's snippets are the example project's code."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.worker
def test_quickstart_prints_json_lines_and_exits_0() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    records = [json.loads(line) for line in done.stdout.splitlines()]
    events = [(r["event"], r["task_name"]) for r in records if "event" in r]
    assert sorted(events) == [
        ("task_enqueued", "quickstart_app.flaky_fetch"),  # the retry, published by itself
        ("task_failed", "quickstart_app.divide"),
        ("task_retrying", "quickstart_app.flaky_fetch"),
        ("task_started", "quickstart_app.charge"),
        ("task_started", "quickstart_app.divide"),
        ("task_started", "quickstart_app.flaky_fetch"),
        ("task_started", "quickstart_app.flaky_fetch"),
        ("task_succeeded", "quickstart_app.charge"),
        ("task_succeeded", "quickstart_app.flaky_fetch"),
    ]
    failed = next(r for r in records if r.get("event") == "task_failed")
    assert failed["error"]["type"] == "ZeroDivisionError"


def python_blocks(path: Path) -> list[str]:
    """The ```python blocks of a Markdown file, in order."""
    return re.findall(r"^```python\n(.*?)^```$", path.read_text(), flags=re.DOTALL | re.MULTILINE)


def test_configuration_reference_snippets_run(tmp_path: Path) -> None:
    in_code, django_settings = python_blocks(ROOT / "docs" / "configuration.md")
    check_code = (
        "from celery_logkit import _install\n"
        "options = _install._installation.options()\n"
        "assert options.log_args is True\n"
        "assert options.level('task_received') == 20\n"
        "assert options.redact_keys[-1] == 'pin' and 'password' in options.redact_keys\n"
    )
    (tmp_path / "doc_settings.py").write_text(django_settings)
    check_django = (
        "from celery import Celery\n"
        "import celery_logkit\n"
        "app = celery_logkit.install(Celery('django'))\n"
        "app.config_from_object('doc_settings', namespace='CELERY')\n"
        "from celery_logkit import _install\n"
        "options = _install._installation.options()\n"
        "assert options.schema == 'ecs'\n"
        "assert options.level('task_started') == 10 and options.level('task_received') is None\n"
        "assert options.log_args is True\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGKIT_")}
    for code in (in_code + check_code, check_django):
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=tmp_path,
            env={**env, "LOG_TASK_ARGS": "yes", "PYTHONPATH": str(tmp_path)},
            check=True,
            timeout=60,
        )


DJANGO_PROJECT = ROOT / "examples" / "django_project"


def readme_section(title: str) -> str:
    """The README's ``## title`` section, up to the next ``## `` heading."""
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_the_django_sections_snippets_are_the_example_projects_code() -> None:
    """Each Python snippet there is a piece of the project that test_django.py runs with a
    real worker; its first line names the file it comes from."""
    blocks = re.findall(r"```python\n(.*?)```", readme_section("In a Django project"), re.S)
    assert len(blocks) == 3
    for block in blocks:
        first, _, code = block.partition("\n")
        assert first.startswith("# "), block
        source = (DJANGO_PROJECT / first.removeprefix("# ")).read_text()
        assert code.strip() in source, f"README's {first} is not in the example's file"
