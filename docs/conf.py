"""Sphinx configuration of celery-logkit's documentation site.

Sphinx with MyST and Furo: the pages are the Markdown files next to this one, read as
CommonMark (so they render the same on GitHub), and the API reference is autodoc's, from
the docstrings, which are reStructuredText. Build strictly, as CI does:
``uv run --group docs sphinx-build -W --keep-going -n -b html docs docs/_build/html``.
"""

from __future__ import annotations

import celery_logkit

project = "celery-logkit"
author = "celery-logkit developers"
copyright = "celery-logkit developers"
release = celery_logkit.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# GitHub's heading slugs, so ``page.md#a-heading`` links work on GitHub and on the site.
myst_heading_anchors = 4
myst_enable_extensions = ["deflist"]

# Every reference into celery_logkit must resolve (``-n``). Other projects' objects are
# named in the docstrings as text: there is no network in CI to fetch their inventories.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(logging|contextvars|collections|typing|types|os|sys|re|threading)(\..*)?"),
    (r"py:.*", r"(celery|kombu|billiard|structlog|opentelemetry|ddtrace|pytest|_pytest)(\..*)?"),
    (r"py:.*", r"(Any|Callable|Iterator|Mapping|Sequence|Iterable|MutableMapping)"),
    (r"py:.*", r"(str|int|bool|bytes|float|dict|list|tuple|set|object|None|type)"),
    (r"py:.*", r"(LogRecord|Formatter|Handler|Logger|LoggerAdapter|Filter|Celery|Task)"),
    # Internal names in signatures (``_Capture``, the console's ``Context`` literal).
    (r"py:.*", r"(.*\._\w+|Context)"),
]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_preserve_defaults = True

html_theme = "furo"
html_title = "celery-logkit"
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"
html_show_sourcelink = False
html_copy_source = False
