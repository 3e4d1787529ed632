"""The wasmtime engine: compiles entries (with the disk cache) into core or component programs.

Guests run on fibers (async calls): each fiber stack is ``ASYNC_STACK`` bytes, of which the guest
may use ``MAX_WASM_STACK`` and host functions the rest. Stacks and linear memories come from
:mod:`.alloc`'s pools, so a suspended guest costs no memory map of its own; linear memories are
therefore bounds-checked (no 4 GiB reservation per memory) and may move when they grow beyond
their size class.
"""

from __future__ import annotations

import hashlib
import logging
import platform
from pathlib import Path
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi
from wasmtime import component as wc

from ..api import Program
from ..cache import CompileCache
from ..errors import LoadError
from ..spec import ProgramSpec
from .alloc import MemoryPool, StackPool
from .guard import EpochTicker

log = logging.getLogger(__name__)

_COMPONENT_LAYER = b"\x0d\x00\x01\x00"
_CORE_VERSION = b"\x01\x00\x00\x00"
_CONFIG = {"epoch_interruption": True, "consume_fuel": True, "wasm_component_model": True}
ASYNC_STACK = 1024 * 1024
MAX_WASM_STACK = 512 * 1024
_LOW_LEVEL: dict[str, int | bool] = {
    "async_stack_size": ASYNC_STACK,
    "max_wasm_stack": MAX_WASM_STACK,
    "memory_reservation": 0,
    "memory_guard_size": 0,
    "memory_reservation_for_growth": 0,
    "memory_init_cow": False,
}


def is_component(wasm: bytes) -> bool:
    """True for a component binary, False for a core module.

    Raises :class:`LoadError` for bytes that are neither.
    """
    if wasm[:4] != b"\0asm":
        raise LoadError("not a WebAssembly binary (missing the \\0asm header)")
    if wasm[4:8] == _COMPONENT_LAYER:
        return True
    if wasm[4:8] == _CORE_VERSION:
        return False
    raise LoadError(f"unsupported WebAssembly binary version {wasm[4:8].hex()}")


class WasmtimeEngine:
    """One wasmtime engine, its compile cache and its epoch ticker."""

    name = "wasmtime"

    def __init__(self, cache_dir: Path | None) -> None:
        from wippy.timers import Timers

        config = wasmtime.Config()
        for key, value in _CONFIG.items():
            setattr(config, key, value)
        for key, setting in _LOW_LEVEL.items():
            getattr(ffi, f"wasmtime_config_{key}_set")(config.ptr(), setting)
        self.stacks = StackPool(ASYNC_STACK)
        self.memories = MemoryPool()
        self.stacks.install(config)
        self.memories.install(config)
        self.engine = wasmtime.Engine(config)
        self.version = _wasmtime_version()
        settings = sorted([*_CONFIG.items(), *_LOW_LEVEL.items()])
        fingerprint = hashlib.sha256(repr((settings, platform.machine())).encode()).hexdigest()[:12]
        self.cache = CompileCache(cache_dir, f"wasmtime-{self.version}-{fingerprint}")
        self.ticker = EpochTicker(self.engine)
        self.timers = Timers("wippy-wasm-timers")

    def program(self, spec: ProgramSpec) -> Program:
        """Compiles (or loads from cache) and links ``spec``.

        Raises :class:`LoadError` (or :class:`LinkError`) naming the entry.
        """
        try:
            component = is_component(spec.wasm)
        except LoadError as exc:
            raise LoadError(f"{spec.entry_id}: {exc}") from None
        if component:
            from .component import ComponentProgram

            return ComponentProgram(self, spec, self._compile(spec, wc.Component))
        from .core import CoreProgram

        return CoreProgram(self, spec, self._compile(spec, wasmtime.Module))

    def _compile(self, spec: ProgramSpec, kind: Any) -> Any:
        cached = self.cache.get(spec.digest)
        if cached is not None:
            try:
                return kind.deserialize(self.engine, cached)
            except wasmtime.WasmtimeError as exc:
                log.warning("stale compile cache entry for %s: %s", spec.entry_id, exc)
                self.cache.discard(spec.digest)
        try:
            compiled = kind(self.engine, spec.wasm)
        except wasmtime.WasmtimeError as exc:
            raise LoadError(f"{spec.entry_id}: invalid WebAssembly: {_first_line(exc)}") from None
        self.cache.put(spec.digest, bytes(compiled.serialize()))
        return compiled

    def close(self) -> None:
        """Stops the epoch ticker and the timer thread; programs must not be used afterwards."""
        self.ticker.stop()
        self.timers.close()


def _wasmtime_version() -> str:
    from importlib.metadata import version

    return version("wasmtime")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def error_text(exc: BaseException) -> str:
    """The engine's message, without the backtrace wasmtime appends."""
    text = str(exc).strip()
    if "Caused by:" in text:
        cause = text.split("Caused by:", 1)[1].strip().splitlines()
        cause = [line.strip() for line in cause if line.strip()]
        lines = [ln for ln in cause if not ln[:1].isdigit()]
        return "; ".join(lines) if lines else text
    head = [ln for ln in text.splitlines() if ln.strip() and "wasm backtrace" not in ln]
    return head[0] if head else text
