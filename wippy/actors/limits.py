"""Spawning within the machine's limits: Linux's ``vm.max_map_count``.

Every memory map a process holds counts against ``vm.max_map_count`` (65,530 by default). A
process that keeps a thread (a Python function, a component, a wasmer guest) costs about eight
(its stack and guard, its signal stack and guard, ...); a stepped WebAssembly guest costs almost
none (its fiber stack and memory come from pooled mappings). When the kernel's limit is reached,
thread creation and ``mmap`` fail, and code that does not expect it (wasmtime's signal-stack setup
among it) aborts the interpreter. :class:`MapBudget` refuses a spawn before that, with a clear
error naming the sysctl.
"""

from __future__ import annotations

import threading

from wippy.actors.errors import ResourceLimitError

THREAD_MAPS = 8
"""Maps a process that keeps a thread may add."""
STEPPED_MAPS = 1
"""Maps a stepped guest is assumed to add (a conservative bound; pooled it adds ~0)."""


def max_map_count() -> int | None:
    """The kernel's ``vm.max_map_count``, or None when it cannot be read."""
    try:
        with open("/proc/sys/vm/max_map_count") as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def maps_in_use() -> int | None:
    """How many memory maps this process holds now (one read of ``/proc/self/maps``)."""
    try:
        with open("/proc/self/maps", "rb") as handle:
            return sum(1 for _ in handle)
    except OSError:
        return None


class MapBudget:
    """Refuses spawns that could take the process past its map limit; thread-safe.

    The maps in use are counted (a read of ``/proc/self/maps``) only when an estimate of what
    was spawned since the last count could reach the limit, so spawning stays cheap far from it.
    ``limit`` defaults to the kernel's ``vm.max_map_count`` (no check when it cannot be read);
    ``reserve`` maps stay free for everything else the interpreter does.
    """

    def __init__(self, limit: int | None = None, reserve: int = 1024) -> None:
        self.limit = max_map_count() if limit is None else limit
        self.reserve = reserve
        self._lock = threading.Lock()
        self._counted = maps_in_use() or 0
        self._since = 0

    def check(self, cost: int, what: str) -> None:
        """Accounts a spawn that may add ``cost`` maps; raises :class:`ResourceLimitError`
        when that could exceed the limit (``what`` names the spawn in the message)."""
        limit = self.limit
        if limit is None:
            return
        with self._lock:
            ceiling = limit - self.reserve
            if self._counted + self._since + cost > ceiling:
                self._counted = maps_in_use() or self._counted
                self._since = 0
                if self._counted + cost > ceiling:
                    raise ResourceLimitError(
                        f"cannot spawn {what}: this process holds {self._counted:,} memory maps "
                        f"and the kernel allows {limit:,} (vm.max_map_count), keeping "
                        f"{self.reserve:,} free; raise the limit, e.g. "
                        f"`sysctl -w vm.max_map_count=262144` as root (persist it in "
                        f"/etc/sysctl.conf), or run fewer processes that keep a thread "
                        f"(Python functions, components)"
                    )
            self._since += cost
