"""Every code block of the documentation is run by a test, or checked for what it names.

Python blocks (README.md, docs/**/*.md, examples/*/README.md) are covered in one of three ways:

- a block whose first line is ``# path`` of an example file is a verbatim piece of that
  file, and the example is run by the test :data:`EXAMPLES_RUN_BY` names;
- the other ``# path`` blocks are the files of the documentation's own project (``proj/``
  and ``tests/``, built up across the pages): written out, imported, its tests run;
- any other block is listed in :data:`SNIPPETS` with the code run before and after it,
  and runs in a fresh interpreter.

A block that is none of these — a new, untested one — fails
:func:`test_every_python_block_is_covered`.
Shell blocks: every command is checked by its program (files and modules it names exist,
flags are the command's own, ``LOGKIT_*`` variables are valid); an unknown program fails.
JSON blocks are JSON lines, text blocks are output; the site's own directives (``{toctree}``,
``{eval-rst}``, ``{include}``) are checked by its strict build (``tests/test_docs_site.py``).
A block of any other language fails :func:`test_every_block_is_of_a_known_kind`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from celery_logkit._config import Options, unknown_variables

from .markdown import DOCS, README, ROOT, Block, blocks, example_file, project_blocks, write_project

PYTHON_LANGS = {"python", "py", "python3", "pycon"}
SHELL_LANGS = {"console", "bash", "sh", "shell", "shell-session"}
OUTPUT_LANGS = {"json", "text"}
DIRECTIVES = {"{toctree}", "{eval-rst}", "{include}"}
"""MyST directives of the site's pages: Sphinx reads them, a strict build fails on a bad one."""
VENV_BIN = Path(sys.executable).parent

EXAMPLES_RUN_BY = {
    "examples/django_project": "tests/integration/test_django.py",
    "examples/quickstart_app.py": "tests/test_examples.py",
    "examples/quickstart.py": "tests/test_examples.py",
}
"""Each example a ``# path`` block may show, and the test that runs it."""

RUN_BY_TESTS = {"# appended to proj/celery.py": "tests/integration/test_coexistence.py"}
"""Blocks whose first line is a key here are run by that test, in a real worker."""

APP = """\
from celery import Celery

import celery_logkit
from celery_logkit.testing import capture_logs

app = celery_logkit.install(Celery("proj"))
app.conf.task_always_eager = True
"""
OPTIONS = "from celery_logkit import _install\noptions = _install._installation.options()\n"


@dataclass(frozen=True)
class Snippet:
    """A block found by a line it *contains*, run between *before* and *after*."""

    doc: str
    contains: str
    before: str = ""
    after: str = ""
    env: dict[str, str] = field(default_factory=dict)


SNIPPETS = [
    Snippet(
        "docs/logging.md",
        "log = logger.bind(order_id=order_id)",
        before=APP,
        after="""
with capture_logs() as logs:
    charge.delay(7, 9.5)
assert logs.matching(message="charging 7", task_name="proj.charge"), list(logs)
assert logs.matching(message="charging", order_id=7), list(logs)
assert logs.matching(message="charged card", order_id=7, amount=9.5), list(logs)
assert logs.matching(message="card declined, retrying", order_id=7, level="warning")
""",
    ),
    Snippet(
        "docs/migrating.md",
        "# was: from celery.utils.log import get_task_logger",
        after="""
import logging

from celery.utils.log import get_task_logger as celerys_get_task_logger

from celery_logkit.testing import capture_logs

assert logger is celerys_get_task_logger(__name__) is logging.getLogger(__name__)
assert logger.parent is logging.getLogger("celery.task")
with capture_logs() as logs:
    logger.info("charged", order_id=7)
assert logs.matching(message="charged", order_id=7), list(logs)
""",
    ),
    Snippet(
        "docs/logging.md",
        'celery_logkit.bind_contextvars(tenant="acme")',
        after='assert celery_logkit.get_contextvars() == {"tenant": "acme"}\n',
    ),
    Snippet(
        "docs/lifecycle.md",
        '"task_started": None},  # None turns it off',
        before=APP,
        after=OPTIONS
        + """
assert options.level("task_received") == 20 and options.level("task_started") is None

@app.task
def ping():
    return "pong"

with capture_logs() as logs:
    ping.delay()
assert [r["event"] for r in logs if "event" in r] == ["task_succeeded"], list(logs)
""",
    ),
    Snippet(
        "docs/recipes/opentelemetry.md",
        "CeleryInstrumentor().instrument()",
        before=APP,
        after="""
import re

init_tracing()
logger = celery_logkit.get_task_logger("proj.tasks")


@app.task
def charge():
    logger.info("charging card")


with capture_logs() as logs:
    charge.delay()
(line,) = logs.matching(message="charging card")
assert re.fullmatch("[0-9a-f]{32}", line["trace_id"]), line
assert re.fullmatch("[0-9a-f]{16}", line["span_id"]), line
""",
    ),
    Snippet(
        "docs/recipes/dictconfig.md",
        '"formatters": {"json": {"()": "celery_logkit.JsonFormatter"}},',
        after="""
import json
import logging
import logging.config

import celery_logkit

logging.config.dictConfig(LOGGING)
(handler,) = logging.getLogger().handlers
assert isinstance(handler.formatter, celery_logkit.JsonFormatter)
record = logging.LogRecord("proj", logging.INFO, "proj.py", 1, "hello %s", ("you",), None)
assert json.loads(handler.format(record))["message"] == "hello you"
""",
    ),
    Snippet(
        "docs/configuration.md",
        'app.conf.logkit_redact_keys = [*celery_logkit.DEFAULT_REDACT_KEYS, "pin"]',
        after=OPTIONS
        + """
assert options.log_args is True
assert options.level("task_received") == 20
assert options.redact_keys[-1] == "pin" and "password" in options.redact_keys
""",
    ),
    Snippet(
        "docs/configuration.md",
        'CELERY_LOGKIT_LOG_ARGS = os.environ.get("LOG_TASK_ARGS", "")',
        after="""
import sys

from celery import Celery

import celery_logkit

app = celery_logkit.install(Celery("django"))
app.config_from_object(sys.modules[__name__], namespace="CELERY")
"""
        + OPTIONS
        + """
assert options.schema == "ecs"
assert options.level("task_started") == 10 and options.level("task_received") is None
assert options.log_args is True
""",
        env={"LOG_TASK_ARGS": "yes"},
    ),
]
"""The blocks that are neither an example's code nor a file of the document's project."""


def python_blocks() -> list[Block]:
    return [b for doc in DOCS for b in blocks(doc) if b.lang in PYTHON_LANGS]


def snippet_block(snippet: Snippet) -> Block:
    found = [
        b
        for b in blocks(ROOT / snippet.doc, "python")
        if b.path is None and snippet.contains in b.code
    ]
    assert len(found) == 1, f"{snippet.doc}: {len(found)} blocks contain {snippet.contains!r}"
    return found[0]


def clean_env(**extra: str) -> dict[str, str]:
    """The test run's environment without its ``LOGKIT_*`` variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGKIT_")}
    return {**env, **extra}


# -- Python blocks ---------------------------------------------------------------------


def test_every_python_block_is_covered() -> None:
    """Each block is an example's code, a project file, or a listed snippet."""
    listed = [snippet_block(s) for s in SNIPPETS]  # each listed snippet still exists, once
    assert len(set(listed)) == len(listed), "two SNIPPETS entries find the same block"
    uncovered = []
    for block in python_blocks():
        if block.lang != "python":
            uncovered.append(f"{block.where}: write ```python, not ```{block.lang}")
        elif block.path is None and block not in listed and not run_by_a_test(block):
            uncovered.append(f"{block.where}: not run; add it to SNIPPETS in {__name__}")
    assert uncovered == [], "\n".join(uncovered)


def test_every_block_is_of_a_known_kind() -> None:
    known = PYTHON_LANGS | SHELL_LANGS | OUTPUT_LANGS
    unknown = []
    for doc in DOCS:
        site_page = doc.is_relative_to(ROOT / "docs")
        for block in blocks(doc):
            if block.lang in known or (site_page and block.lang in DIRECTIVES):
                continue
            unknown.append(f"{block.where}: ```{block.lang} is neither run nor checked")
    assert unknown == [], "\n".join(unknown)


def readme_lines() -> list[str]:
    """The README's JSON lines, which a real worker writes (test_readme_output.py)."""
    return [line for b in blocks(README, "json") for line in b.code.splitlines()]


def test_json_blocks_are_json_lines() -> None:
    shown = 0
    for doc in DOCS:
        for block in blocks(doc, "json"):
            for line in block.code.splitlines():
                record = json.loads(line)
                assert isinstance(record, dict), f"{block.where}: {line}"
                if doc != README and record.get("task_name") == "proj.tasks.charge":
                    assert line in readme_lines(), f"{block.where}: not the README's: {line}"
                shown += 1
    assert shown >= 10, shown


def slug(heading: str) -> str:
    """GitHub's anchor for a heading (MyST's too, with ``myst_heading_anchors``)."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def test_links_outside_the_site_lead_somewhere() -> None:
    """The README's and the examples' relative links (the site's own are checked by its
    strict build): the file exists, and so does the heading a ``#fragment`` names."""
    broken = []
    for doc in [d for d in DOCS if not d.is_relative_to(ROOT / "docs")]:
        text = re.sub(r"^```.*?^```", "", doc.read_text(), flags=re.S | re.M)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"https?://", target):
                continue
            path, _, fragment = target.partition("#")
            file = (doc.parent / path).resolve() if path else doc
            if not file.exists():
                broken.append(f"{doc.name}: {target}")
            elif fragment and fragment not in {
                slug(h) for h in re.findall(r"^#+ (.+)$", file.read_text(), flags=re.M)
            }:
                broken.append(f"{doc.name}: {target} (no such heading)")
    assert broken == []


def run_by_a_test(block: Block) -> bool:
    test = RUN_BY_TESTS.get(block.code.partition("\n")[0])
    return test is not None and block.code.partition("\n")[0] in (ROOT / test).read_text()


def example_blocks() -> Iterator[tuple[Block, Path]]:
    for block in python_blocks():
        if block.path and (file := example_file(block.path)) is not None:
            yield block, file


def test_example_blocks_are_the_examples_code_and_run_by_a_test() -> None:
    shown = list(example_blocks())
    assert shown, "the README shows the Django example's files"
    for block, file in shown:
        assert block.body.strip() in file.read_text(), f"{block.where} is not in {file}"
        relative = file.relative_to(ROOT).as_posix()
        owner = next((k for k in EXAMPLES_RUN_BY if relative.startswith(k)), None)
        assert owner, f"{block.where}: no test runs {relative}; add it to EXAMPLES_RUN_BY"
        test = ROOT / EXAMPLES_RUN_BY[owner]
        assert Path(owner).name in test.read_text(), f"{test} does not run {owner}"


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: f"{s.doc}:{s.contains[:30]}")
def test_snippet_runs(snippet: Snippet, tmp_path: Path) -> None:
    block = snippet_block(snippet)
    code = snippet.before + block.code + snippet.after
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=clean_env(**snippet.env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"{block.where}\n{code}\n{done.stderr[-3000:]}"


def test_the_documentations_project_imports_and_its_tests_pass(tmp_path: Path) -> None:
    files = write_project(tmp_path)
    modules = [
        name.removesuffix(".py").replace("/", ".")
        for name in files
        if not name.startswith("tests/")
    ]
    env = clean_env(PYTHONPATH=str(tmp_path))
    imports = "".join(f"import {module}\n" for module in modules)
    subprocess.run([sys.executable, "-c", imports], cwd=tmp_path, env=env, check=True, timeout=60)
    tests = [name for name in files if name.startswith("tests/")]
    if not tests:
        return
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *tests],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    summary = done.stdout.strip().splitlines()[-1]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    passed = int(re.search(r"(\d+) passed", summary)[1])  # type: ignore[index]
    assert passed >= len(tests), summary
    assert not re.search(r"skipped|xfail|error", summary), summary


# -- shell blocks ----------------------------------------------------------------------


@dataclass
class Shell:
    """Where a document's commands run: the folder (after ``cd``) and exported variables.

    Both carry over from block to block, as in the reader's terminal; *groups* are the
    dependency groups of the ``uv run --group`` the current command runs in.
    """

    block: Block
    cwd: Path = ROOT
    env: dict[str, str] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)


def commands(block: Block) -> Iterator[list[str]]:
    """The block's commands as argument lists; console blocks prefix them with ``$``."""
    for line in block.code.splitlines():
        if block.lang == "console" and not line.startswith("$ "):
            continue  # the command's output
        command = line[2:] if block.lang == "console" else line
        for part in re.split(r"\s*(?:&&|\|\||;)\s*", command):
            words = shlex.split(part, comments=True)
            if words:
                yield words


def check_variables(shell: Shell, assignments: dict[str, str]) -> None:
    """``LOGKIT_*`` variables must be celery-logkit's, with values it accepts."""
    variables = {**shell.env, **assignments}
    logkit = {k: v for k, v in variables.items() if k.startswith("LOGKIT_")}
    assert unknown_variables(logkit) == [], f"{shell.block.where}: unknown {logkit}"
    Options.resolve({}, {}, environ=logkit)  # raises on a bad value


def split_assignments(words: list[str]) -> tuple[dict[str, str], list[str]]:
    assignments = {}
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
        name, _, value = words.pop(0).partition("=")
        assignments[name] = value
    return assignments, words


class CeleryHelp:
    """``celery -A <the README's app> <command> --help``, once per command."""

    def __init__(self, folder: Path) -> None:
        write_project(folder)
        self.folder = folder
        self.texts: dict[str, str] = {}

    def text(self, command: str) -> str:
        if command not in self.texts:
            done = subprocess.run(
                [str(VENV_BIN / "celery"), "-A", "proj", command, "--help"],
                cwd=self.folder,
                env=clean_env(PYTHONPATH=str(self.folder)),
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert done.returncode == 0, f"celery {command} --help: {done.stderr[-2000:]}"
            self.texts[command] = done.stdout
        return self.texts[command]


def check_celery(shell: Shell, args: list[str], help_: CeleryHelp) -> None:
    where = shell.block.where
    assert args[0] == "-A", f"{where}: celery without -A app: {args}"
    app, command, *options = args[1:]
    module = app.split(".")[0].split(":")[0]
    known = {p.split("/")[0].removesuffix(".py") for p in project_blocks()}
    assert (
        (shell.cwd / module).exists() or (shell.cwd / f"{module}.py").exists() or (module in known)
    ), f"{where}: no app module {module!r}"
    text = help_.text(command)
    for index, option in enumerate(options):
        if not option.startswith("-"):
            continue
        flag = option.split("=")[0]
        assert re.search(rf"(^|[\s,]){re.escape(flag)}\b", text, re.M), (
            f"{where}: celery {command} has no {flag}"
        )
        choices = re.search(rf"{re.escape(flag)} \[([\w|]+)\]", text)
        if choices and "=" not in option:
            value = options[index + 1]
            assert value in choices[1].split("|"), f"{where}: {flag} {value} not in {choices[1]}"


def check_path(shell: Shell, path: str) -> None:
    assert (shell.cwd / path).exists(), f"{shell.block.where}: {path} does not exist"


def check_uv(shell: Shell, args: list[str], help_: CeleryHelp) -> None:
    assert args[0] == "run", f"{shell.block.where}: uv {args[0]}"
    args = args[1:]
    shell.groups = []
    while args[:1] in (["--group"], ["--extra"]):
        if args[0] == "--group":
            assert args[1] in dependency_groups(), f"{shell.block.where}: no group {args[1]!r}"
            shell.groups.append(args[1])
        else:
            assert args[1] in extras(), f"{shell.block.where}: no extra {args[1]!r}"
        args = args[2:]
    check_command(shell, args, help_)
    shell.groups = []


def extras() -> dict[str, list[str]]:
    extra: dict[str, list[str]] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    return extra


def dependency_groups() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = tomllib.loads((ROOT / "pyproject.toml").read_text())[
        "dependency-groups"
    ]
    return groups


def check_group_tool(package: str) -> Callable[[Shell, list[str], CeleryHelp], None]:
    """A command of *package*, pinned in a group the ``uv run --group`` names, given a
    source folder that exists."""

    def check(shell: Shell, args: list[str], _: CeleryHelp) -> None:
        pinned = [
            g
            for g in shell.groups
            if any(p.startswith(f"{package}==") for p in dependency_groups()[g])
        ]
        assert pinned, f"{shell.block.where}: {package} is in none of the groups {shell.groups}"
        folders = [a for a in args if not a.startswith("-") and (shell.cwd / a).is_dir()]
        assert folders, f"{shell.block.where}: {package} given no source folder that exists"

    return check


def check_cd(shell: Shell, args: list[str], _: CeleryHelp) -> None:
    check_path(shell, args[0])
    shell.cwd = (shell.cwd / args[0]).resolve()


def check_export(shell: Shell, args: list[str], _: CeleryHelp) -> None:
    shell.env.update(split_assignments(args)[0])
    check_variables(shell, {})


def check_script(shell: Shell, args: list[str], _: CeleryHelp) -> None:
    """``python script.py ...`` and ``bash script``: the script exists."""
    if args and not args[0].startswith("-"):
        check_path(shell, args[0])


def check_tool(program: str) -> Callable[[Shell, list[str], CeleryHelp], None]:
    """A dev dependency's command, given paths (and its own subcommands)."""

    def check(shell: Shell, args: list[str], _: CeleryHelp) -> None:
        assert (VENV_BIN / program).exists(), f"{shell.block.where}: {program} is not installed"
        for arg in args:
            if not arg.startswith("-") and arg not in {"check", "format"}:
                check_path(shell, arg)

    return check


def check_filebeat(shell: Shell, args: list[str], _: CeleryHelp) -> None:
    check_path(shell, args[args.index("-c") + 1])


def check_pip(shell: Shell, args: list[str], _: CeleryHelp) -> None:
    """Packages a reader is told to install are ones the tests install too."""
    assert args[0] == "install", f"{shell.block.where}: pip {args[0]}"
    known = (ROOT / "pyproject.toml").read_text()
    for package in args[1:]:
        assert f'"{package}' in known, f"{shell.block.where}: {package} is not tested here"


def check_curl(shell: Shell, args: list[str], _: CeleryHelp) -> None:
    """A request to the example's ``runserver``, on its default address."""
    assert any(a.startswith("http://127.0.0.1:8000/") for a in args), shell.block.where


def check_logkit_command(shell: Shell, args: list[str], _: CeleryHelp) -> None:
    """``celery-logkit SUBCOMMAND ...``: the subcommand and each option exist."""
    where = shell.block.where
    done = subprocess.run(
        [str(VENV_BIN / "celery-logkit"), args[0], "--help"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"{where}: celery-logkit {args[0]}: {done.stderr[-500:]}"
    for option in args[1:]:
        if option.startswith("-"):
            assert option.split("=")[0] in done.stdout, f"{where}: celery-logkit has no {option}"


CHECKERS: dict[str, Callable[[Shell, list[str], CeleryHelp], None]] = {
    "uv": check_uv,
    "cd": check_cd,
    "export": check_export,
    "python": check_script,
    "bash": check_script,
    "celery": check_celery,
    "pytest": check_tool("pytest"),
    "ruff": check_tool("ruff"),
    "mypy": check_tool("mypy"),
    "filebeat": check_filebeat,
    "pip": check_pip,
    "curl": check_curl,
    "sphinx-build": check_group_tool("sphinx"),
    "sphinx-autobuild": check_group_tool("sphinx-autobuild"),
    "celery-logkit": check_logkit_command,
}
"""How each program a document runs is checked; a program not here fails the test."""


def check_command(shell: Shell, words: list[str], help_: CeleryHelp) -> None:
    assignments, words = split_assignments(list(words))
    check_variables(shell, assignments)
    program, *args = words
    checker = CHECKERS.get(program)
    assert checker, f"{shell.block.where}: teach {__name__} to check {program!r}"
    checker(shell, args, help_)


@pytest.fixture(scope="module")
def celery_help(tmp_path_factory: pytest.TempPathFactory) -> CeleryHelp:
    return CeleryHelp(tmp_path_factory.mktemp("celery-help"))


def test_shell_commands_name_what_exists(celery_help: CeleryHelp) -> None:
    checked = 0
    for doc in DOCS:
        shell_blocks = [b for b in blocks(doc) if b.lang in SHELL_LANGS]
        if not shell_blocks:
            continue
        shell = Shell(shell_blocks[0])
        for block in shell_blocks:
            shell.block = block
            for words in commands(block):
                check_command(shell, words, celery_help)
                checked += 1
    assert checked >= 10, checked
