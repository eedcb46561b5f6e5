"""Write ``src/celery_logkit/schemas/_ecs_fields.py`` from ECS's ``fields.csv``.

The csv is the one the ECS repository generates (``generated/csv/fields.csv``); a copy
is kept at ``tests/specs/ecs-fields.csv``.  Every row becomes one ``name: type`` entry,
except the ``.text`` multi-fields: Elasticsearch derives those from their parent at
index time, so a document can never hold them and a log line must not place a value
there.  Run it with ``uv run python scripts/gen_ecs_fields.py [CSV]``.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CSV_PATH = ROOT / "tests" / "specs" / "ecs-fields.csv"
MODULE_PATH = ROOT / "src" / "celery_logkit" / "schemas" / "_ecs_fields.py"

_CONTAINERS = frozenset({"object", "nested", "flattened"})

HEADER = '''\
"""The Elastic Common Schema's fields and the type ECS gives each.

Written by ``scripts/gen_ecs_fields.py`` from ECS's ``fields.csv`` (a copy is kept at
``tests/specs/ecs-fields.csv``); run that script instead of editing this file.
``FIELDS`` maps each dotted field name to its Elasticsearch type.  ECS lists no entry
for a field set itself (``user``, ``http.request``): a name is one when some field
starts with it and a dot.  The ``.text`` multi-fields are left out, since
Elasticsearch fills them from their parent and a document never holds them.
"""

from __future__ import annotations

from typing import Final

__all__ = ["ECS_VERSION", "FIELDS"]

'''


def read_rows(path: Path) -> list[dict[str, str]]:
    """Return the csv's rows as dicts keyed by its header."""
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def fields(rows: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """Map each field a document can hold to its type, in the csv's order."""
    types = {row["Field"]: row["Type"] for row in rows}
    return {name: kind for name, kind in types.items() if not _is_multi_field(name, types)}


def _is_multi_field(name: str, types: Mapping[str, str]) -> bool:
    """Say whether *name* sits under a field that holds a value (a multi-field)."""
    parts = name.split(".")
    for end in range(1, len(parts)):
        parent = types.get(".".join(parts[:end]))
        if parent is not None and parent not in _CONTAINERS:
            return True
    return False


def render(rows: list[dict[str, str]]) -> str:
    """Return the module's source for the csv *rows*."""
    versions = {row["ECS_Version"] for row in rows}
    if len(versions) != 1:
        raise ValueError(f"the csv mixes ECS versions: {sorted(versions)}")
    lines = [HEADER]
    lines.append(f"ECS_VERSION: Final = {json.dumps(versions.pop())}\n")
    lines.append('"""The ECS version the field list comes from (the csv\'s version column)."""\n\n')
    lines.append("FIELDS: Final[dict[str, str]] = {\n")
    lines.extend(f"    {json.dumps(k)}: {json.dumps(v)},\n" for k, v in fields(rows).items())
    lines.append("}\n")
    lines.append(
        '"""Dotted ECS field name -> its type (``keyword``, ``long``, ``object``...)."""\n'
    )
    return "".join(lines)


def main(argv: list[str]) -> None:
    """Rewrite the module from the csv named in *argv*, or from the test copy."""
    source = Path(argv[0]) if argv else CSV_PATH
    MODULE_PATH.write_text(render(read_rows(source)), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
