"""celery-logkit's pytest plugin: the ``logkit_logs`` fixture.

Registered through the ``pytest11`` entry point, so pytest imports it in every project
that has celery-logkit installed.  It lives outside the ``celery_logkit`` package so
that importing it imports neither celery nor celery-logkit, and it configures nothing
until a test asks for the fixture.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from celery_logkit.testing import CapturedLogs, _Capture

__all__ = ["logkit_logs"]

_CAPTURE: pytest.StashKey[_Capture] = pytest.StashKey()
"""Where the fixture keeps its capture, for the hook below."""


@pytest.fixture
def logkit_logs(request: pytest.FixtureRequest) -> Iterator[CapturedLogs]:
    """Yield the structured records written during the test, at INFO and above.

    A list of plain dicts, as ``celery_logkit.testing.capture_logs()`` yields it;
    ``logkit_logs.wait_for(event="task_succeeded", task_id=...)`` awaits a record
    written by a worker thread.
    """
    from celery_logkit.testing import capture_logs  # noqa: PLC0415 - only when asked for

    capture = capture_logs()
    with capture as logs:
        request.node.stash[_CAPTURE] = capture
        try:
            yield logs
        finally:
            del request.node.stash[_CAPTURE]


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Lower the levels again inside pytest's own log capture for the test's call.

    With ``log_level`` configured, pytest resets the root logger's level between a
    test's setup and its call, which would drop the records the fixture asked for.
    """
    capture = item.stash.get(_CAPTURE, None)
    if capture is not None:
        capture.apply()
    return (yield)
