"""Keeps wasmtime's trap handling alive when Ray starts in this process.

wasmtime turns a guest's trap (an ``unreachable``, a division by zero, an out-of-bounds access)
into a ``Trap`` error through the SIGILL/SIGSEGV/SIGBUS/SIGFPE handlers it installs, which pass
other faults on to the handlers that were there before. ``ray.init`` installs handlers of its
own over them (abseil's failure handler, and Python's ``faulthandler`` if it was off), which do
not: after it, the first guest trap on this node kills the whole process (measured: ``Fatal
Python error: Illegal instruction``). :func:`keeping_fault_handlers` puts the handlers back as
they were (``ray.shutdown`` changes them again: :func:`shutdown_ray`). A node's own actor needs
nothing: Ray is there before wasmtime, which chains to it.
"""

from __future__ import annotations

import ctypes
import faulthandler
import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

logger = logging.getLogger(__name__)

_FATAL = (signal.SIGSEGV, signal.SIGILL, signal.SIGBUS, signal.SIGFPE)
_ACTION_BYTES = 512
"""Room for a ``struct sigaction`` (152 bytes on x86-64 glibc) on any Linux ABI."""


@contextmanager
def keeping_fault_handlers() -> Iterator[None]:
    """Runs the body (which starts Ray), then restores the fatal-signal handlers and the
    ``faulthandler`` state this process had before. Does nothing where libc has no
    ``sigaction`` (the body still runs)."""
    try:
        sigaction = ctypes.CDLL(None, use_errno=True).sigaction
    except (OSError, AttributeError):
        yield
        return
    saved: dict[int, Any] = {}
    for signum in _FATAL:
        action = ctypes.create_string_buffer(_ACTION_BYTES)
        if sigaction(int(signum), None, action) == 0:
            saved[int(signum)] = action
    was_enabled = faulthandler.is_enabled()
    try:
        yield
    finally:
        if not was_enabled and faulthandler.is_enabled():
            faulthandler.disable()
        for number, action in saved.items():
            if sigaction(number, action, None) != 0:
                logger.warning("could not restore the handler of signal %d (errno %d): guest "
                               "traps may end this process", number, ctypes.get_errno())


def init_ray(**kwargs: Any) -> Any:
    """``ray.init(**kwargs)`` without losing wasmtime's trap handling (see the module); use it
    instead of ``ray.init`` in a process that runs WebAssembly guests. Returns what
    ``ray.init`` returns."""
    from wippy.cluster.ray_setup import import_ray

    ray = import_ray()
    with keeping_fault_handlers():
        return ray.init(**kwargs)


def shutdown_ray() -> None:
    """``ray.shutdown()`` without losing wasmtime's trap handling (it changes the fatal-signal
    handlers too)."""
    from wippy.cluster.ray_setup import import_ray

    ray = import_ray()
    with keeping_fault_handlers():
        ray.shutdown()
