"""wippy: run WebAssembly modules as supervised actor processes.

``wippy.load(path)`` reads an app's registry and returns a started :class:`Runtime`; processes
are spawned, messaged, monitored and linked through :class:`Process` handles.
"""

from __future__ import annotations

import os

__version__ = "0.1.0"

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
from .wasm import WasmError, WasmRuntime


def load(path: str | os.PathLike[str] = ".", *, wasm: WasmRuntime | None = None) -> Runtime:
    """Loads the app at ``path`` (a folder or YAML file) and starts its ``auto_start`` hosts.

    Use the result as a context manager: leaving it stops every process and host. Raises
    :class:`ConfigError` listing every problem of the registry.
    """
    return Runtime(load_registry(path), wasm=wasm)


__all__ = [
    "CANCEL",
    "EXIT",
    "LINK_DOWN",
    "ConfigError",
    "Event",
    "Message",
    "Pid",
    "Process",
    "ProcessError",
    "Registry",
    "Runtime",
    "SpawnError",
    "WasmError",
    "WasmRuntime",
    "__version__",
    "load",
]
