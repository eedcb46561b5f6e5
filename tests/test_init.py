"""The package's ``__version__``: the installed distribution's, whatever pyproject.toml says."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import celery_logkit

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_version_is_the_one_pyproject_gives() -> None:
    with PYPROJECT.open("rb") as file:
        assert celery_logkit.__version__ == tomllib.load(file)["project"]["version"]


def test_version_without_an_installed_distribution_is_unknown() -> None:
    code = """
import importlib.metadata

def not_installed(name):
    raise importlib.metadata.PackageNotFoundError(name)

importlib.metadata.version = not_installed
import celery_logkit
print(celery_logkit.__version__)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0+unknown"
