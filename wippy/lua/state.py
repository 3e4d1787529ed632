"""One sandboxed Lua 5.4 state: a lupa ``LuaRuntime`` set up by ``sandbox.lua``.

Each process (and each pooled function instance) has its own state, so ``limits.max_memory``
bounds exactly its memory and nothing is shared between processes. Python objects never reach
the entry's code: the Python side is reachable only through locals of ``sandbox.lua``, every
attribute access on a Python object from Lua is refused, and strings cross as bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any

import lupa.lua54 as lupa

from wippy.lua.errors import LuaLoadError
from wippy.wasm.errors import MemoryLimitExceeded

__all__ = ["SANDBOX_SOURCE", "LuaState"]

log = logging.getLogger(__name__)

SANDBOX_SOURCE = resources.files("wippy.lua").joinpath("sandbox.lua").read_text("utf-8")
"""The Lua code that sets a new state up (``wippy/lua/sandbox.lua``)."""
_SANDBOX = SANDBOX_SOURCE.encode("utf-8")


def _refuse_attributes(obj: Any, name: Any, is_setting: bool) -> Any:
    raise AttributeError("Lua code cannot reach attributes of Python objects")


class LuaState:
    """A fresh sandboxed Lua state for ``entry_id``.

    ``call(op, *args)`` answers the modules' functions (see :mod:`wippy.lua.api`), ``write``
    receives what ``print`` writes, ``preempted()`` says whether the count hook just yielded a
    coroutine. ``modules`` are the names ``require`` gives; ``in_process`` makes ``process`` a
    global. Raises :class:`~wippy.wasm.errors.MemoryLimitExceeded` when ``max_memory`` is too
    small for the state itself.
    """

    def __init__(
        self,
        entry_id: str,
        *,
        call: Callable[..., Any],
        write: Callable[[bytes], None],
        preempted: Callable[[], bool],
        modules: Iterable[str],
        in_process: bool,
        max_memory: int | None,
    ) -> None:
        self.runtime = lupa.LuaRuntime(
            encoding=None,
            register_eval=False,
            register_builtins=False,
            unpack_returned_tuples=True,
            attribute_filter=_refuse_attributes,
            max_memory=max_memory or 0,
        )
        host = self.runtime.table_from({b"call": call, b"write": write, b"preempted": preempted})
        try:
            setup = self.runtime.globals()[b"load"](_SANDBOX, b"=wippy/lua/sandbox.lua", b"t")
            controller = setup(host, entry_id.encode("utf-8"), in_process)
        except lupa.LuaMemoryError:
            raise MemoryLimitExceeded(
                f"{entry_id}: a Lua state needs more memory than its limit of {max_memory} bytes"
            ) from None
        self._start = controller[b"start"]
        self.new_error: Callable[[bytes, bytes], Any] = controller[b"new_error"]
        self.pointer: Callable[[Any], Any] = controller[b"pointer"]
        enable = controller[b"enable"]
        for name in modules:
            enable(name.encode("utf-8"))

    def start(
        self, code: str, chunk_name: str, method: str, *, probe: bool = False
    ) -> tuple[Callable[..., Any], str, Callable[[], None]]:
        """Compiles ``code`` and makes the coroutine that runs its ``method``: returns
        ``(step, address, close)`` (see ``sandbox.lua``). With ``probe``, the coroutine only
        runs the code's top level and checks ``method``. Raises :class:`LuaLoadError` when the
        code does not compile."""
        try:
            found = self._start(code.encode("utf-8"), chunk_name.encode("utf-8"),
                                method.encode("utf-8"), probe)
        except lupa.LuaMemoryError:
            raise MemoryLimitExceeded(f"{chunk_name}: not enough memory to load the code "
                                      "within the entry's max_memory") from None
        step, address = found[0], found[1]
        if step is None:
            message = address.decode("utf-8", "replace") if isinstance(address, bytes) else (
                str(address))
            raise LuaLoadError(message)
        return step, address.decode("ascii"), found[2]

    def error(self, kind: str, message: str) -> Any:
        """A Lua error value (``kind``, ``message``, printing as the message)."""
        return self.new_error(kind.encode("utf-8"), message.encode("utf-8", "replace"))

    def memory_used(self) -> int:
        """Bytes the state holds (counted when it has a ``max_memory``; else 0)."""
        return int(self.runtime.get_memory_used() or 0)
