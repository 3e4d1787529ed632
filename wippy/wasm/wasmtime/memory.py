"""The calling guest's linear memory, read and written by host functions."""

from __future__ import annotations

import ctypes
from typing import Any

from wasmtime import _ffi as ffi

from ..spec import GuestMemoryError

_EXTERN_MEMORY = int(ffi.WASMTIME_EXTERN_MEMORY.value)


class CallerMemory:
    """The ``memory`` export of the guest behind a ``wasmtime_caller_t``, bounds-checked.

    Valid only while the host call it was made for runs (the memory may move when it grows).
    """

    __slots__ = ("base", "context", "item", "size")

    def __init__(self, caller: Any, item: Any = None) -> None:
        self.context = ffi.wasmtime_caller_context(caller)
        if item is None:  # the export, unless the caller knows it (it is fixed per instance)
            item = ffi.wasmtime_extern_t()
            found = ffi.wasmtime_caller_export_get(caller, b"memory", 6, ctypes.byref(item))
            if not found or int(item.kind) != _EXTERN_MEMORY:
                raise GuestMemoryError("the guest exports no memory named `memory`")
        self.item = item
        memory = ctypes.byref(self.item.of.memory)
        self.base = ctypes.cast(ffi.wasmtime_memory_data(self.context, memory), ctypes.c_void_p)
        self.size = int(ffi.wasmtime_memory_data_size(self.context, memory))

    def fits(self, ptr: int, length: int) -> bool:
        """True when ``[ptr, ptr + length)`` lies inside the memory."""
        return ptr >= 0 and length >= 0 and ptr + length <= self.size

    def _check(self, ptr: int, length: int) -> None:
        if not self.fits(ptr, length):
            raise GuestMemoryError(
                f"guest memory access out of bounds: {length} bytes at {ptr} "
                f"(memory is {self.size} bytes)"
            )

    def read(self, ptr: int, length: int) -> bytes:
        """The bytes at ``ptr``; raises :class:`GuestMemoryError` when out of bounds."""
        self._check(ptr, length)
        return ctypes.string_at((self.base.value or 0) + ptr, length)

    def write(self, ptr: int, data: bytes) -> None:
        """Writes ``data`` at ``ptr``; raises :class:`GuestMemoryError` when out of bounds."""
        self._check(ptr, len(data))
        ctypes.memmove((self.base.value or 0) + ptr, data, len(data))

    def read_int(self, ptr: int, length: int) -> int:
        """A little-endian unsigned integer of ``length`` bytes at ``ptr``."""
        return int.from_bytes(self.read(ptr, length), "little")
