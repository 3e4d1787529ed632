"""Fiber stacks and linear memories carved from a few large mappings.

Linux allows a process ``vm.max_map_count`` memory maps (65,530 by default). wasmtime's default
allocator gives every fiber stack a mapping and a guard page (2 maps) and every linear memory a
reservation (2 maps), so 100,000 suspended guests would need 400,000 maps. Here slots of equal size
are cut from anonymous mappings of many slots each (one map per chunk): stacks get a guard region
installed with ``MADV_GUARD_INSTALL`` (Linux 6.13+; no extra map) or, on older kernels, an
``mprotect`` guard (two maps per stack); memories come in power-of-two size classes, grow in
place up to their class and move (copied) into the next class beyond. Freed slots are returned to
the kernel with ``MADV_DONTNEED``, which also zeroes them.

Both allocators are handed to wasmtime through its C API's custom stack and memory creators; the
callbacks never raise into wasmtime (a failure is returned as a wasmtime error).
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from dataclasses import dataclass
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi

log = logging.getLogger(__name__)

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [
    ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long,
]
_libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]

_PROT_NONE, _PROT_RW = 0, 3
_MAP_PRIVATE, _MAP_ANONYMOUS, _MAP_NORESERVE = 0x02, 0x20, 0x4000
_MADV_DONTNEED = 4
_MADV_GUARD_INSTALL = 102
_MAP_FAILED = ctypes.c_void_p(-1).value
PAGE = os.sysconf("SC_PAGESIZE")
WASM_PAGE = 65536


class AllocationError(MemoryError):
    """The kernel refused a mapping (out of memory or of memory maps)."""


def _mmap(size: int) -> int:
    addr = _libc.mmap(None, size, _PROT_RW, _MAP_PRIVATE | _MAP_ANONYMOUS | _MAP_NORESERVE, -1, 0)
    if addr is None or addr == _MAP_FAILED:
        err = ctypes.get_errno()
        raise AllocationError(f"mmap of {size} bytes failed: {os.strerror(err)}")
    return int(addr)


class SlotArena:
    """Equal slots of ``slot_size`` bytes (plus ``guard`` bytes below each) in chunks of
    ``per_chunk`` slots. Thread-safe. ``keep_hot`` freed slots are kept as they are for quick
    reuse (when ``zero_on_free`` is false); the others go back to the kernel."""

    def __init__(
        self, slot_size: int, *, guard: int = 0, per_chunk: int = 1024, keep_hot: int = 0,
        zero_on_free: bool = True,
    ) -> None:
        self.slot_size = slot_size
        self.guard = guard
        self.stride = slot_size + guard
        self.per_chunk = max(1, per_chunk)
        self.keep_hot = keep_hot
        self.zero_on_free = zero_on_free
        self._lock = threading.Lock()
        self._free: list[int] = []
        self._hot: list[int] = []
        self._chunks: list[tuple[int, int]] = []
        self.in_use = 0
        self.guard_maps = 0  # extra maps made by mprotect guards (0 with MADV_GUARD_INSTALL)

    def _add_chunk(self) -> None:
        size = self.stride * self.per_chunk
        base = _mmap(size)
        self._chunks.append((base, size))
        slots = [base + i * self.stride for i in range(self.per_chunk)]
        if self.guard:
            for slot in slots:
                self._install_guard(slot)
        self._free.extend(reversed(slots))

    def _install_guard(self, slot: int) -> None:
        if _libc.madvise(slot, self.guard, _MADV_GUARD_INSTALL) == 0:
            return
        if _libc.mprotect(slot, self.guard, _PROT_NONE) != 0:
            err = ctypes.get_errno()
            raise AllocationError(f"cannot protect a stack guard: {os.strerror(err)}")
        self.guard_maps += 2

    def allocate(self) -> int:
        """The usable start (above the guard) of a free slot. Raises :class:`AllocationError`."""
        with self._lock:
            if self._hot:
                slot = self._hot.pop()
            else:
                if not self._free:
                    self._add_chunk()
                slot = self._free.pop()
            self.in_use += 1
        return slot + self.guard

    def zero(self, addr: int) -> None:
        """Zeroes the slot whose usable start is ``addr`` (its pages go back to the kernel)."""
        _libc.madvise(addr, self.slot_size, _MADV_DONTNEED)

    def release(self, addr: int) -> None:
        """Returns the slot whose usable start is ``addr``."""
        slot = addr - self.guard
        with self._lock:
            self.in_use -= 1
            if not self.zero_on_free and len(self._hot) < self.keep_hot:
                self._hot.append(slot)
                return
        _libc.madvise(addr, self.slot_size, _MADV_DONTNEED)
        with self._lock:
            self._free.append(slot)

    @property
    def chunks(self) -> int:
        """How many mappings the arena holds."""
        return len(self._chunks)

    def close(self) -> None:
        """Unmaps every chunk; only when no slot is in use (otherwise they are left mapped)."""
        with self._lock:
            if self.in_use:
                log.warning("%d slots still in use; arena left mapped", self.in_use)
                return
            chunks, self._chunks = self._chunks, []
            self._free.clear()
            self._hot.clear()
        for base, size in chunks:
            _libc.munmap(base, size)


# ------------------------------------------------------------------------------ fiber stacks

_FINALIZER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_NO_FINALIZER = _FINALIZER()


class StackPool:
    """wasmtime's host stack creator: fiber stacks of ``size`` bytes from a :class:`SlotArena`."""

    def __init__(self, size: int, guard: int = 64 * 1024, per_chunk: int = 1024) -> None:
        self.size = _round_up(size, PAGE)
        self.arena = SlotArena(
            self.size, guard=guard, per_chunk=per_chunk, keep_hot=64, zero_on_free=False
        )
        pool = self

        @ffi.wasmtime_stack_memory_get_callback_t  # type: ignore[untyped-decorator]
        def get_stack(env: Any, out_len: Any) -> int:
            out_len[0] = pool.size
            return (env or 0) + pool.size

        @_FINALIZER  # type: ignore[untyped-decorator]
        def free_stack(env: Any) -> None:
            try:
                pool.arena.release(env or 0)
            except BaseException:  # never into wasmtime
                log.exception("releasing a fiber stack failed")

        @ffi.wasmtime_new_stack_memory_callback_t  # type: ignore[untyped-decorator]
        def new_stack(_env: Any, size: int, zeroed: bool, ret: Any) -> int:
            try:
                if size > pool.size:
                    return _error(f"fiber stack of {size} bytes requested; pool has {pool.size}")
                addr = pool.arena.allocate()
                if zeroed:
                    pool.arena.zero(addr)
            except BaseException as exc:
                return _error(f"cannot allocate a fiber stack: {exc}")
            ret[0].env = addr
            ret[0].get_stack_memory = get_stack
            ret[0].finalizer = free_stack
            return 0

        self._callbacks = (get_stack, free_stack, new_stack)  # kept alive with the pool
        creator: Any = ffi.wasmtime_stack_creator_t()
        creator.env = None
        creator.new_stack = new_stack
        creator.finalizer = _NO_FINALIZER
        self._creator = creator

    def install(self, config: wasmtime.Config) -> None:
        """Makes ``config``'s engine take its fiber stacks from this pool."""
        ffi.wasmtime_config_host_stack_creator_set(config.ptr(), ctypes.byref(self._creator))


# ------------------------------------------------------------------------------ linear memories

_MIN_CLASS = WASM_PAGE
_CHUNK_BYTES = 256 * 1024 * 1024  # a size class's chunk: 4,096 slots of 64 KiB, 1 of 256 MiB+


@dataclass(eq=False)
class _Memory:
    addr: int
    size: int
    capacity: int
    maximum: int


_made_here = threading.local()


class MemoryPool:
    """wasmtime's host memory creator: linear memories in power-of-two size classes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._classes: dict[int, SlotArena] = {}
        self._memories: dict[int, _Memory] = {}
        self._keys = iter(range(1, 2**62))
        pool = self

        @ffi.wasmtime_memory_get_callback_t  # type: ignore[untyped-decorator]
        def get_memory(env: Any, size: Any, capacity: Any) -> int:
            memory = pool._memories[env or 0]
            size[0] = memory.size
            capacity[0] = memory.capacity
            return memory.addr

        @ffi.wasmtime_memory_grow_callback_t  # type: ignore[untyped-decorator]
        def grow_memory(env: Any, new_size: int) -> int:
            try:
                pool._grow(pool._memories[env or 0], new_size)
            except BaseException as exc:
                return _error(f"cannot grow linear memory to {new_size} bytes: {exc}")
            return 0

        @_FINALIZER  # type: ignore[untyped-decorator]
        def free_memory(env: Any) -> None:
            try:
                memory = pool._memories.pop(env or 0)
                pool._arena(memory.capacity).release(memory.addr)
            except BaseException:
                log.exception("releasing a linear memory failed")

        @ffi.wasmtime_new_memory_callback_t  # type: ignore[untyped-decorator]
        def new_memory(
            _env: Any, _ty: Any, minimum: int, maximum: int, reserved: int, guard: int, ret: Any
        ) -> int:
            try:
                key = pool._new(minimum, maximum, reserved)
            except BaseException as exc:
                return _error(f"cannot allocate a linear memory of {minimum} bytes: {exc}")
            ret[0].env = key
            ret[0].get_memory = get_memory
            ret[0].grow_memory = grow_memory
            ret[0].finalizer = free_memory
            return 0

        self._callbacks = (get_memory, grow_memory, free_memory, new_memory)
        creator: Any = ffi.wasmtime_memory_creator_t()
        creator.env = None
        creator.new_memory = new_memory
        creator.finalizer = _NO_FINALIZER
        self._creator = creator

    def install(self, config: wasmtime.Config) -> None:
        """Makes ``config``'s engine take its linear memories from this pool."""
        ffi.wasmtime_config_host_memory_creator_set(config.ptr(), ctypes.byref(self._creator))

    def _arena(self, capacity: int) -> SlotArena:
        with self._lock:
            arena = self._classes.get(capacity)
            if arena is None:
                arena = SlotArena(capacity, per_chunk=_CHUNK_BYTES // capacity)
                self._classes[capacity] = arena
            return arena

    def _new(self, minimum: int, maximum: int, reserved: int) -> int:
        capacity = _size_class(max(minimum, reserved, 1))
        memory = _Memory(self._arena(capacity).allocate(), minimum, capacity, maximum)
        with self._lock:
            key = next(self._keys)
            self._memories[key] = memory
        made = getattr(_made_here, "memories", None)
        if made is not None:
            made.append(memory)
        return key

    @staticmethod
    def capture() -> list[Any]:
        """Starts collecting the records of the memories made on this thread (until
        :meth:`end_capture`); returns the list they are added to. Each record's ``addr`` and
        ``size`` follow the memory as it grows or moves."""
        made: list[Any] = []
        _made_here.memories = made
        return made

    @staticmethod
    def end_capture() -> None:
        """Stops collecting on this thread."""
        _made_here.memories = None

    def _grow(self, memory: _Memory, new_size: int) -> None:
        if new_size > memory.maximum:
            raise AllocationError(f"above the maximum of {memory.maximum} bytes")
        if new_size <= memory.capacity:
            memory.size = new_size
            return
        capacity = _size_class(new_size)
        addr = self._arena(capacity).allocate()
        ctypes.memmove(addr, memory.addr, memory.size)
        self._arena(memory.capacity).release(memory.addr)
        memory.addr, memory.size, memory.capacity = addr, new_size, capacity

    def in_use(self) -> int:
        """How many linear memories are allocated."""
        return len(self._memories)

    def mappings(self) -> int:
        """How many mappings the pool holds."""
        with self._lock:
            return sum(arena.chunks for arena in self._classes.values())


def _size_class(size: int) -> int:
    capacity = _MIN_CLASS
    while capacity < size:
        capacity *= 2
    return capacity


def _round_up(value: int, to: int) -> int:
    return (value + to - 1) // to * to


def _error(message: str) -> int:
    err = ffi.wasmtime_error_new(message.encode("utf-8"))
    return ctypes.cast(err, ctypes.c_void_p).value or 0
