"""Preemption of running Lua code: a count hook that yields the process's coroutine.

Lua's ``debug.sethook`` cannot yield from a Lua hook function, but a C hook may call
``lua_yield(L, 0)`` (Lua 5.4 then yields the running coroutine when the hook returns, even from
inside ``pcall``). The hook here is a ``ctypes`` callback set with ``lua_sethook`` on a
process's coroutine (coroutines it creates inherit it): every :data:`HOOK_COUNT` VM
instructions it asks the instance running on this thread whether to stop (time slice over,
terminated, past its deadline) and, when the coroutine can yield there, yields it. It never
raises a Lua error (that would unwind through Python's frames): stopping is done by the
instance, between resumes.

The C API functions come from lupa's own ``lua54`` extension (lupa bundles Lua 5.4 and
exports its API), so they act on the same Lua the runtimes use.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from typing import Any, Protocol

import lupa.lua54 as lupa

__all__ = ["HOOK_COUNT", "Preemptible", "install", "running"]

log = logging.getLogger(__name__)

HOOK_COUNT = 10_000
"""VM instructions between two checks (~0.1-0.3 ms of Lua on this machine)."""

_LUA_MASKCOUNT = 1 << 3

_lib = ctypes.CDLL(lupa.__file__)
_Hook = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
_lib.lua_sethook.argtypes = [ctypes.c_void_p, _Hook, ctypes.c_int, ctypes.c_int]
_lib.lua_sethook.restype = None
_lib.lua_yieldk.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
_lib.lua_yieldk.restype = ctypes.c_int
_lib.lua_isyieldable.argtypes = [ctypes.c_void_p]
_lib.lua_isyieldable.restype = ctypes.c_int


class Preemptible(Protocol):
    """What the hook asks of the Lua instance running on its thread."""

    preempted: bool

    def should_yield(self) -> bool:
        """True when the running code must give the thread back now."""


class _Running(threading.local):
    instance: Preemptible | None = None


running = _Running()
"""The instance whose Lua code runs on this thread (set around each resume)."""


def _hook(state: int, _debug: Any) -> None:
    instance = running.instance
    if instance is None or not instance.should_yield():
        return
    if _lib.lua_isyieldable(state):
        instance.preempted = True
        _lib.lua_yieldk(state, 0, None, None)


_HOOK = _Hook(_hook)  # kept alive for as long as the module: Lua calls it


def install(pointer: str) -> None:
    """Sets the count hook on the coroutine whose address is ``pointer`` (as Lua's
    ``string.format("%p", co)`` prints it). Raises ValueError for a malformed address."""
    address = int(pointer, 16)
    if not address:
        raise ValueError(f"not a coroutine address: {pointer!r}")
    _lib.lua_sethook(address, _HOOK, _LUA_MASKCOUNT, HOOK_COUNT)
