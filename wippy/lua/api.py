"""The Python side of the ``process``, ``time`` and ``funcs`` modules that do not wait.

Each operation runs at once on the process's :class:`~wippy.actors.Process` handle (send,
spawn, monitor, ...) and answers ``(True, results...)`` or ``(False, failed_value, kind,
message)``, which ``sandbox.lua`` turns into Lua's ``value, err`` convention: a failure is an
error value, never a raised Lua error. Waiting operations (``receive``, ``sleep``) are requests
the instance handles (:mod:`wippy.lua.instance`).
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable
from typing import Any

from wippy.actors.errors import ProcessTerminated
from wippy.actors.process import Process
from wippy.config.units import parse_duration
from wippy.lua.convert import to_lua, to_python
from wippy.lua.errors import ConversionError

__all__ = ["DurationError", "LuaApi", "error_kind", "parse_timeout"]

log = logging.getLogger(__name__)

Answer = tuple[Any, ...]
_MAX_MS = 1e12  # ~31 years: longer waits are refused rather than overflowing timers


_BOOLEAN_OPS = frozenset({b"send", b"monitor", b"unmonitor", b"link", b"unlink", b"cancel",
                          b"terminate", b"set_options", b"register", b"unregister", b"unlisten"})
"""Operations that answer ``true``, so fail with ``false, err`` (the others: ``nil, err``)."""


class DurationError(ValueError):
    """A duration given to a Lua function is not one (wrong type, negative, not a number)."""


def parse_timeout(value: Any, what: str) -> float | None:
    """Seconds for a Lua duration: nil (None), a number of milliseconds or a string in Go
    syntax (``"250ms"``, ``"1.5s"``). Raises :class:`DurationError` naming ``what``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, bytes)):
        kind = "boolean" if isinstance(value, bool) else "table or function"
        raise DurationError(f"{what}: a duration is a number of milliseconds or a string such "
                            f"as \"250ms\", not a {kind}")
    if isinstance(value, bytes):
        text = value.decode("utf-8", "replace")
        try:
            return float(parse_duration(text))
        except ValueError as exc:
            raise DurationError(f"{what}: {exc}") from None
    if not math.isfinite(value) or value < 0 or value > _MAX_MS:
        raise DurationError(f"{what}: {value!r} ms is not a duration (0 or more, finite)")
    return float(value) / 1000.0


def error_kind(exc: BaseException) -> str:
    """The ``kind`` of a Lua error value for ``exc``: its own ``kind`` when it has one, else
    its class name in snake case without ``Error`` (``UnknownEntryError`` -> ``unknown_entry``).
    """
    kind = getattr(exc, "kind", None)
    if isinstance(kind, str) and kind:
        return kind
    name = type(exc).__name__
    name = name.removesuffix("Error") or name
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _failure(failed: Any, kind: str, message: str) -> Answer:
    """The answer of a failed operation: Lua gets ``failed`` and an error value."""
    return (False, failed, kind.encode("utf-8"), message.encode("utf-8", "replace"))


def _text(value: Any, what: str) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    kind = "nil" if value is None else type(value).__name__
    raise TypeError(f"{what} must be a string, got {kind}")


class LuaApi:
    """The non-waiting operations of one Lua process (``proc``; None for a function) or
    function. ``call_entry(entry_id, *args)`` calls function entries (``funcs.call``);
    ``lua()`` gives the state's runtime and error maker (None once the instance closed),
    ``pointer(table)`` a table's identity (to name a table that contains itself)."""

    def __init__(
        self,
        proc: Process | None,
        call_entry: Callable[..., Any] | None,
        lua: Callable[[], tuple[Any, Callable[[str, str], Any]] | None],
        pointer: Callable[[Any], Any] | None = None,
    ) -> None:
        self._proc = proc
        self._pointer = pointer
        self._call_entry = call_entry
        self._lua = lua
        self.listened: set[str] = set()
        """Topics ``process.listen`` took out of the inbox."""
        self._ops: dict[bytes, Callable[..., Answer]] = {
            b"now": self._now,
            b"seconds": self._seconds,
            b"milliseconds": self._milliseconds,
            b"funcs.call": self._funcs_call,
        }
        if proc is not None:
            self._ops.update({
                b"pid": lambda: (True, str(proc.pid).encode()),
                b"spawn": lambda *a: self._spawn(proc.spawn, "spawn", *a),
                b"spawn_monitored": lambda *a: self._spawn(
                    proc.spawn_monitored, "spawn_monitored", *a),
                b"spawn_linked": lambda *a: self._spawn(proc.spawn_linked, "spawn_linked", *a),
                b"spawn_linked_monitored": lambda *a: self._spawn(
                    proc.spawn_linked_monitored, "spawn_linked_monitored", *a),
                b"send": self._send,
                b"monitor": lambda *a: self._on_target(proc.monitor, "monitor", *a),
                b"unmonitor": lambda *a: self._on_target(proc.unmonitor, "unmonitor", *a),
                b"link": lambda *a: self._on_target(proc.link, "link", *a),
                b"unlink": lambda *a: self._on_target(proc.unlink, "unlink", *a),
                b"terminate": self._terminate,
                b"cancel": self._cancel,
                b"set_options": self._set_options,
                b"register": self._register,
                b"unregister": self._unregister,
                b"lookup": self._lookup,
                b"listen": self._listen,
                b"unlisten": self._unlisten,
            })

    def call(self, op: bytes, *args: Any) -> Answer:
        """Runs operation ``op``; never raises (a failure is the answer)."""
        fn = self._ops.get(op)
        if fn is None:
            return _failure(None, "args", f"no operation {op!r}")
        failed = False if op in _BOOLEAN_OPS else None
        try:
            return fn(*args)
        except ProcessTerminated as exc:
            return _failure(failed, "terminated", str(exc) or "the process was terminated")
        except (TypeError, DurationError, ConversionError) as exc:
            return _failure(failed, "args", str(exc))
        except Exception as exc:
            return _failure(failed, error_kind(exc), str(exc))

    def lua_value(self, value: Any) -> Any:
        """``value`` converted into the state (strings as bytes, tables built there)."""
        found = self._lua()
        if found is None:
            raise ConversionError("the Lua state is closed")
        runtime, error = found
        return to_lua(runtime, value, error)

    # -- time ---------------------------------------------------------------------------------

    @staticmethod
    def _now() -> Answer:
        return (True, time.time() * 1000.0)

    @staticmethod
    def _seconds(n: Any = None) -> Answer:
        if isinstance(n, bool) or not isinstance(n, (int, float)):
            raise TypeError("time.seconds takes a number")
        return (True, n * 1000)

    @staticmethod
    def _milliseconds(n: Any = None) -> Answer:
        if isinstance(n, bool) or not isinstance(n, (int, float)):
            raise TypeError("time.milliseconds takes a number")
        return (True, n)

    # -- funcs --------------------------------------------------------------------------------

    def _funcs_call(self, entry_id: Any = None, *args: Any) -> Answer:
        target = _text(entry_id, "funcs.call: the function id")
        if self._call_entry is None:
            return _failure(None, "unavailable", "funcs.call: no runtime to call functions in")
        values = [to_python(a, f"argument {i}", self._pointer) for i, a in enumerate(args, 1)]
        result = self._call_entry(target, *values)
        return (True, self.lua_value(result))

    # -- process ------------------------------------------------------------------------------

    def _spawn(self, spawn: Callable[..., Any], name: str, entry: Any = None, host: Any = None,
               *args: Any) -> Answer:
        entry_id = _text(entry, f"{name}: the entry id (argument 1)")
        host_id = _text(host, f"{name}: the host id (argument 2)")
        values = [to_python(a, f"argument {i}", self._pointer) for i, a in enumerate(args, 3)]
        return (True, str(spawn(entry_id, host_id, *values)).encode())

    def _send(self, dest: Any = None, topic: Any = None, *payload: Any) -> Answer:
        assert self._proc is not None
        target = _text(dest, "send: the destination (argument 1)")
        name = _text(topic, "send: the topic (argument 2)")
        values = [to_python(p, f"payload[{i}]", self._pointer) for i, p in enumerate(payload, 1)]
        if self._proc.send(target, name, *values):
            return (True, True)
        return _failure(False, "noproc", f"no process {target}")

    def _on_target(self, fn: Callable[[str], Any], name: str, dest: Any = None) -> Answer:
        fn(_text(dest, f"{name}: the process (argument 1)"))
        return (True, True)

    def _terminate(self, dest: Any = None) -> Answer:
        assert self._proc is not None
        target = _text(dest, "terminate: the process (argument 1)")
        if self._proc.terminate(target):
            return (True, True)
        return _failure(False, "noproc", f"no process {target}")

    def _cancel(self, dest: Any = None, deadline: Any = None) -> Answer:
        assert self._proc is not None
        target = _text(dest, "cancel: the process (argument 1)")
        grace = parse_timeout(deadline, "cancel: the deadline (argument 2)")
        if self._proc.cancel(target, "cancelled", grace):
            return (True, True)
        return _failure(False, "noproc", f"no process {target}")

    def _set_options(self, options: Any = None) -> Answer:
        assert self._proc is not None
        values = to_python(options, "options", self._pointer)
        if not isinstance(values, dict) or not values:
            raise TypeError("set_options takes a table of options, such as {trap_links = true}")
        for key, value in values.items():
            if key != "trap_links":
                raise TypeError(f"set_options: unknown option {key!r} (options: trap_links)")
            if not isinstance(value, bool):
                raise TypeError("set_options: trap_links must be true or false")
            self._proc.set_options(trap_links=value)
        return (True, True)

    def _register(self, name: Any = None) -> Answer:
        assert self._proc is not None
        self._proc.register(_text(name, "registry.register: the name"))
        return (True, True)

    def _unregister(self, name: Any = None) -> Answer:
        assert self._proc is not None
        text = _text(name, "registry.unregister: the name")
        if self._proc.unregister(text):
            return (True, True)
        return _failure(False, "not_found", f"this process is not registered as {text!r}")

    def _lookup(self, name: Any = None) -> Answer:
        assert self._proc is not None
        text = _text(name, "registry.lookup: the name")
        pid = self._proc.lookup(text)
        if pid is None:
            return _failure(None, "not_found", f"no process is registered as {text!r}")
        return (True, str(pid).encode())

    def _listen(self, topic: Any = None) -> Answer:
        self.listened.add(_text(topic, "listen: the topic"))
        return (True,)

    def _unlisten(self, topic: Any = None) -> Answer:
        self.listened.discard(_text(topic, "unlisten: the topic"))
        return (True, True)
