"""Reading logs back: inputs, the lines that matter, one vocabulary for every schema.

An input is a file, a ``.gz`` file, a directory's files, a glob's matches, or ``-``
(standard input).  It is read in large line-aligned chunks, and only the lines that can
hold an answer are parsed: a caller names the bytes such a line contains (a task's id,
the ``:"task_`` of a lifecycle event's name), found with ``bytes.find``, so the rest of
the input is never split into lines or decoded.  A line is taken as celery-logkit's
when it has a schema's timestamp and level (:data:`SCHEMA_PATHS`, detected per line, so
mixed input is fine), and read into a :class:`LogEvent` in the default schema's names.
Lines that are not celery-logkit's are skipped and counted; a line that starts as JSON
but is not is reported as malformed (its input and line number), never raised.

This module imports neither celery nor the schemas' modules (which import
OpenTelemetry): the command starts in a few tens of milliseconds, which is most of the
time it takes to find one task in a large file.  :data:`SCHEMA_PATHS` is therefore the
schemas' description written out, and ``tests/test_read.py`` checks that it is what
:mod:`celery_logkit.schemas` says.
"""

from __future__ import annotations

import datetime as _dt
import glob
import gzip
import itertools
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

__all__ = [
    "CHUNK",
    "LIFECYCLE",
    "SCHEMA_PATHS",
    "STAMP",
    "Input",
    "InputError",
    "LogEvent",
    "Paths",
    "Scan",
    "expand",
    "lifecycle",
    "normalise",
    "parse_time",
]

CHUNK = 8 << 20
"""Bytes read at a time: large enough that a search runs at memory speed."""

Path = tuple[str, ...]


@dataclass(frozen=True)
class Paths:
    """Where a schema writes each part of a line that the answers read.

    A role's path as in :class:`celery_logkit.schemas.Schema`; *namespace* is where an
    event's own fields go, and *duration_scale* how many of the written unit make a
    millisecond.
    """

    name: str
    timestamp: Path
    level: Path
    message: Path
    logger: Path
    service: Path
    host: Path | None
    event: Path
    duration: Path
    task: Mapping[str, Path]
    error_type: Path
    error_message: Path
    error_stack: Path
    namespace: Path
    duration_scale: float


_TASK_KEYS = ("task_id", "task_name", "retries", "root_id", "parent_id", "group_id", "queue")
_DEFAULT_OWN = frozenset(
    {*_TASK_KEYS, "worker", "timestamp", "level", "logger", "message", "service", "env"}
    | {"version", "event", "duration_ms", "error"}
)

SCHEMA_PATHS: tuple[Paths, ...] = (
    Paths(
        name="default",
        timestamp=("timestamp",),
        level=("level",),
        message=("message",),
        logger=("logger",),
        service=("service",),
        host=None,
        event=("event",),
        duration=("duration_ms",),
        task={**{key: (key,) for key in _TASK_KEYS}, "worker": ("worker",)},
        error_type=("error", "type"),
        error_message=("error", "message"),
        error_stack=("error", "stack_trace"),
        namespace=(),
        duration_scale=1.0,
    ),
    Paths(
        name="ecs",
        timestamp=("@timestamp",),
        level=("log.level",),
        message=("message",),
        logger=("log", "logger"),
        service=("service", "name"),
        host=("host", "hostname"),
        event=("event", "action"),
        duration=("event", "duration"),
        task={
            "task_id": ("task_id",),
            "task_name": ("task_name",),
            **{key: ("celery", key) for key in _TASK_KEYS[2:]},
            "worker": ("service", "node", "name"),
        },
        error_type=("error", "type"),
        error_message=("error", "message"),
        error_stack=("error", "stack_trace"),
        namespace=("celery",),
        duration_scale=1_000_000,
    ),
    Paths(
        name="datadog",
        timestamp=("timestamp",),
        level=("status",),
        message=("message",),
        logger=("logger", "name"),
        service=("service",),
        host=None,
        event=("evt", "name"),
        duration=("duration",),
        task={
            "task_id": ("task_id",),
            "task_name": ("task_name",),
            **{key: ("celery", key) for key in (*_TASK_KEYS[2:], "worker")},
        },
        error_type=("error", "kind"),
        error_message=("error", "message"),
        error_stack=("error", "stack"),
        namespace=("celery",),
        duration_scale=1_000_000,
    ),
)
"""The built-in schemas' paths, in the order a line is tried against them."""


class InputError(Exception):
    """An input that cannot be read: its message is one line for the person running it."""


@dataclass(frozen=True)
class Input:
    """One input: a file's path (``.gz`` ones decompressed), or ``-`` for standard input.

    A plain file's part is its bytes from *start* (a line's start) up to *stop*.
    """

    name: str
    start: int = 0
    stop: int | None = None

    @property
    def is_stdin(self) -> bool:
        """Whether this input is standard input."""
        return self.name == "-"

    def size(self) -> int | None:
        """Return the bytes to read when known beforehand (a plain file), for a progress bar."""
        if self.is_stdin or self.name.endswith(".gz"):
            return None
        if self.stop is not None:
            return self.stop - self.start
        try:
            return os.path.getsize(self.name)
        except OSError:
            return None

    def parts(self, count: int) -> list[Input]:
        """Return a plain file cut in *count* parts of about equal size at lines' starts."""
        size = self.size()
        if size is None or count < 2:
            return [self]
        cuts = [0]
        try:
            with open(self.name, "rb") as file:
                for index in range(1, count):
                    file.seek(max(cuts[-1], size * index // count))
                    file.readline()
                    cuts.append(file.tell())
        except OSError:
            return [self]
        cuts.append(size)
        return [Input(self.name, a, b) for a, b in itertools.pairwise(cuts) if b > a]

    def open(self) -> IO[bytes]:
        """Open the input for reading bytes; an :class:`InputError` says why it cannot be."""
        if self.is_stdin:
            return _stdin()
        try:
            if self.name.endswith(".gz"):
                return gzip.open(self.name, "rb")  # type: ignore[return-value]
            return open(self.name, "rb", buffering=0)
        except OSError as exc:
            raise InputError(f"{self.name}: {exc.strerror or exc}") from None

    def chunks(
        self, progress: Callable[[int], None] | None = None
    ) -> Iterator[tuple[bytearray, int]]:
        """Yield the input as ``(buffer, end)``: ``buffer[:end]`` ends with a whole line.

        One buffer is read into again and again (what follows a chunk's last line is
        moved to its start), so a scan allocates nothing per chunk; it grows only for a
        line longer than itself.  *progress* is called with the bytes read (compressed
        bytes are not counted: a ``.gz`` input's size is not known beforehand).
        """
        stream = self.open()
        buffer = bytearray(CHUNK)
        kept = 0
        left = -1 if self.stop is None else self.stop - self.start
        try:
            if self.start:
                stream.seek(self.start)
            while True:
                with memoryview(buffer) as view:
                    try:
                        room = view[kept:] if left < 0 else view[kept : kept + left]
                        got = stream.readinto(room)  # type: ignore[attr-defined]
                        left -= got if left > 0 else 0
                    except (OSError, EOFError, gzip.BadGzipFile) as exc:
                        raise InputError(f"{self.name}: {exc}") from None
                if progress is not None and got:
                    progress(got)
                if not got:
                    if kept:
                        if buffer[kept - 1] != _NL:
                            buffer[kept : kept + 1] = b"\n"
                            kept += 1
                        yield buffer, kept
                    return
                size = kept + got
                cut = buffer.rfind(b"\n", 0, size) + 1
                if cut == 0:
                    kept = size
                    if size == len(buffer):
                        buffer.extend(bytes(len(buffer)))
                    continue
                yield buffer, cut
                kept = size - cut
                buffer[:kept] = buffer[cut:size]
        finally:
            if not self.is_stdin:
                stream.close()


def _stdin() -> IO[bytes]:
    """Return standard input's bytes, decompressed when they start with gzip's magic bytes.

    ``cat worker.log.gz | celery-logkit stats`` reads as the ``.gz`` file does.  The
    bytes are peeked at, not read, so plain lines lose nothing.
    """
    stream = sys.stdin.buffer
    peek = getattr(stream, "peek", None)
    if peek is not None and peek(len(_GZIP))[: len(_GZIP)] == _GZIP:
        return gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[return-value]
    return stream


_GZIP = b"\x1f\x8b"
_NL = ord("\n")
_EOL = b"\n"


def expand(names: Iterable[str]) -> tuple[list[Input], list[str]]:
    """Return the inputs *names* stand for, and one error line per name that stands for none.

    A name is ``-``, a file, a directory (its files, sorted, not recursing), or a glob.
    """
    inputs: list[Input] = []
    errors: list[str] = []
    for name in names:
        if name == "-":
            inputs.append(Input("-"))
        elif os.path.isdir(name):
            found = sorted(
                entry.path for entry in os.scandir(name) if entry.is_file() and not _hidden(entry)
            )
            inputs += [Input(path) for path in found]
            if not found:
                errors.append(f"{name}: no files in this directory")
        elif os.path.exists(name):
            inputs.append(Input(name))
        elif glob.has_magic(name):
            found = sorted(path for path in glob.glob(name) if os.path.isfile(path))
            inputs += [Input(path) for path in found]
            if not found:
                errors.append(f"{name}: no file matches")
        else:
            errors.append(f"{name}: No such file or directory")
    return inputs, errors


def _hidden(entry: os.DirEntry[str]) -> bool:
    return entry.name.startswith(".")


def _get(line: dict[str, Any], path: Path) -> Any:
    """Return the value at *path* in *line*, or ``None``."""
    node: Any = line
    for depth, key in enumerate(path):
        if type(node) is not dict:
            return None
        found = node.get(key, _MISSING)
        if found is _MISSING:
            return _get_other_form(node, path[depth:])
        node = found
    return node


_MISSING: Any = object()


def _get_other_form(node: dict[str, Any], path: Path) -> Any:
    """Find *path* written the other way: a dotted key nested, or nested keys dotted.

    Shippers and exports rewrite ``{"log.level": ...}`` as ``{"log": {"level": ...}}``
    (Filebeat's ``expand_keys``), or the reverse.
    """
    if "." in path[0]:
        return _get(node, (*path[0].split("."), *path[1:]))
    if len(path) > 1:
        return node.get(".".join(path))
    return None


def _text(value: Any) -> str | None:
    return value if value is None or type(value) is str else str(value)


class LogEvent:
    """A celery-logkit line, read in the default schema's names whatever schema wrote it.

    The line's timestamp (*ts* in seconds since the epoch), level and event are read
    when it is; every other part when it is asked for, so that an answer pays only for
    what it reads.  *duration* is an event's duration in seconds; *fields* the event's
    own fields (``queue_wait_ms``, ``reason``, ``child_task_id``...); *line* the raw
    line, kept when asked for (to show it as written).
    """

    __slots__ = ("_data", "_paths", "event", "level", "line", "source", "timestamp", "ts")

    def __init__(
        self,
        data: dict[str, Any],
        paths: Paths,
        ts: float,
        timestamp: str,
        level: str,
        source: str,
        line: bytes = b"",
    ) -> None:
        self._data = data
        self._paths = paths
        self.ts = ts
        self.timestamp = timestamp
        self.level = level
        self.source = source
        self.line = line
        event = _get(data, paths.event)
        self.event: str | None = event if type(event) is str else None

    def _task(self, key: str) -> str | None:
        return _text(_get(self._data, self._paths.task[key]))

    @property
    def schema(self) -> str:
        """The name of the schema that wrote the line."""
        return self._paths.name

    @property
    def message(self) -> str:
        """The line's message."""
        return _text(_get(self._data, self._paths.message)) or ""

    @property
    def logger(self) -> str | None:
        """The logger's name."""
        return _text(_get(self._data, self._paths.logger))

    @property
    def task_id(self) -> str | None:
        """The task's id."""
        return self._task("task_id")

    @property
    def task_name(self) -> str | None:
        """The task's name."""
        return self._task("task_name")

    @property
    def root_id(self) -> str | None:
        """The id of the workflow's first task."""
        return self._task("root_id")

    @property
    def parent_id(self) -> str | None:
        """The id of the task that sent this one."""
        return self._task("parent_id")

    @property
    def group_id(self) -> str | None:
        """The id of the group the task is part of."""
        return self._task("group_id")

    @property
    def queue(self) -> str | None:
        """The queue the task came from."""
        return self._task("queue")

    @property
    def worker(self) -> str | None:
        """The worker's node name."""
        return self._task("worker")

    @property
    def retries(self) -> int | None:
        """How many times the task was retried before this attempt."""
        value = _get(self._data, self._paths.task["retries"])
        return value if type(value) is int else None

    @property
    def host(self) -> str | None:
        """The host's name, in schemas that write it."""
        path = self._paths.host
        return None if path is None else _text(_get(self._data, path))

    @property
    def duration(self) -> float | None:
        """The event's duration in seconds."""
        value = _get(self._data, self._paths.duration)
        if type(value) is int or type(value) is float:
            return float(value / self._paths.duration_scale / 1000)
        return None

    @property
    def error_type(self) -> str | None:
        """The error's type."""
        return _text(_get(self._data, self._paths.error_type))

    @property
    def error_message(self) -> str | None:
        """The error's message."""
        return _text(_get(self._data, self._paths.error_message))

    @property
    def stack(self) -> str | None:
        """The error's stack."""
        return _text(_get(self._data, self._paths.error_stack))

    @property
    def fields(self) -> dict[str, Any]:
        """The event's own fields (where the schema puts them: the line, or ``celery``)."""
        paths = self._paths
        found = _get(self._data, paths.namespace) if paths.namespace else self._data
        return found if type(found) is dict else {}

    def field(self, name: str) -> Any:
        """Return the event's own field *name*, or ``None``."""
        return self.fields.get(name)

    def seconds(self, name: str) -> float | None:
        """Return the event's field *name* (in milliseconds) in seconds, or ``None``."""
        value = self.fields.get(name)
        if type(value) is int or type(value) is float:
            return float(value / 1000)
        return None

    def as_default(self) -> dict[str, Any]:
        """Return the line in the default schema's names (what the console format reads)."""
        line: dict[str, Any] = {
            "timestamp": self.timestamp,
            "level": self.level,
            "logger": self.logger,
            "message": self.message,
        }
        if self.event is not None:
            line["event"] = self.event
        duration = self.duration
        if duration is not None:
            line["duration_ms"] = round(duration * 1000, 3)
        for key in (*_TASK_KEYS, "worker"):
            value = _get(self._data, self._paths.task[key])
            if value is not None:
                line[key] = value
        skip = _DEFAULT_OWN if self.schema == "default" else _TASK_KEYS
        line.update((k, v) for k, v in self.fields.items() if k not in skip and k not in line)
        error = {"type": self.error_type, "message": self.error_message, "stack_trace": self.stack}
        if any(error.values()):
            line["error"] = error
        return line


def normalise(line: dict[str, Any], source: str, raw: bytes = b"") -> LogEvent | None:
    """Return *line* as a :class:`LogEvent`, or ``None`` when no schema's line it is."""
    for paths in SCHEMA_PATHS:
        timestamp = _get(line, paths.timestamp)
        if type(timestamp) is not str:
            continue
        level = _get(line, paths.level)
        if type(level) is str:
            ts = parse_time(timestamp)
            if ts is None:
                return None
            return LogEvent(line, paths, ts, timestamp, level, source, raw)
    return None


_seconds: dict[str, float] = {}


def parse_time(text: str) -> float | None:
    """Return an RFC 3339 timestamp (as celery-logkit writes it) in seconds, or ``None``.

    Each second's text is parsed once (lines of the same second share it).
    """
    head = text[:19]
    base = _seconds.get(head)
    if base is None:
        try:
            moment = _dt.datetime.fromisoformat(head)
        except ValueError:
            return _parse_other(text)
        base = moment.replace(tzinfo=_dt.UTC).timestamp()
        if len(_seconds) > 100_000:
            _seconds.clear()
        _seconds[head] = base
    rest = text[19:]
    if rest in {"Z", ""}:
        return base
    if rest[0] == "." and rest[-1] == "Z" and rest[1:-1].isdigit():
        return float(base + int(rest[1:-1]) / 10 ** (len(rest) - 2))
    return _parse_other(text)


def _parse_other(text: str) -> float | None:
    """Parse a timestamp with an offset, or in another precision, the slow way."""
    try:
        moment = _dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.UTC)
    return float(moment.timestamp())


STAMP = b'timestamp":"'
"""What every schema's line holds once: its timestamp's key (``timestamp``, ``@timestamp``)."""

LIFECYCLE = b':"task_'
"""What a lifecycle event's line holds in every schema: the event's name as a value."""

Buffer = bytes | bytearray
"""What a chunk of input is: the bytes read (a reused buffer) or a line given."""

Accept = Callable[[Buffer, int, bytes], bool]
"""Whether a marker found in a chunk at an offset is a line to parse: ``(chunk, at, marker)``."""


def lifecycle(*events: str) -> Accept:
    """Return a test of a marker's place: a ``:"task_`` must start one of *events*' names.

    (``"task_name":"task_x"`` holds the marker too.)  A place where another marker was
    found is taken as it is.
    """
    suffixes = tuple(event.removeprefix("task_").encode() + b'"' for event in events)

    def accept(chunk: Buffer, at: int, marker: bytes) -> bool:
        return not marker.endswith(b'"task_') or chunk.startswith(suffixes, at + len(marker))

    return accept


def _spaced(marker: bytes) -> bytes:
    """Return *marker* as JSON written with a space after each colon (``": "``) has it."""
    return marker.replace(b'":"', b'": "').replace(b':"', b': "')


@dataclass
class Scan:
    """Reads inputs and yields their celery-logkit lines; counts what it read and skipped.

    With *markers*, only the lines that contain one of them are parsed (and *accept*,
    when given, must take the place found); without, every line is.  ``read`` counts
    every line of the input; ``skipped`` the lines that are not celery-logkit's: those
    parsed and not read as a schema's line, and those a marker ruled out that hold no
    timestamp key (:data:`STAMP`; every schema's line has one, and counting it in the
    bytes ruled out costs one ``bytes.count``).  ``malformed`` holds one line per
    malformed line, naming its input and line number.
    """

    markers: tuple[bytes, ...] = ()
    accept: Accept | None = None
    keep_raw: bool = False
    take: Callable[[Buffer], bool] | None = None
    """Reads a line itself instead of it being parsed here, when it can (``False``: it cannot)."""
    read: int = 0
    skipped: int = 0
    malformed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    last_line: dict[str, LogEvent] = field(default_factory=dict)
    """Each input's last celery-logkit line, even when markers ruled it out."""

    def events(
        self, inputs: Iterable[Input], progress: Callable[[int], None] | None = None
    ) -> Iterator[LogEvent]:
        """Yield the celery-logkit lines of *inputs*, in each input's order."""
        for source in inputs:
            try:
                for chunk, end in source.chunks(progress):
                    yield from self._chunk(chunk, end, source.name)
            except InputError as exc:
                self.errors.append(str(exc))

    def lines_of(self, chunk: bytes, name: str) -> Iterator[LogEvent]:
        """Yield the celery-logkit lines of one line-aligned *chunk* of input *name*."""
        return self._chunk(chunk, len(chunk), name)

    def _chunk(self, chunk: Buffer, size: int, name: str) -> Iterator[LogEvent]:
        first_line = self.read
        lines = chunk.count(b"\n", 0, size)
        self.read = first_line + lines
        self._note_last(chunk, size, name)
        parsed = stamps = 0
        take = self.take
        for start, end in self._spans(chunk, size):
            parsed += 1
            raw = chunk[start:end]
            if self.markers:
                stamps += raw.count(STAMP)
            if take is not None and take(raw):
                continue
            event = self._parse(raw, self._where(chunk, start, name, first_line), name)
            if event is not None:
                yield event
        if self.markers:  # the lines ruled out without a timestamp key are not logkit's
            ruled_out = lines - parsed
            self.skipped += max(0, ruled_out - (chunk.count(STAMP, 0, size) - stamps))

    @staticmethod
    def _where(chunk: Buffer, start: int, name: str, first_line: int) -> Callable[[], str]:
        return lambda: f"{name}:{first_line + chunk.count(_EOL, 0, start) + 1}"

    def _parse(self, raw: Buffer, where: Callable[[], str], name: str) -> LogEvent | None:
        """Return the line *raw* as a :class:`LogEvent`, or count it as skipped.

        *where* says where the line is (``input:line``), when it is malformed.
        """
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            if raw.lstrip()[:1] == b"{":
                self.malformed.append(f"{where()}: malformed JSON line skipped ({exc})")
            self.skipped += 1
            return None
        event = (
            normalise(parsed, name, bytes(raw) if self.keep_raw else b"")
            if isinstance(parsed, dict)
            else None
        )
        if event is None:
            self.skipped += 1
        return event

    def family(
        self, inputs: Sequence[Input], first: bytes, more: Callable[[], Iterable[str]]
    ) -> Iterator[LogEvent]:
        """Yield the lines that hold *first*, or an id *more* returns once they are read.

        One pass over the bytes (no line is counted or split but those that match):
        the ids *more* names (a task's root and group, learnt from its lines) are
        searched for from where they were learnt on, and then, in a pass over only what
        came before, from the inputs' start.  No line is counted (``read`` is not kept):
        counting them would cost as much as the search.
        """
        learnt: dict[bytes, tuple[int, int]] = {}  # an id -> (input, offset) learnt at
        for index, source in enumerate(inputs):
            for offset, chunk, size in self._offsets(source, None):
                spans = self._found(chunk, 0, size, (first, *learnt))
                for start, end in spans:
                    yield from self._line(chunk, start, end, source.name, offset)
                    for task_id in more():
                        key = task_id.encode()
                        if key not in learnt:
                            learnt[key] = (index, offset + end + 1)
                            for span in self._found(chunk, end, size, (key,)):  # this chunk's rest
                                if span not in spans:
                                    yield from self._line(chunk, *span, source.name, offset)
        for key, (upto, stop) in learnt.items():  # what came before an id was learnt
            for index, source in enumerate(inputs[: upto + 1]):
                for offset, chunk, size in self._offsets(source, stop if index == upto else None):
                    for span in self._found(chunk, 0, size, (key,)):
                        yield from self._line(chunk, *span, source.name, offset)

    def _offsets(self, source: Input, stop: int | None) -> Iterator[tuple[int, Buffer, int]]:
        """Yield *source*'s chunks with their offsets (up to byte *stop*); note read errors."""
        offset = 0
        try:
            for chunk, size in source.chunks():
                yield offset, chunk, size if stop is None else min(size, stop - offset)
                offset += size
                if stop is not None and offset >= stop:
                    return
        except InputError as exc:
            self.errors.append(str(exc))

    def _line(
        self, chunk: Buffer, start: int, end: int, name: str, offset: int
    ) -> Iterator[LogEvent]:
        event = self._parse(chunk[start:end], lambda: f"{name}: byte {offset + start}", name)
        if event is not None:
            yield event

    @staticmethod
    def _found(
        chunk: Buffer, begin: int, size: int, markers: tuple[bytes, ...]
    ) -> list[tuple[int, int]]:
        """Return the spans of the lines of ``chunk[begin:size]`` holding one of *markers*."""
        spans: set[tuple[int, int]] = set()
        for marker in markers:
            at = chunk.find(marker, begin, size)
            while at != -1:
                end = chunk.find(b"\n", at, size)
                spans.add((chunk.rfind(b"\n", 0, at) + 1, end))
                at = chunk.find(marker, end, size)
        return sorted(spans)

    def _note_last(self, chunk: Buffer, size: int, name: str) -> None:
        """Keep the chunk's last line if it is celery-logkit's (how recent the input is)."""
        start = chunk.rfind(b"\n", 0, size - 1) + 1
        try:
            parsed = orjson.loads(chunk[start:size])
        except orjson.JSONDecodeError:
            return
        event = normalise(parsed, name) if isinstance(parsed, dict) else None
        if event is not None:
            self.last_line[name] = event

    def _spans(self, chunk: Buffer, size: int) -> Iterator[tuple[int, int]]:
        if not self.markers:
            start = 0
            while start < size:
                end = chunk.index(b"\n", start, size)
                if end > start:
                    yield start, end
                start = end + 1
            return
        markers = self.markers
        first = chunk.find(b"\n", 0, size)
        if chunk.find(b'": ', 0, first) != -1:  # JSON with spaces: an export, json.dumps
            markers = tuple({*markers, *map(_spaced, markers)})
        if len(markers) == 1:
            yield from self._marked(chunk, size, markers[0])
            return
        spans = {span for marker in markers for span in self._marked(chunk, size, marker)}
        yield from sorted(spans)

    def _marked(self, chunk: Buffer, size: int, marker: bytes) -> Iterator[tuple[int, int]]:
        accept = self.accept
        at = chunk.find(marker, 0, size)
        while at != -1:
            end = chunk.find(b"\n", at, size)
            if accept is None or accept(chunk, at, marker):
                yield chunk.rfind(b"\n", 0, at) + 1, end
            at = chunk.find(marker, end, size)
