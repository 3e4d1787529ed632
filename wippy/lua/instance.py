"""One running Lua entry: a sandboxed state and the coroutine of its ``method``, stepped.

:meth:`LuaInstance.poll` resumes the coroutine until it finishes, fails, is preempted by the
count hook (its time slice is over: YIELDED) or waits: ``process.receive``, a channel's
``receive`` and ``time.sleep`` yield a request, which becomes a
:class:`~wippy.wasm.spec.Wait` (``Process.receive_later``/``sleep_later``) bound to the
waker, and the poll returns SUSPENDED: the process holds no thread until the wait ends. An
answer that is there already (a message waiting in the mailbox) is given at once, in the same
poll. The few points where Lua code gives the thread back are these waits and the hook.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import lupa.lua54 as lupa

from wippy.actors.events import Event, Message
from wippy.actors.process import Process
from wippy.lua import hooks
from wippy.lua.api import DurationError, LuaApi, parse_timeout
from wippy.lua.convert import to_python
from wippy.lua.errors import ConversionError, LuaError
from wippy.lua.state import LuaState
from wippy.wasm.api import Instance, OutputSink, PollStatus, Waker
from wippy.wasm.errors import ExecutionTimeout, MemoryLimitExceeded, Terminated, WasmError
from wippy.wasm.spec import Wait

if TYPE_CHECKING:
    from wippy.lua.program import LuaProgram

__all__ = ["LuaInstance"]

log = logging.getLogger(__name__)

_NOTHING: tuple[Any, ...] = ()


class LuaInstance(Instance):
    """A Lua entry's code in a state of its own, run as a process (``context`` is its
    :class:`~wippy.actors.Process`) or called as a function (no context; ``call_entry`` serves
    ``funcs.call``). ``probe`` runs only the code's top level (``wippy check``);
    ``max_execution`` caps the entry's limit. Polled by one thread at a time;
    :meth:`interrupt` from any thread."""

    steppable = True
    observes_cancel = True

    def __init__(
        self,
        program: LuaProgram,
        *,
        context: object = None,
        stdout: OutputSink | None = None,
        call_entry: Callable[..., Any] | None = None,
        probe: bool = False,
        max_execution: float | None = None,
    ) -> None:
        entry = program.entry
        self._program = program
        self._entry_id = entry.id
        self._proc = context if isinstance(context, Process) else None
        self._stdout = stdout
        self._max_memory = entry.limits.max_memory
        self._max_execution = entry.limits.max_execution_ms
        if max_execution is not None:
            self._max_execution = min(max_execution, self._max_execution or max_execution)
        self._probe = probe
        if call_entry is None and self._proc is not None:
            call_entry = self._proc.call
        this = weakref.ref(self)  # the state holds these callbacks: no cycle through Lua

        def call(op: bytes, *args: Any) -> Any:
            instance = this()
            return (False, None, b"closed", b"the Lua state is closed") if instance is None else (
                instance._api.call(op, *args))

        def write(data: bytes) -> None:
            instance = this()
            if instance is not None and instance._stdout is not None:
                instance._stdout(data)

        def preempted() -> bool:
            instance = this()
            if instance is None or not instance.preempted:
                return False
            instance.preempted = False
            return True

        def lua() -> tuple[Any, Callable[[str, str], Any]] | None:
            instance = this()
            state = None if instance is None else instance._state
            return None if state is None else (state.runtime, state.error)

        def pointer(table: Any) -> Any:
            instance = this()
            return None if instance is None else instance._pointer(table)

        self._api = LuaApi(self._proc, call_entry, lua, pointer)
        self._state: LuaState | None = LuaState(
            entry.id, call=call, write=write, preempted=preempted, modules=entry.modules,
            in_process=self._proc is not None or (probe and entry.KIND == "process.lua"),
            max_memory=self._max_memory,
        )
        self._step: Callable[..., Any] | None = None
        self._close_co: Callable[[], None] | None = None
        self.preempted = False
        self._lock = threading.Lock()
        self._interrupted: str | None = None
        self._deadline: float | None = None
        self._slice: float | None = None
        self._slice_end = math.inf
        self._resume: tuple[Any, ...] = _NOTHING
        self._wait: Wait | None = None
        self._answer: Callable[[Any], tuple[Any, ...]] | None = None
        self._waker: Waker | None = None
        self._overdue: Wait | None = None
        self._wake = threading.Event()  # for blocking calls and function-side sleeps

    # -- Instance -----------------------------------------------------------------------------

    def start(self, args: Sequence[Any]) -> None:
        """Compiles the code in this state and begins running ``method(*args)``."""
        state = self._state
        if state is None:
            raise Terminated(f"{self._entry_id}: closed before start")
        if self._step is not None:
            raise WasmError(f"{self._entry_id}: a call is already in progress")
        entry = self._program.entry
        step, address, close = state.start(self._program.code, entry.chunk_name, entry.method,
                                           probe=self._probe)
        hooks.install(address)
        self._step, self._close_co = step, close
        self._resume = tuple(self._api.lua_value(a) for a in args)
        if self._max_execution is not None:
            self._deadline = time.monotonic() + self._max_execution

    def set_waker(self, waker: Waker | None) -> None:
        self._waker = waker

    def set_slice(self, seconds: float | None) -> None:
        self._slice = seconds

    def should_yield(self) -> bool:
        """(The count hook) True when the running code must stop: slice over, interrupted,
        past its deadline."""
        now = time.monotonic()
        deadline = self._deadline
        return (now >= self._slice_end or self._interrupted is not None
                or (deadline is not None and now >= deadline))

    def poll(self) -> PollStatus:
        if self._step is None:
            raise WasmError(f"{self._entry_id}: no call in progress")
        while True:
            self._check_stop()
            wait = self._wait
            if wait is not None:
                if not wait.done:
                    return PollStatus.SUSPENDED
                self._wait = None
                answer, self._answer = self._answer, None
                assert answer is not None
                args = answer(wait.outcome())
            else:
                args, self._resume = self._resume, _NOTHING
            outcome = self._run(args)
            tag = outcome[0]
            if tag == b"done":
                self.result = self._result(outcome[1:])
                self._finish()
                return PollStatus.DONE
            if tag == b"error":
                raise self._lua_error(outcome)
            if tag == b"preempt" or (tag == b"request" and outcome[1] == b"preempt"):
                self.preempted = False
                self._check_stop()
                return PollStatus.YIELDED
            if tag != b"request":
                raise LuaError("coroutine.yield was called outside a coroutine: a process's "
                               "function cannot yield (wait with process.receive or "
                               "time.sleep instead)")
            self._request(outcome[1], outcome[2:])
            wait = self._wait
            if wait is not None and not wait.done:
                waker = self._waker or self._wake.set
                wait.bind(waker)
                return PollStatus.SUSPENDED
            if time.monotonic() >= self._slice_end:
                return PollStatus.YIELDED

    def call(self, args: Sequence[Any]) -> Any:
        """Runs ``method(*args)`` to its end on this thread (a function call)."""
        waker, self._waker = self._waker, self._wake.set
        try:
            self.start(args)
            while True:
                self._wake.clear()
                status = self.poll()
                if status is PollStatus.DONE:
                    return self.result
                if status is PollStatus.SUSPENDED:
                    self._wake.wait(self._remaining())
        finally:
            self._waker = waker

    def interrupt(self, reason: str = "terminated") -> None:
        self._interrupted = reason
        self._wake.set()

    def watch_overdue(self, handler: Callable[[BaseException], object]) -> None:
        """Fails the process at ``max_execution_ms`` even while it waits."""
        if self._max_execution is None or self._proc is None:
            return
        wait = self._proc.sleep_later(self._max_execution)
        self._overdue = wait

        def overdue() -> None:
            handler(self._timeout())

        wait.bind(overdue)

    def close(self) -> None:
        with self._lock:
            state, self._state = self._state, None
        wait, self._wait = self._wait, None
        if wait is not None:
            wait.cancel()
        overdue, self._overdue = self._overdue, None
        if overdue is not None:
            overdue.cancel()
        self._step = self._close_co = None
        self._resume = _NOTHING
        del state  # the Lua state goes with its last reference

    # -- running ------------------------------------------------------------------------------

    def _run(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        step = self._step
        assert step is not None
        previous = hooks.running.instance
        hooks.running.instance = self
        self._slice_end = math.inf if self._slice is None else time.monotonic() + self._slice
        try:
            outcome = step(*args)
        except lupa.LuaMemoryError:
            raise self._memory_error() from None
        except lupa.LuaError as exc:
            raise LuaError(str(exc)) from None
        finally:
            hooks.running.instance = previous
            self._slice_end = math.inf
        return outcome if isinstance(outcome, tuple) else (outcome,)

    def _check_stop(self) -> None:
        if self._interrupted is not None:
            raise Terminated(f"{self._entry_id}: {self._interrupted}")
        deadline = self._deadline
        if deadline is not None and time.monotonic() >= deadline:
            raise self._timeout()

    def _remaining(self) -> float | None:
        deadline = self._deadline
        return None if deadline is None else max(0.0, deadline - time.monotonic())

    def _timeout(self) -> ExecutionTimeout:
        ms = round((self._max_execution or 0) * 1000)
        return ExecutionTimeout(f"{self._entry_id}: execution time limit of {ms} ms exceeded")

    def _memory_error(self) -> MemoryLimitExceeded:
        return MemoryLimitExceeded(f"{self._entry_id}: Lua memory limit of {self._max_memory} "
                                   "bytes exceeded")

    def _lua_error(self, outcome: tuple[Any, ...]) -> BaseException:
        message = _text(outcome[1])
        trace = _text(outcome[2]) if len(outcome) > 2 else ""
        if message.endswith("not enough memory") and self._max_memory is not None:
            return self._memory_error()
        return LuaError(message, trace)

    def _result(self, values: tuple[Any, ...]) -> Any:
        try:
            if not values:
                return None
            if len(values) == 1:
                return to_python(values[0], "the result", self._pointer)
            return [to_python(v, f"result {i}", self._pointer) for i, v in enumerate(values, 1)]
        except ConversionError as exc:
            raise LuaError(f"{self._entry_id}: {self._program.entry.method} returned a value "
                           f"that cannot leave the process: {exc}") from None

    def _pointer(self, table: Any) -> Any:
        state = self._state
        return None if state is None else state.pointer(table)

    def _finish(self) -> None:
        self._step = None
        overdue, self._overdue = self._overdue, None
        if overdue is not None:
            overdue.cancel()

    # -- requests -----------------------------------------------------------------------------

    def _request(self, kind: bytes, args: tuple[Any, ...]) -> None:
        """Turns a request into a wait (``self._wait``) or an answer now (``self._resume``)."""
        try:
            if kind == b"receive":
                self._receive(*args)
            elif kind == b"sleep":
                self._sleep(*args)
            else:
                self._resume = (None, self._error("args", f"unknown request {kind!r}"))
        except (DurationError, TypeError) as exc:
            self._resume = (None, self._error("args", str(exc)))

    def _receive(self, mode: Any = None, topic: Any = None, timeout: Any = None, *_: Any) -> None:
        proc = self._proc
        if proc is None:
            self._resume = (None, self._error("unavailable", "receive: a function has no "
                                                             "mailbox"))
            return
        seconds = parse_timeout(timeout, "receive: the timeout")
        if mode == b"any":
            self._wait = proc.receive_later(seconds)
            self._answer = lambda item: (self._item(item),)
        elif mode == b"inbox":
            listened = self._api.listened
            self._wait = proc.receive_later(
                seconds, match=lambda i: isinstance(i, Message) and i.topic not in listened)
            self._answer = self._channel_item
        elif mode == b"events":
            self._wait = proc.receive_later(seconds, match=lambda i: isinstance(i, Event))
            self._answer = self._channel_item
        else:
            name = _text(topic)
            self._wait = proc.receive_later(seconds, topic=name)
            self._answer = self._channel_payload

    def _sleep(self, duration: Any = None, *_: Any) -> None:
        seconds = parse_timeout(duration, "time.sleep: the duration")
        if seconds is None:
            raise DurationError("time.sleep: the duration is missing")
        if self._proc is not None:
            self._wait = self._proc.sleep_later(seconds)
            self._answer = lambda _: (True,)
            return
        remaining = self._remaining()  # a function's sleep blocks its caller, as a call does
        if self._wake.wait(seconds if remaining is None else min(seconds, remaining)):
            self._check_stop()
        self._check_stop()
        self._resume = (True,)

    def _channel_item(self, item: Any) -> tuple[Any, ...]:
        return (None, False) if item is None else (self._item(item), True)

    def _channel_payload(self, item: Any) -> tuple[Any, ...]:
        if not isinstance(item, Message):
            return (None, False)
        return (self._received(_payload(item.payload), item), True)

    def _item(self, item: Any) -> Any:
        """A received message or event as a Lua table (None: nil)."""
        if item is None:
            return None
        if isinstance(item, Message):
            value: dict[str, Any] = {"topic": item.topic, "from": str(item.sender),
                                     "payload": _payload(item.payload)}
        else:
            value = {"type": item.type, "kind": item.type, "from": str(item.pid),
                     "value": item.value, "error": item.error, "reason": item.reason}
        return self._received(value, item)

    def _received(self, value: Any, item: Any) -> Any:
        """``value`` in Lua; what cannot convert (a structure that contains itself) arrives as
        its printed form, so a sender's mistake does not fail this process."""
        try:
            return self._api.lua_value(value)
        except ConversionError as exc:
            log.warning("%s: a received %s does not convert to Lua (%s); it arrives as text",
                        self._entry_id, type(item).__name__.lower(), exc)
            return self._api.lua_value(f"<unconvertible: {exc}>")

    def _error(self, kind: str, message: str) -> Any:
        state = self._state
        return None if state is None else state.error(kind, message)


def _payload(payload: tuple[Any, ...]) -> Any:
    """A message's payload as Lua sees it: the value when one was sent, else a list."""
    if len(payload) == 1:
        return payload[0]
    return list(payload) if payload else None


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)
