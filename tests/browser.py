"""A page opened in a real headless Chromium, and everything that went wrong on it.

One driver for every test that looks at a page: playwright's Python package driving the
system's Chromium (``executable_path``; Debian's ``chromium`` package), so there is no
browser download and no chromedriver. Its events say directly what went wrong: each
console message, each uncaught error, each request that failed or was answered with an
error status, each dialog (an ``alert()``), and it can refuse requests outright.

Without Chromium or playwright (the ``dev`` dependency group) a test that needs them is
skipped with the reason; with ``LOGKIT_REQUIRE_BROWSER=1`` (as in CI) that is a failure.
``LOGKIT_CHROMIUM`` names another Chromium binary.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page, Request, Response, Route

PROBLEMS = frozenset({"error", "warning", "pageerror"})
"""The console entries that are a page's problems: errors, warnings and uncaught errors."""


def missing(what: str) -> NoReturn:
    """Skip for *what*, or fail when the browser is required (``LOGKIT_REQUIRE_BROWSER=1``)."""
    if os.environ.get("LOGKIT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"LOGKIT_REQUIRE_BROWSER=1 but {what}")
    pytest.skip(what)


def chromium_path() -> str:
    """The Chromium to drive, or skip (fail when required) when there is none."""
    named = os.environ.get("LOGKIT_CHROMIUM")
    found = (
        shutil.which(named)
        if named
        else shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not found:
        missing(f"no Chromium ({named or 'chromium'}; apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing("playwright is not installed (the dev dependency group)")
    return found


@dataclass
class Opened:
    """A page open in Chromium, and what went wrong on it since it was asked for."""

    tab: Page
    console: list[tuple[str, str]] = field(default_factory=list)
    """Every console message as ``(type, text)``; an uncaught error's type is ``pageerror``."""
    failed: list[str] = field(default_factory=list)
    """Each request that failed (``url: reason``) or was answered with a status >= 400."""
    refused: list[str] = field(default_factory=list)
    """Each URL but the page's own that it asked for, when opened ``offline`` (refused)."""
    dialogs: list[str] = field(default_factory=list)
    """The message of each dialog (``alert()``, ``confirm()``...) the page opened."""

    @property
    def problems(self) -> list[tuple[str, str]]:
        """The console's errors, warnings and uncaught errors."""
        return [entry for entry in self.console if entry[0] in PROBLEMS]

    def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        """Save what the page shows (the viewport, or all of it) as a PNG at *path*."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.tab.screenshot(path=str(path), full_page=full_page)
        return path


@contextmanager
def opened(url: str, *, offline: bool = False) -> Iterator[Opened]:
    """Open *url* (``http://`` or ``file://``) in a fresh headless Chromium, 1280x900.

    The page is loaded and its network quiet when this yields. With *offline*, every
    request but the page's own is refused and recorded in ``refused``. Skips (fails when
    required) when Chromium or playwright is absent.
    """
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.set_default_timeout(30_000)
            seen = Opened(tab)
            tab.on("console", lambda message: seen.console.append((message.type, message.text)))
            tab.on("pageerror", lambda error: seen.console.append(("pageerror", str(error))))
            tab.on("dialog", lambda dialog: (seen.dialogs.append(dialog.message), dialog.dismiss()))

            def failed(request: Request) -> None:
                seen.failed.append(f"{request.url}: {request.failure}")

            def answered(response: Response) -> None:
                if response.status >= 400:
                    seen.failed.append(f"{response.url}: {response.status}")

            tab.on("requestfailed", failed)
            tab.on("response", answered)
            if offline:

                def refuse(route: Route) -> None:
                    if route.request.url == url:
                        route.continue_()
                    else:
                        seen.refused.append(route.request.url)
                        route.abort()

                tab.route("**/*", refuse)
            tab.goto(url, wait_until="load")
            tab.wait_for_load_state("networkidle")
            yield seen
        finally:
            browser.close()
