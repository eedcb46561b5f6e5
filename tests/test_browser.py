"""The browser helper sees what goes wrong on a page: a test that trusts it can fail."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from .browser import opened

TROUBLE = """<!doctype html><title>t</title><body><p>shown</p>
<img src="elsewhere.png"><img src="https://example.invalid/x.png">
<script>console.log("said"); console.warn("warned"); console.error("erred");
alert("alerted"); throw new Error("thrown");</script>"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """*tmp_path* over HTTP on loopback."""
    handler = functools.partial(Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_offline_every_request_but_the_page_is_refused_and_every_message_kept(
    tmp_path: Path,
) -> None:
    (tmp_path / "elsewhere.png").write_bytes(b"not fetched")
    trouble = tmp_path / "trouble.html"
    trouble.write_text(TROUBLE)
    with opened(trouble.as_uri(), offline=True) as shown:
        assert shown.tab.inner_text("body") == "shown"
    refused = [(tmp_path / "elsewhere.png").as_uri(), "https://example.invalid/x.png"]
    assert sorted(shown.refused) == sorted(refused)
    assert sorted(url.split(": ")[0] for url in shown.failed) == sorted(refused)
    assert shown.dialogs == ["alerted"]
    kinds = [kind for kind, _ in shown.console]
    assert {"log", "warning", "error", "pageerror"} <= set(kinds), shown.console
    assert ("pageerror", "thrown") in shown.problems
    assert "log" not in {kind for kind, _ in shown.problems}


def test_a_missing_file_is_a_failed_request(served: str, tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text('<!doctype html><title>t</title><img src="gone.png">')
    (tmp_path / "favicon.ico").write_bytes(b"")  # Chromium asks for one, unseen but logged
    with opened(f"{served}/page.html") as shown:
        pass
    assert shown.failed == [f"{served}/gone.png: 404"]
    assert [kind for kind, _ in shown.problems] == ["error"], shown.console  # Failed to load
    assert shown.refused == []
