"""``wippy:process``: the process API for WebAssembly guests.

A guest whose entry lists ``imports: [wippy:process]`` can receive, send, spawn, monitor, link,
cancel, terminate and register names, with the pids, topics, events and semantics of Python
processes: core modules through the host functions of the import module ``wippy:process``
(:mod:`.core`), components through the WIT interface ``wippy:process/process@0.1.0``
(:mod:`.component`, ``wit/process.wit``). Data crosses as MessagePack (:mod:`.data`); failures
are negative codes (:mod:`.codes`). Importing this package offers both forms to every
:class:`~wippy.wasm.WasmRuntime`.
"""

from __future__ import annotations

from wippy.wasm.offered import offer_interface

from . import codes
from .codes import ApiError
from .component import COMPONENT_INTERFACE, WIT_INTERFACE, WIT_PACKAGE, WIT_PATH
from .core import CORE_INTERFACE
from .data import GuestPayload, decode, encode
from .operations import INTERFACE

offer_interface(CORE_INTERFACE)
offer_interface(COMPONENT_INTERFACE)

__all__ = [
    "COMPONENT_INTERFACE",
    "CORE_INTERFACE",
    "INTERFACE",
    "WIT_INTERFACE",
    "WIT_PACKAGE",
    "WIT_PATH",
    "ApiError",
    "GuestPayload",
    "codes",
    "decode",
    "encode",
]
