"""The documentation's fenced code blocks, and the files its ``# path`` blocks stand for.

A block whose first line is ``# some/file.py`` shows that file. Either it is a piece of
an example under ``examples/`` (verbatim), or it is one file of the project the
documentation builds up block by block across its pages (``proj/celery.py`` in the README,
``proj/tasks.py`` and ``tests/...`` on the testing page), which :func:`write_project`
writes out to be run. A file shown on two pages must be shown the same on both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = [README, *sorted((ROOT / "docs").rglob("*.md")), *sorted(ROOT.glob("examples/*/README.md"))]
"""Every Markdown page of the documentation: the README, the site's pages (``docs/`` and its
folders) and the examples' READMEs."""
EXAMPLE_ROOTS = [ROOT / "examples", *sorted(p.parent for p in ROOT.glob("examples/*/README.md"))]

_FENCE = re.compile(r"^( *)(`{3,})([^\s`]*)(?: +[^`]*)?$")
"""A fence, indented (inside a list item) or not: its indentation, backticks, language, and
the directive's argument that may follow (``{include} ../CHANGELOG.md``)."""
_PATH_LINE = re.compile(r"# ([\w./-]+\.\w+)$")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown file."""

    doc: Path
    line: int
    lang: str
    code: str
    section: str

    @property
    def where(self) -> str:
        """``README.md:123 (section)``, for failure messages."""
        return f"{self.doc.relative_to(ROOT)}:{self.line} ({self.section})"

    @property
    def path(self) -> str | None:
        """The file the block shows, when its first line is ``# that/file.py``."""
        match = _PATH_LINE.fullmatch(self.code.partition("\n")[0])
        return match[1] if match else None

    @property
    def body(self) -> str:
        """The code without its ``# path`` line."""
        return self.code.partition("\n")[2] if self.path else self.code


def blocks(doc: Path, lang: str | None = None) -> list[Block]:
    """The fenced blocks of *doc* (of language *lang*, if given), in order."""
    found: list[Block] = []
    section = doc.name
    fence: tuple[str, str, str, int] | None = None  # indentation, backticks, language, line
    lines: list[str] = []
    for number, text in enumerate(doc.read_text().splitlines(), start=1):
        match = _FENCE.match(text)
        if fence is None:
            if match:
                fence, lines = (match[1], match[2], match[3], number), []
            elif text.startswith("#"):
                section = text.lstrip("#").strip()
        elif match and match[2] == fence[1] and not match[3] and match[0].strip() == match[2]:
            code = "\n".join(line.removeprefix(fence[0]) for line in lines) + "\n"
            found.append(Block(doc, fence[3], fence[2], code, section))
            fence = None
        else:
            lines.append(text)
    assert fence is None, f"{doc}: the block at line {fence[3]} is never closed"
    return [b for b in found if lang is None or b.lang == lang]


def example_file(path: str) -> Path | None:
    """The example file *path* names, relative to ``examples/`` or an example project."""
    found = [root / path for root in EXAMPLE_ROOTS if (root / path).is_file()]
    assert len(found) <= 1, f"# {path} is ambiguous: {found}"
    return found[0] if found else None


def project_blocks(docs: list[Path] = DOCS) -> dict[str, Block]:
    """The ``# path`` blocks of *docs* that are files of the documentation's project, by path.

    A file may be shown on more than one page (the README's ``proj/celery.py`` on the home
    page too), but never two ways: the first showing stands for it.
    """
    files: dict[str, Block] = {}
    for doc in docs:
        for block in blocks(doc, "python"):
            if block.path is None or example_file(block.path) is not None:
                continue
            shown = files.setdefault(block.path, block)
            assert shown.code == block.code, (
                f"{block.where}: # {block.path} differs from {shown.where}"
            )
    return files


def write_project(folder: Path) -> dict[str, Path]:
    """Write the documentation's project files under *folder*; packages get an ``__init__.py``."""
    written = {}
    for name, block in project_blocks().items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(block.code)
        if path.parent != folder and path.parent.name != "tests":
            (path.parent / "__init__.py").touch()
        written[name] = path
    return written
