"""Host interfaces offered to every :class:`~wippy.wasm.WasmRuntime`, such as ``wippy:process``.

A layer above the engines (the process runtime) registers the interfaces it implements here once,
at import; every runtime's entries may then enable them by profile (``imports: [wippy:process]``),
whoever created the runtime (the CLI, ``wippy.load``, a test). Interfaces given to one
``WasmRuntime(host_interfaces=...)`` are added to these.
"""

from __future__ import annotations

import threading

from .spec import ComponentInterface, HostInterface

_lock = threading.Lock()
_core: dict[str, HostInterface] = {}
_components: dict[str, ComponentInterface] = {}


def offer_interface(interface: HostInterface | ComponentInterface) -> None:
    """Offers ``interface`` to every runtime from now on (replacing one of the same name).

    Programs already loaded keep what they were linked with.
    """
    with _lock:
        if isinstance(interface, HostInterface):
            _core[interface.name] = interface
        else:
            _components[interface.name] = interface


def offered_core() -> tuple[HostInterface, ...]:
    """The core-module interfaces offered to every runtime."""
    with _lock:
        return tuple(_core.values())


def offered_components() -> tuple[ComponentInterface, ...]:
    """The component interfaces offered to every runtime."""
    with _lock:
        return tuple(_components.values())
