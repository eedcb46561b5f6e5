"""LineProxy: print() in a worker is one record per line, kept per thread until its newline."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Iterator

import pytest

from celery_logkit import _stdio


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((threading.current_thread().name, record.getMessage()))


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("test_stdio.redirected")
    logger.propagate = False
    yield logger
    logger.handlers.clear()


def redirect(logger: logging.Logger, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Redirect as celery would; in the test itself, as pytest resets sys.stdout before it."""
    collect = Collect()
    logger.addHandler(collect)
    monkeypatch.setattr(sys, "stdout", sys.stdout)
    monkeypatch.setattr(sys, "stderr", sys.stderr)
    _stdio.redirect_stdouts_to_logger(logger, logging.WARNING)
    return collect.lines


def messages(printed: list[tuple[str, str]]) -> list[str]:
    return [message for _, message in printed]


def test_print_with_several_arguments_is_one_record(
    logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    printed = redirect(logger, monkeypatch)
    print("charged", 7)
    assert messages(printed) == ["charged 7"]


def test_a_traceback_is_one_record_per_line(
    logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    printed = redirect(logger, monkeypatch)
    try:
        raise ValueError("printed")
    except ValueError:
        traceback.print_exc()
    lines = messages(printed)
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[-1] == "ValueError: printed"
    assert all("\n" not in line and line.strip() for line in lines), lines


def test_a_partial_line_waits_for_its_newline_or_the_tasks_end(
    logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    printed = redirect(logger, monkeypatch)
    print("half", end="", flush=True)
    assert messages(printed) == []
    print(" and rest")
    sys.stdout.write("unfinished")
    assert messages(printed) == ["half and rest"]
    _stdio.flush_current()
    assert messages(printed) == ["half and rest", "unfinished"]


def test_threads_do_not_mix_their_halves(
    logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    printed = redirect(logger, monkeypatch)
    started = threading.Barrier(2)

    def task(name: str) -> None:
        sys.stdout.write(f"{name} one")
        started.wait()
        sys.stdout.write(f" {name} two\n")
        sys.stdout.write(f"{name} left")
        started.wait()

    workers = [threading.Thread(target=task, args=(n,), name=n) for n in ("a", "b")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(printed) == [("a", "a one a two"), ("b", "b one b two")]
    _stdio.flush_all()
    assert sorted(messages(printed)[2:]) == ["a left", "b left"]


def test_a_thread_that_ended_mid_line_does_not_share_it_with_the_next_one_with_its_id(
    logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    printed = redirect(logger, monkeypatch)
    first = threading.Thread(target=sys.stdout.write, args=("secret-from-A",), name="a")
    first.start()
    first.join()

    def second() -> None:
        if threading.get_ident() == first.ident:
            sys.stdout.write("B line\n")

    for _ in range(100):  # the system gives a new thread an ended one's id, soon
        thread = threading.Thread(target=second, name="b")
        thread.start()
        thread.join()
        if thread.ident == first.ident:
            break
    else:
        pytest.skip("no thread was given the ended thread's id")
    assert printed == [("b", "secret-from-A"), ("b", "B line")]


def test_a_carriage_return_ends_a_line(
    logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    printed = redirect(logger, monkeypatch)
    for done in (1, 2):
        sys.stdout.write(f"\r{done}/3 |{'#' * done}")
    sys.stdout.write("\r3/3 |###| done\n")
    print("from windows", end="\r\n")
    assert messages(printed) == ["1/3 |#", "2/3 |##", "3/3 |###| done", "from windows"]
