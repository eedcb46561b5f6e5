"""The documentation site: a strict build, every local link real, pages that look right.

The site is built as CI builds it (``sphinx-build -W --keep-going -n``: a broken link or an
unresolved reference is an error), every local link of every built page is followed to a
file and an ``id`` that exist, and a real headless Chromium opens the home page and an API
reference page over HTTP on loopback: no console error, no failed request, the page's own
content visible, screenshots kept for a person to look at.

Needs the ``docs`` dependency group (``uv run --group docs pytest``), and Chromium with
playwright (``apt-get install chromium``; tests/browser.py); without them the test is skipped
with the reason, unless ``LOGKIT_REQUIRE_BROWSER=1`` (as in CI), where that is a failure.
"""

from __future__ import annotations

import functools
import html.parser
import http.server
import importlib.util
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from .browser import missing, opened

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SCREENSHOTS = ROOT / "docs" / "_build" / "screenshots"
"""Where the screenshots are kept after a run (ignored by git), for a person to look at."""
STRICT = ["-W", "--keep-going", "-n", "-q"]
"""Warnings are errors, and so is every unresolved reference (``-n``), as in CI."""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built strictly into a fresh folder."""
    if importlib.util.find_spec("sphinx") is None or importlib.util.find_spec("furo") is None:
        missing("the docs dependency group is not installed (uv run --group docs pytest)")
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", *STRICT, "-b", "html", str(DOCS), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    return out


class Links(html.parser.HTMLParser):
    """The ``href``/``src`` values and the ``id``s of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            elif name in {"href", "src"} and value and not (tag == "link" and "://" in value):
                self.targets.append(value)


@functools.cache
def parsed(page: Path) -> Links:
    links = Links()
    links.feed(page.read_text())
    return links


def broken_links(site: Path) -> list[str]:
    """Each local link of the site whose file or ``#id`` does not exist."""
    broken = []
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 20, pages
    for page in pages:
        for target in parsed(page).targets:
            url = urlsplit(target)
            if url.scheme or url.netloc:  # external: the pages name only checked ones
                continue
            path = (page.parent / unquote(url.path)).resolve() if url.path else page
            if path.is_dir():
                path = path / "index.html"
            where = f"{page.relative_to(site)}: {target}"
            if not path.is_relative_to(site.resolve()) or not path.is_file():
                broken.append(f"{where} (no file)")
            elif url.fragment and path.suffix == ".html" and url.fragment not in parsed(path).ids:
                broken.append(f"{where} (no id {url.fragment!r})")
    return broken


def test_every_local_link_of_the_site_leads_somewhere(site: Path) -> None:
    assert broken_links(site) == []


def test_the_link_checker_finds_a_broken_link(site: Path, tmp_path: Path) -> None:
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    page = copy / "index.html"
    page.write_text(
        page.read_text().replace(
            "</body>",
            '<a href="nowhere.html">x</a><a href="configuration.html#no-such-id">y</a></body>',
        )
    )
    parsed.cache_clear()
    assert broken_links(copy) == [
        "index.html: nowhere.html (no file)",
        "index.html: configuration.html#no-such-id (no id 'no-such-id')",
    ]


def test_the_api_reference_documents_all_the_public_api(site: Path) -> None:
    import celery_logkit
    import celery_logkit.schemas
    import celery_logkit.testing

    ids = set()
    for page in ("api", "schemas", "testing"):
        ids |= parsed(site / "reference" / f"{page}.html").ids
    public = [f"celery_logkit.{n}" for n in celery_logkit.__all__ if n != "Schema"]
    public += [f"celery_logkit.schemas.{n}" for n in celery_logkit.schemas.__all__]
    public += [f"celery_logkit.testing.{n}" for n in celery_logkit.testing.__all__]
    assert [name for name in public if name not in ids] == []


def test_every_page_is_in_the_navigation(site: Path) -> None:
    index = (site / "index.html").read_text()
    for page in DOCS.rglob("*.md"):
        if page.name == "index.md":
            continue
        name = page.relative_to(DOCS).with_suffix(".html").as_posix()
        assert f'href="{name}"' in index, f"{name} is not in the navigation"


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The site over HTTP on loopback (search and fonts behave as they do when hosted)."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize(
    ("page", "shows"),
    [
        ("index.html", "Celery workers that log like a production system"),
        ("reference/api.html", "celery_logkit.install"),
    ],
)
def test_the_page_opens_in_chromium_without_errors(served: str, page: str, shows: str) -> None:
    shot = SCREENSHOTS / (page.replace("/", "-").removesuffix(".html") + ".png")
    with opened(f"{served}/{page}") as shown:
        body = shown.tab.inner_text("body")
        title = shown.tab.title()
        sidebar = shown.tab.inner_text(".sidebar-tree")
        shown.screenshot(shot)
    assert shows in body, body[:2000]
    assert title.endswith("celery-logkit"), title
    assert "Getting started" in sidebar, sidebar
    assert "Troubleshooting" in sidebar, sidebar
    assert shown.problems == []
    assert shown.failed == []
    assert shot.stat().st_size > 10_000, "a blank page"
