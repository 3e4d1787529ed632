"""Per-thread guest supervision for wasmtime: interrupts, deadlines and host-call errors.

wasmtime-py keeps the last host-function exception in a module-wide global, so guests running in
parallel threads could surface each other's exceptions. wippy never uses that path: its host
functions and its call path go through the low-level bindings, and whatever a guest's host call
raises is recorded on the :class:`Guard` of the guest running on *this* thread.

Interrupts use epochs: a ticker thread advances the engine's epoch every ``TICK`` seconds and each
store asks for a callback every ``CHECK_TICKS`` ticks; the callback (run on the guest's thread)
stops the guest when it was interrupted or its deadline passed.

Epochs only reach guest code. A guest blocked inside a host call (a sleep, a read) is out of their
reach until the call returns, so the same ticker is also a deadline watchdog: a guard whose
deadline passes while its guest is in a call gets its ``on_overdue`` handler called (once, on the
ticker thread), which lets the process runtime fail the process at the deadline. Waits that wippy
implements itself (:meth:`Guard.wait`) wake up at once on an interrupt or at the deadline.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi

logger = logging.getLogger(__name__)

TICK = 0.005
CHECK_TICKS = 4
_CONTINUE = 0


class Guard:
    """The control state of one instance: why it must stop, and what its host calls raised."""

    __slots__ = (
        "deadline", "host_error", "in_call", "on_overdue", "stop_reason", "stop_requested",
        "wake",
    )

    def __init__(self) -> None:
        self.stop_requested: str | None = None
        self.stop_reason: str | None = None
        self.deadline: float | None = None
        self.host_error: BaseException | None = None
        self.wake = threading.Event()
        """Set by :meth:`request_stop`: ends a :meth:`wait` at once."""
        self.in_call = False
        self.on_overdue: Callable[[], object] | None = None

    def request_stop(self, reason: str) -> None:
        """Asks the guest to stop (any thread); wakes a :meth:`wait` in progress."""
        if self.stop_requested is None:
            self.stop_requested = reason
        self.wake.set()

    def wait(self, seconds: float) -> str | None:
        """Sleeps up to ``seconds`` on the guest's thread, ending early on a stop request or at
        the deadline; returns why the guest must stop (as :meth:`should_stop`), or None."""
        end = time.monotonic() + max(0.0, seconds)
        if self.deadline is not None:
            end = min(end, self.deadline)
        while True:
            reason = self.should_stop()
            if reason is not None:
                return reason
            left = end - time.monotonic()
            if left <= 0:
                return self.should_stop()
            self.wake.wait(left)

    def reset(self, max_execution: float | None) -> None:
        """Prepares for a new run of guest code."""
        self.stop_reason = None
        self.host_error = None
        if max_execution is not None and self.deadline is None:
            self.deadline = time.monotonic() + max_execution

    def should_stop(self) -> str | None:
        """Returns why the guest must stop now (``"terminated"``, ``"timeout"``), or None."""
        if self.stop_requested is not None:
            return self.stop_requested
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return "timeout"
        return None


_local = threading.local()


def current_guard() -> Guard | None:
    """The guard of the guest running on this thread, if any."""
    return getattr(_local, "guard", None)


class running:
    """Context manager marking ``guard``'s guest as the one running on this thread (and, for
    the deadline watchdog, as being in a call)."""

    __slots__ = ("guard", "previous")

    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        self.previous: Guard | None = None

    def __enter__(self) -> Guard:
        self.previous = current_guard()
        _local.guard = self.guard
        self.guard.in_call = True
        return self.guard

    def __exit__(self, *exc: object) -> None:
        self.guard.in_call = False
        _local.guard = self.previous


_EpochCallback = ctypes.CFUNCTYPE(
    ctypes.c_size_t,
    ctypes.POINTER(ffi.wasmtime_context_t),
    ctypes.c_void_p,
    ctypes.POINTER(ctypes.c_uint64),
    ctypes.POINTER(ffi.wasmtime_update_deadline_kind_t),
)


def _make_error(message: str) -> int:
    err = ffi.wasmtime_error_new(message.encode("utf-8"))
    return ctypes.cast(err, ctypes.c_void_p).value or 0


@_EpochCallback  # type: ignore[untyped-decorator]
def _on_epoch(_ctx: Any, _data: Any, delta: Any, kind: Any) -> int:
    guard = current_guard()
    if guard is not None:
        reason = guard.should_stop()
        if reason is not None:
            guard.stop_reason = reason
            return _make_error(f"wippy: guest stopped ({reason})")
    delta[0] = CHECK_TICKS
    kind[0] = _CONTINUE
    return 0


def install_epoch_callback(store: wasmtime.Store) -> None:
    """Makes ``store`` check its guest's guard every few epoch ticks."""
    store.set_epoch_deadline(CHECK_TICKS)
    ffi.wasmtime_store_epoch_deadline_callback(store.ptr(), _on_epoch, None, _NO_FINALIZER)


_NO_FINALIZER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)()


class EpochTicker:
    """Advances an engine's epoch while guests run, and watches the deadlines of guards that
    have an ``on_overdue`` handler; owned and stopped by its engine."""

    def __init__(self, engine: wasmtime.Engine) -> None:
        self._engine = engine
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._watched: set[Guard] = set()

    def watch(self, guard: Guard) -> None:
        """Calls ``guard.on_overdue`` (once) when its deadline passes while it is in a call."""
        with self._lock:
            self._watched.add(guard)

    def unwatch(self, guard: Guard) -> None:
        """Stops watching ``guard``."""
        with self._lock:
            self._watched.discard(guard)

    def _check_deadlines(self) -> None:
        now = time.monotonic()
        with self._lock:
            due = [
                g for g in self._watched
                if g.in_call and g.deadline is not None and now >= g.deadline
            ]
            for guard in due:
                self._watched.discard(guard)
        for guard in due:
            guard.request_stop("timeout")
            handler = guard.on_overdue
            if handler is not None:
                try:
                    handler()
                except Exception:
                    logger.exception("deadline handler failed")

    def ensure_running(self) -> None:
        """Starts the ticker thread if it is not running yet."""
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="wippy-epoch-ticker", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(TICK):
            self._engine.increment_epoch()
            if self._watched:
                self._check_deadlines()

    def stop(self) -> None:
        """Stops and joins the ticker thread."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join()
