"""wippy: run WebAssembly modules as supervised actor processes.

``wippy.load(path)`` reads an app's registry and returns a started :class:`Runtime`; processes
are spawned, messaged, monitored and linked through :class:`Process` handles.
"""

from __future__ import annotations

import os

__version__ = "0.1.0"

from . import cluster as _cluster  # noqa: F401  (claims cluster.ray; imports no Ray)
from . import lua as _lua  # noqa: F401  (registers process.lua and function.lua)
from .actors import (
    CANCEL,
    EXIT,
    LINK_DOWN,
    Event,
    Message,
    Pid,
    Process,
    ProcessError,
    Runtime,
    SpawnError,
)
from .config import ConfigError, Registry, load_registry
from .supervisors import AppRuntime, ChildSpec, Supervisor, SupervisorSpec, start_supervisor
from .wasm import WasmError, WasmRuntime


def load(
    path: str | os.PathLike[str] = ".",
    *,
    wasm: WasmRuntime | None = None,
    engine: str | None = None,
    start: bool = True,
) -> AppRuntime:
    """Loads the app at ``path`` (a folder or YAML file) and starts it: its ``auto_start``
    hosts, then supervisors, then services (in ``requires`` order). ``start=False`` starts only
    the hosts; call :meth:`AppRuntime.start_app` later. ``engine`` (``"wasmtime"`` or
    ``"wasmer"``) is the app's default engine when ``wasm`` is not given.

    Use the result as a context manager: leaving it stops services and supervisors in reverse
    order, then every process and host. Raises :class:`ConfigError` listing every problem of the
    registry, or the error of a supervisor or service that could not start.
    """
    return AppRuntime(load_registry(path), wasm=wasm, engine=engine, start=start)


__all__ = [
    "CANCEL",
    "EXIT",
    "LINK_DOWN",
    "AppRuntime",
    "ChildSpec",
    "ConfigError",
    "Event",
    "Message",
    "Pid",
    "Process",
    "ProcessError",
    "Registry",
    "Runtime",
    "SpawnError",
    "Supervisor",
    "SupervisorSpec",
    "WasmError",
    "WasmRuntime",
    "__version__",
    "load",
    "start_supervisor",
]
