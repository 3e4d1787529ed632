"""Turns ``process.wasm`` registry entries into ready-to-run programs.

The :class:`WasmRuntime` reads each binary through its ``fs.directory`` (refusing paths that
escape it), verifies its hash before compiling, compiles through the disk cache, checks its
imports against the entry's profiles and resolves its ``method``. Programs are memoized per entry,
so the thousandth spawn costs an instantiation, not a compilation.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..config import FsDirectory, ProcessWasm, Registry, parse_hash
from .api import Program
from .cache import default_cache_dir
from .errors import HashMismatchError, LoadError
from .profiles import unknown_profiles
from .spec import HostModule, LimitSpec, Mount, ProgramSpec, WasiSpec
from .wasmtime_engine import WasmtimeEngine

log = logging.getLogger(__name__)

DEFAULT_CACHE = object()
"""Use :func:`~wippy.wasm.cache.default_cache_dir` (the user cache directory)."""


class WasmRuntime:
    """Owns the engines, the compile cache and the programs of one app."""

    def __init__(
        self,
        cache_dir: Path | object | None = DEFAULT_CACHE,
        host_modules: Sequence[HostModule] = (),
    ) -> None:
        directory = default_cache_dir() if cache_dir is DEFAULT_CACHE else cache_dir
        if directory is not None and not isinstance(directory, Path):
            directory = Path(str(directory))
        self.cache_dir: Path | None = directory
        self.host_modules = tuple(host_modules)
        self._engines: dict[str, Any] = {}
        self._programs: dict[tuple[str, str], Program] = {}
        self._lock = threading.Lock()
        self._closed = False

    def engine(self, name: str = "wasmtime") -> WasmtimeEngine:
        """The engine called ``name``, created on first use.

        Raises :class:`LoadError` for an unknown or unavailable engine.
        """
        with self._lock:
            if self._closed:
                raise LoadError("the wasm runtime is closed")
            engine = self._engines.get(name)
            if engine is None:
                if name != "wasmtime":
                    raise LoadError(f"unknown engine {name!r} (available: wasmtime)")
                engine = WasmtimeEngine(self.cache_dir)
                self._engines[name] = engine
            return engine  # type: ignore[no-any-return]

    def program(self, registry: Registry, entry_id: str) -> Program:
        """The program of the ``process.wasm`` entry ``entry_id``, loading it on first use.

        Raises :class:`LoadError` (hash mismatch, unreadable or invalid binary, missing import or
        export) or :class:`~wippy.config.ConfigError` (missing required env).
        """
        entry = registry.get_as(entry_id, ProcessWasm)
        key = (entry_id, entry.hash)
        program = self._programs.get(key)
        if program is not None:
            return program
        spec = self.spec(registry, entry)
        engine = self.engine(entry.engine or "wasmtime")
        program = engine.program(spec)
        with self._lock:
            return self._programs.setdefault(key, program)

    def spec(self, registry: Registry, entry: ProcessWasm) -> ProgramSpec:
        """Reads, verifies and describes ``entry`` for an engine (no compilation)."""
        wasm = read_verified(registry, entry)
        unknown = unknown_profiles(entry.imports)
        if unknown:
            raise LoadError(f"{entry.id}: unknown import profile {unknown[0]!r}")
        wasi = entry.wasi
        mounts = tuple(
            Mount(registry.get_as(m.fs, FsDirectory).path, m.guest, m.read_only)
            for m in wasi.mounts
        )
        env = registry.resolve_env(entry)
        limits = entry.limits
        return ProgramSpec(
            entry_id=entry.id,
            wasm=wasm,
            digest="sha256:" + hashlib.sha256(wasm).hexdigest(),
            method=entry.method,
            imports=frozenset(entry.imports),
            wasi=WasiSpec(tuple(wasi.args), env, mounts, wasi.cwd),
            limits=LimitSpec(limits.max_execution_ms, limits.fuel, limits.max_memory),
            host_modules=self.host_modules,
        )

    def close(self) -> None:
        """Stops every engine's background work; programs must not be used afterwards."""
        with self._lock:
            self._closed = True
            engines = list(self._engines.values())
            self._engines.clear()
            self._programs.clear()
        for engine in engines:
            engine.close()

    def __enter__(self) -> WasmRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_verified(registry: Registry, entry: ProcessWasm) -> bytes:
    """Reads ``entry``'s binary through its fs.directory and checks it against ``entry.hash``.

    Raises :class:`HashMismatchError` or :class:`LoadError`.
    """
    directory = registry.get_as(entry.fs, FsDirectory)
    try:
        path = directory.resolve(entry.path)
    except ValueError as exc:
        raise LoadError(f"{entry.id}: {exc}") from None
    try:
        wasm: bytes = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"{entry.id}: cannot read {path}: {exc.strerror or exc}") from None
    try:
        algorithm, expected = parse_hash(entry.hash)
    except ValueError as exc:
        raise LoadError(f"{entry.id}: {exc}") from None
    actual = hashlib.new(algorithm, wasm).hexdigest()
    if actual != expected.lower():
        raise HashMismatchError(
            f"hash mismatch for {entry.id}: expected {algorithm}:{expected}, "
            f"got {algorithm}:{actual}"
        )
    return wasm
