"""What ``wippy start`` prints about a running app: as lines for people (``--log-format
text``, the default) or as one JSON object per line for log shippers (``--log-format json``).

Every JSON object has ``time`` (UTC, RFC 3339 with milliseconds), ``ts`` (seconds since the
epoch) and ``event``: ``app_started`` (with ``items``), ``note`` (``message``), ``exit``
(``name``, ``pid``, ``outcome`` = ``ok``/``failed``/``shut_down``, ``error``, ``value``),
``supervision`` (``supervisor``, ``action``, ``child``, ``child_pid``, ``error``, ``detail``)
and ``output`` (``pid``, ``stream``, ``text``: what a guest wrote). An ``error`` is
``{"kind": ..., "message": ...}`` or null.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import logging
import re
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from typing import Any

from ..actors import SHUTDOWN_KIND, Event, Pid, ProcessError
from ..actors.function_body import current_process
from ..actors.output import write_through
from ..supervisors import SupervisionReport

FORMATS = ("text", "json")
"""The values of ``--log-format``."""

_ONE_CHILDREN = re.compile(r"\b1 children\b")
_lock = threading.Lock()
_stdout: Any = None  # the real stdout while Python processes' prints are captured


def _write(line: str) -> None:
    """Writes one whole line to stdout at once (process threads print too)."""
    with _lock:
        out = _stdout or sys.stdout
        out.write(line + "\n")
        out.flush()


def clock(at: float | None = None) -> str:
    """``HH:MM:SS.mmm`` in local time."""
    stamp = time.time() if at is None else at
    return time.strftime("%H:%M:%S", time.localtime(stamp)) + f".{int(stamp % 1 * 1000):03d}"


def rfc3339(at: float) -> str:
    """``2024-05-01T10:00:00.001Z``."""
    moment = datetime.fromtimestamp(at, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def error_data(error: ProcessError | None) -> dict[str, str] | None:
    """An exit error as ``{"kind", "message"}``."""
    return None if error is None else {"kind": error.kind, "message": error.message}


def report_text(report: SupervisionReport) -> str:
    """A report as one line, with the count of children in the right number."""
    detail = _ONE_CHILDREN.sub("1 child", report.detail)
    return str(report if detail == report.detail else dataclasses.replace(report, detail=detail))


def short(value: Any, limit: int = 120) -> str:
    """``repr(value)``, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _json_value(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return short(value)
    return value


class EventLog:
    """Prints the app's events in one ``format`` (see :data:`FORMATS`)."""

    def __init__(self, format: str = "text") -> None:
        if format not in FORMATS:
            raise ValueError(f"unknown log format {format!r} (one of: {', '.join(FORMATS)})")
        self.json = format == "json"

    def _emit(self, at: float | None, event: str, **fields: Any) -> None:
        stamp = time.time() if at is None else at
        _write(json.dumps({"time": rfc3339(stamp), "ts": round(stamp, 6), "event": event,
                           **fields}, default=str))

    def note(self, message: str, **fields: Any) -> None:
        """A line of wippy's own (``wippy: ...``); JSON drops the ``wippy: `` prefix."""
        if self.json:
            self._emit(None, "note", message=message.removeprefix("wippy: "), **fields)
        else:
            _write(message)

    def app_started(self, summary: str, rows: Sequence[tuple[str, str, str, str]]) -> None:
        """What the app started: ``(kind, id, pid, state)`` rows under a summary line."""
        if self.json:
            items = [{"kind": k, "id": i, "pid": p or None, "state": s} for k, i, p, s in rows]
            self._emit(None, "app_started", message=summary.removeprefix("wippy: "),
                       items=items)
            return
        widths = [max((len(row[c]) for row in rows), default=0) for c in range(3)]
        _write(summary)
        for row in rows:
            _write("  " + "  ".join(f"{cell:<{widths[c]}}" for c, cell in enumerate(row[:3]))
                   + "  " + row[3])

    def exit(self, name: str, event: Event) -> None:
        """The EXIT of a supervisor or service the app follows."""
        error = event.error
        if error is not None and error.kind != SHUTDOWN_KIND:
            outcome, text = "failed", f"failed: {error}"
        elif error is not None:
            outcome, text = "shut_down", f"shut down: {error.message}"
        else:
            outcome = "ok"
            text = "ok" if event.value is None else f"ok: {short(event.value)}"
        if self.json:
            self._emit(event.at, "exit", name=name, pid=str(event.pid), outcome=outcome,
                       error=error_data(error), value=_json_value(event.value))
        else:
            _write(f"{clock(event.at)}  EXIT         {name} {event.pid}: {text}")

    def report(self, report: SupervisionReport, at: float) -> None:
        """A supervisor's or service's report."""
        if self.json:
            self._emit(at, "supervision", supervisor=report.supervisor, action=report.action,
                       child=report.child_id,
                       child_pid=str(report.child_pid) if report.child_pid else None,
                       error=error_data(report.error),
                       detail=_ONE_CHILDREN.sub("1 child", report.detail))
        else:
            _write(f"{clock(at)}  SUPERVISION  {report_text(report)}")

    def node(self, key: str, lost: bool) -> None:
        """A cluster node was lost, or is back."""
        if self.json:
            self._emit(None, "node", node=key, state="lost" if lost else "up")
        elif lost:
            _write(f"{clock()}  NODE         node {key}: lost (monitors get EXIT and links "
                   "LINK_DOWN, kind noconnection)")
        else:
            _write(f"{clock()}  NODE         node {key}: back")

    def line(self, pid: Pid | None, stream: str, text: str) -> None:
        """A line Python code printed (JSON mode)."""
        self._emit(None, "output", pid=str(pid) if pid is not None else None, stream=stream,
                   text=text)

    def output(self, pid: Pid, stream: str, data: bytes, at: float | None = None) -> None:
        """What a guest wrote: as it is (text), or as an ``output`` event (JSON)."""
        if self.json:
            self._emit(at, "output", pid=str(pid), stream=stream,
                       text=data.decode("utf-8", "replace"))
        else:
            write_through(pid, stream, data)


class _Lines(io.TextIOBase):
    """A text stream that turns each line a thread writes into an ``output`` event (for the
    prints of ``process.python`` functions under ``--log-format json``)."""

    def __init__(self, log_: EventLog, name: str) -> None:
        super().__init__()
        self._log = log_
        self._name = name
        self._partial: dict[int, str] = {}

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        key = threading.get_ident()
        pending = self._partial.pop(key, "") + text
        *lines, rest = pending.split("\n")
        if rest:
            self._partial[key] = rest
        proc = current_process()
        pid = proc.pid if proc is not None else None
        for line in lines:
            self._log.line(pid, self._name, line + "\n")
        return len(text)


@contextlib.contextmanager
def python_output(log_: EventLog) -> Iterator[None]:
    """Under ``--log-format json``, what Python code prints on stdout/stderr becomes
    ``output`` events (with the printing process's pid), so stdout stays JSON lines."""
    global _stdout
    if not log_.json:
        yield
        return
    saved = sys.stdout, sys.stderr
    _stdout = sys.stdout
    sys.stdout, sys.stderr = _Lines(log_, "stdout"), _Lines(log_, "stderr")  # type: ignore
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
        _stdout = None


class JsonFormatter(logging.Formatter):
    """Formats log records as JSON objects (``event`` ``log``, ``level``, ``logger``,
    ``message``), for ``--log-format json``."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {
            "time": rfc3339(record.created), "ts": round(record.created, 6), "event": "log",
            "level": record.levelname.lower(), "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            fields["traceback"] = self.formatException(record.exc_info)
        return json.dumps(fields, default=str)
