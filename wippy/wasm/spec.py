"""What an engine needs to know to run one entry, independent of the registry's YAML."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HostFunction = Callable[..., Any]
"""A Python function a core module may import; called with the guest's arguments."""


@dataclass(frozen=True)
class Mount:
    """A host directory the guest sees at ``guest`` (an absolute guest path)."""

    host: Path
    guest: str
    read_only: bool = False


@dataclass(frozen=True)
class WasiSpec:
    """The guest's whole view of the host: nothing outside this is visible to it."""

    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    mounts: tuple[Mount, ...] = ()
    cwd: str | None = None


@dataclass(frozen=True)
class LimitSpec:
    """Per-process limits; ``None`` means unlimited."""

    max_execution: float | None = None
    """Wall-clock seconds for a whole run, computing and waiting."""
    fuel: int | None = None
    max_memory: int | None = None
    """Bytes of linear memory (summed over the store's memories)."""


@dataclass(frozen=True)
class HostModule:
    """Python functions offered to core modules under one import module name.

    ``functions`` maps an import name to ``(params, results, fn)`` where params and results are
    tuples of core type names (``"i32"``, ``"i64"``, ``"f32"``, ``"f64"``).
    """

    name: str
    functions: Mapping[str, tuple[tuple[str, ...], tuple[str, ...], HostFunction]]


@dataclass(frozen=True)
class ProgramSpec:
    """Everything needed to build a :class:`~wippy.wasm.api.Program`."""

    entry_id: str
    wasm: bytes
    digest: str
    """``sha256:<hex>`` of ``wasm``, already verified."""
    method: str
    imports: frozenset[str] = frozenset()
    wasi: WasiSpec = field(default_factory=WasiSpec)
    limits: LimitSpec = field(default_factory=LimitSpec)
    host_modules: tuple[HostModule, ...] = ()
