"""``python -m celery_logkit`` and the ``celery-logkit`` console script.

The command's modules (click, rich, plotext, pygal) are the ``celery-logkit[cli]``
extra: without it (a plain ``pip install celery-logkit``) the command says so in one
line and exits 2, instead of a traceback from an import.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import NoReturn

EXTRA = ("click", "rich", "plotext", "pygal")
"""The modules of the ``cli`` extra, looked for (not imported) before the command starts."""


def main() -> NoReturn:
    """Run the ``celery-logkit`` command, or say that it needs the ``cli`` extra (status 2)."""
    if any(importlib.util.find_spec(name) is None for name in EXTRA):
        sys.stderr.write(
            "celery-logkit: this command needs the cli extra: pip install 'celery-logkit[cli]'\n"
        )
        sys.exit(2)
    from ._command import main as command  # noqa: PLC0415 - only once the extra is there

    command()


if __name__ == "__main__":
    main()
