"""WebAssembly engines: load, verify, limit and run ``process.wasm`` entries.

Two engines sit behind one interface: wasmtime (the default) and, optionally, wasmer (CPython
3.10 only; no limits, read-only mounts or components: refused at load).

Public surface: :class:`WasmRuntime` (turns registry entries into programs and functions), the
engine-neutral :class:`Program`/:class:`Instance` interface, :class:`Function` (a function entry
called synchronously through a pool of instances), the specs engines consume, and the error types.
"""

from __future__ import annotations

from .api import Instance, OutputSink, Program, Signature
from .cache import CompileCache, default_cache_dir
from .errors import (
    ArgumentError,
    ExecutionTimeout,
    ExitError,
    FuelExhausted,
    GuestError,
    HashMismatchError,
    HostFunctionError,
    LimitError,
    LinkError,
    LoadError,
    MemoryLimitExceeded,
    Terminated,
    TrapError,
    WasmError,
)
from .functions import Function
from .pool import FunctionBusyError, FunctionClosedError, PoolStats
from .profiles import KNOWN_PROFILES
from .runtime import DEFAULT_CACHE, ENGINES, WasmRuntime, read_verified
from .spec import HostModule, LimitSpec, Mount, ProgramSpec, WasiSpec
from .values import parse_float_text, parse_int_text
from .wat import InvalidTextError
from .wit_core import WitMismatchError

__all__ = [
    "DEFAULT_CACHE",
    "ENGINES",
    "KNOWN_PROFILES",
    "ArgumentError",
    "CompileCache",
    "ExecutionTimeout",
    "ExitError",
    "FuelExhausted",
    "Function",
    "FunctionBusyError",
    "FunctionClosedError",
    "GuestError",
    "HashMismatchError",
    "HostFunctionError",
    "HostModule",
    "Instance",
    "InvalidTextError",
    "LimitError",
    "LimitSpec",
    "LinkError",
    "LoadError",
    "MemoryLimitExceeded",
    "Mount",
    "OutputSink",
    "PoolStats",
    "Program",
    "ProgramSpec",
    "Signature",
    "Terminated",
    "TrapError",
    "WasiSpec",
    "WasmError",
    "WasmRuntime",
    "WitMismatchError",
    "default_cache_dir",
    "parse_float_text",
    "parse_int_text",
    "read_verified",
]
