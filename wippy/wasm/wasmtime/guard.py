"""Per-guest supervision for wasmtime: interrupts, deadlines, time slices and host-call errors.

wasmtime-py keeps the last host-function exception in a module-wide global, so guests running in
parallel threads could surface each other's exceptions. wippy never uses that path: its host
functions and its call path go through the low-level bindings, and whatever a guest's host call
raises is recorded on the :class:`Guard` of the guest being run on *this* thread (set around each
poll or call by :class:`running`).

Interrupts and time slices use epochs: a ticker thread advances the engine's epoch every ``TICK``
seconds, and the epoch callback of the running guest's store (run on the guest's thread) stops
the guest when it was interrupted or its deadline passed, and makes a stepped guest yield to its
scheduler when its time slice is used up.
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
"""Seconds between epoch ticks: the granularity of interrupts and time slices."""
CHECK_TICKS = 4
"""Ticks between checks of a guest running a blocking (unstepped) call."""
_CONTINUE, _YIELD = 0, 1


class Guard:
    """The control state of one instance: why it must stop, its deadline and time slice, the
    host call it waits in, and what its host calls raised."""

    __slots__ = (
        "_wake", "cache", "context", "deadline", "host_error", "in_call", "memory", "pending",
        "slice", "slice_end", "state", "stdin", "stepping", "stop_reason", "stop_requested",
        "waker",
    )

    def __init__(self) -> None:
        self.stop_requested: str | None = None
        self.stop_reason: str | None = None
        self.deadline: float | None = None
        self.host_error: BaseException | None = None
        self._wake: threading.Event | None = None
        self.waker: Callable[[], None] | None = None
        """Called when a suspended guest may be polled again."""
        self.in_call = False
        """True from the start of a call until it finished (running or waiting)."""
        self.pending: Any = None
        """The async host call the guest is suspended in (a ``HostOp``), if any."""
        self.stepping = False
        """True while a stepped call is being polled (epoch yields are possible)."""
        self.slice: float | None = None
        self.slice_end: float | None = None
        self.stdin: Any = None
        """A live stdin (an ``InputStream``) whose reads suspend the guest, if any."""
        self.cache: dict[str, Any] | None = None
        """Engine-internal state of the instance (helper instances)."""
        self.context: Any = None
        """What host interfaces see as the calling guest (given to ``instantiate``)."""
        self.state: dict[str, Any] = {}
        """Host interfaces' per-guest data (:attr:`~wippy.wasm.spec.HostCall.state`)."""
        self.memory: Any = None
        """The pool's record (``addr``, ``size``) of the linear memory the guest exports as
        ``memory``, when it is known to be that one; host calls then read the guest's memory
        without asking wasmtime where it is (None: they ask)."""

    @property
    def wake(self) -> threading.Event:
        """Set by :meth:`request_stop` and by the waker of a blocking call (made on first use:
        a stepped guest never blocks a thread on it)."""
        wake = self._wake
        if wake is None:
            wake = self._wake = threading.Event()
            if self.stop_requested is not None:
                wake.set()
        return wake

    def request_stop(self, reason: str) -> None:
        """Asks the guest to stop (any thread); wakes a waiting call so it notices."""
        if self.stop_requested is None:
            self.stop_requested = reason
        wake = self._wake
        if wake is not None:
            wake.set()
        waker = self.waker
        if waker is not None:
            waker()

    def reset(self, max_execution: float | None) -> None:
        """Prepares for a new call of guest code (the deadline is set once per instance)."""
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
    """Context manager marking ``guard``'s guest as the one running on this thread."""

    __slots__ = ("guard", "previous")

    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        self.previous: Guard | None = None

    def __enter__(self) -> Guard:
        self.previous = getattr(_local, "guard", None)
        _local.guard = self.guard
        return self.guard

    def __exit__(self, *exc: object) -> None:
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
    try:
        guard = current_guard()
        if guard is not None:
            reason = guard.should_stop()
            if reason is not None:
                guard.stop_reason = reason
                return _make_error(f"wippy: guest stopped ({reason})")
            if guard.stepping:
                delta[0] = 1
                end = guard.slice_end
                kind[0] = _YIELD if end is not None and time.monotonic() >= end else _CONTINUE
                return 0
        delta[0] = CHECK_TICKS
        kind[0] = _CONTINUE
        return 0
    except BaseException:  # never into wasmtime: keep running, check again next tick
        delta[0] = 1
        kind[0] = _CONTINUE
        return 0


def install_epoch_callback(store: wasmtime.Store) -> None:
    """Makes ``store`` check its guest's guard every few epoch ticks."""
    store.set_epoch_deadline(1)
    ffi.wasmtime_store_epoch_deadline_callback(store.ptr(), _on_epoch, None, _NO_FINALIZER)


_NO_FINALIZER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)()


class EpochTicker:
    """Advances an engine's epoch every ``TICK`` seconds; owned and stopped by its engine."""

    def __init__(self, engine: wasmtime.Engine) -> None:
        self._engine = engine
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

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

    def stop(self) -> None:
        """Stops and joins the ticker thread."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join()
