"""Turns WebAssembly registry entries into ready-to-run programs and callable functions.

The :class:`WasmRuntime` reads each binary through its ``fs.directory`` (refusing paths that
escape it), verifies its hash before compiling (``function.wat`` entries are assembled from their
text instead), compiles through the disk cache, checks its imports against the entry's profiles
and resolves its ``method``. Programs (``process.wasm``) and functions (``function.wasm``,
``function.wat``) are memoized per entry, so the thousandth spawn or call costs at most an
instantiation, not a compilation.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, TypeVar

from ..config import (
    FsDirectory,
    FunctionEntry,
    FunctionWat,
    ProcessHost,
    ProcessWasm,
    Registry,
    WasmEntry,
    WasmFileEntry,
    parse_hash,
)
from .api import OutputSink, Program
from .cache import CompileCache, default_cache_dir
from .errors import HashMismatchError, LoadError
from .functions import Function
from .offered import offered_components, offered_core
from .profiles import unknown_profiles
from .spec import (
    ComponentInterface,
    HostInterface,
    HostModule,
    LimitSpec,
    Mount,
    ProgramSpec,
    WasiSpec,
)
from .wat import wat_to_wasm

log = logging.getLogger(__name__)

DEFAULT_CACHE = object()
"""Use :func:`~wippy.wasm.cache.default_cache_dir` (the user cache directory)."""

_I = TypeVar("_I", HostInterface, ComponentInterface)

ENGINES = ("wasmtime", "wasmer")
"""Engine names an entry, a host or a runtime may select."""


class Engine(Protocol):
    """What the runtime needs of an engine (:class:`~wippy.wasm.wasmtime_engine.WasmtimeEngine`,
    :class:`~wippy.wasm.wasmer_engine.WasmerEngine`)."""

    name: str
    version: str
    cache: CompileCache

    def program(self, spec: ProgramSpec) -> Program:
        """Compiles and links ``spec``; raises :class:`LoadError` naming the entry."""

    def close(self) -> None:
        """Stops the engine's background work."""


class WasmRuntime:
    """Owns the engines, the compile cache and the programs of one app.

    ``engine`` is the app's default engine: an entry runs on its own ``engine`` if it names one,
    else on the ``engine`` of the ``process.host`` it is spawned on, else on this one.
    """

    def __init__(
        self,
        cache_dir: Path | object | None = DEFAULT_CACHE,
        host_modules: Sequence[HostModule] = (),
        *,
        engine: str = "wasmtime",
        host_interfaces: Sequence[HostInterface] = (),
        component_interfaces: Sequence[ComponentInterface] = (),
    ) -> None:
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r} (known engines: {', '.join(ENGINES)})")
        directory = default_cache_dir() if cache_dir is DEFAULT_CACHE else cache_dir
        if directory is not None and not isinstance(directory, Path):
            directory = Path(str(directory))
        self.cache_dir: Path | None = directory
        self.host_modules = tuple(host_modules)
        self.host_interfaces = tuple(host_interfaces)
        self.component_interfaces = tuple(component_interfaces)
        self.default_engine = engine
        self._engines: dict[str, Engine] = {}
        self._programs: dict[tuple[int, str], tuple[WasmEntry, Program]] = {}
        self._functions: dict[int, tuple[FunctionEntry, Function]] = {}
        self._making: dict[int, threading.Lock] = {}
        self._lock = threading.Lock()
        self._closed = False

    def engine(self, name: str | None = None) -> Engine:
        """The engine called ``name`` (default: the runtime's default), created on first use.

        Raises :class:`LoadError` for an unknown or unavailable engine (wasmer needs its packages,
        which work on CPython 3.10 only).
        """
        name = name or self.default_engine
        with self._lock:
            if self._closed:
                raise LoadError("the wasm runtime is closed")
            engine = self._engines.get(name)
            if engine is None:
                engine = self._create_engine(name)
                self._engines[name] = engine
            return engine

    def _create_engine(self, name: str) -> Engine:
        if name == "wasmtime":
            from .wasmtime.engine import WasmtimeEngine

            return WasmtimeEngine(self.cache_dir)
        if name == "wasmer":
            from .wasmer.engine import WasmerEngine

            return WasmerEngine(self.cache_dir)
        raise LoadError(f"unknown engine {name!r} (known engines: {', '.join(ENGINES)})")

    def engine_for(self, registry: Registry, entry: WasmEntry, host: str | None = None) -> str:
        """The engine ``entry`` runs on when spawned on ``host``: the entry's ``engine``, else
        the host's, else the runtime's default. Never raises for a valid registry."""
        if entry.engine:
            return entry.engine
        if host is not None and host in registry:
            host_entry = registry.get(host)
            if isinstance(host_entry, ProcessHost) and host_entry.engine:
                return host_entry.engine
        return self.default_engine

    def program(self, registry: Registry, entry_id: str, host: str | None = None) -> Program:
        """The program of the ``process.wasm`` entry ``entry_id``, loading it on first use.

        ``host`` is the id of the ``process.host`` it will run on (its ``engine`` applies when the
        entry names none). Raises KeyError (no such entry), TypeError (not a ``process.wasm``),
        :class:`LoadError` (hash mismatch, unreadable or invalid binary, missing import or export,
        an engine that is unavailable or cannot do what the entry asks) or
        :class:`~wippy.config.ConfigError` (missing required env).
        """
        return self._program(registry, registry.get_as(entry_id, ProcessWasm), host)

    def function(
        self,
        registry: Registry,
        entry_id: str,
        *,
        stdout: OutputSink | None = None,
        stderr: OutputSink | None = None,
    ) -> Function:
        """The :class:`~wippy.wasm.functions.Function` of the ``function.wasm`` or
        ``function.wat`` entry ``entry_id``, loading it (and, for a ``static`` pool, making its
        instances) on first use; later calls return the same object, thread-safely.

        ``stdout``/``stderr`` receive what its instances write (discarded when None); they are
        those of the call that created the function. Raises KeyError (no such entry), TypeError
        (not a function entry), what :meth:`program` raises, and
        :class:`~wippy.wasm.wit_core.WitMismatchError` (a :class:`LoadError`) when ``wit`` does
        not fit the export.
        """
        entry = registry.get(entry_id)
        if not isinstance(entry, FunctionEntry):
            raise TypeError(f"entry {entry_id} is a {entry.kind}, not a function.wasm or "
                            "function.wat")
        cached = self._functions.get(id(entry))
        if cached is not None and cached[0] is entry:
            return cached[1]
        with self._lock:
            making = self._making.setdefault(id(entry), threading.Lock())
        with making:  # one function (and pool) per entry, even when first calls race
            cached = self._functions.get(id(entry))
            if cached is not None and cached[0] is entry:
                return cached[1]
            program = self._program(registry, entry, None)
            engine = self.engine_for(registry, entry)
            function = Function(entry, program, engine=engine, stdout=stdout, stderr=stderr)
            with self._lock:
                closed = self._closed
                if not closed:
                    self._functions[id(entry)] = (entry, function)
            if closed:
                function.close()
                raise LoadError("the wasm runtime is closed")
            return function

    def _program(self, registry: Registry, entry: WasmEntry, host: str | None) -> Program:
        entry_id = entry.id
        engine_name = self.engine_for(registry, entry, host)
        # Keyed by the entry object itself: a reloaded registry (new entry objects) that changes
        # method, imports, limits or the file's location must not get the old program back.
        key = (id(entry), engine_name)
        cached = self._programs.get(key)
        if cached is not None and cached[0] is entry:
            return cached[1]
        spec = self.spec(registry, entry)
        try:
            engine = self.engine(engine_name)
        except LoadError as exc:
            raise type(exc)(f"{entry_id}: engine {engine_name}: {exc}") from None
        program = engine.program(spec)
        with self._lock:
            cached = self._programs.get(key)
            if cached is not None and cached[0] is entry:
                return cached[1]
            self._programs[key] = (entry, program)  # the entry is kept so its id stays unique
            return program

    def spec(self, registry: Registry, entry: WasmEntry) -> ProgramSpec:
        """Reads, verifies and describes ``entry`` for an engine (no compilation).

        Raises :class:`LoadError` and :class:`~wippy.config.ConfigError` as :meth:`program`.
        """
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
            host_interfaces=_merged(offered_core(), self.host_interfaces),
            component_interfaces=_merged(offered_components(), self.component_interfaces),
        )

    def close(self) -> None:
        """Closes every function's instances and stops every engine's background work; programs
        and functions must not be used afterwards."""
        with self._lock:
            self._closed = True
            engines = list(self._engines.values())
            functions = [function for _, function in self._functions.values()]
            self._engines.clear()
            self._programs.clear()
            self._functions.clear()
        for function in functions:
            function.close()
        for engine in engines:
            engine.close()

    def __enter__(self) -> WasmRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _merged(offered: tuple[_I, ...], own: tuple[_I, ...]) -> tuple[_I, ...]:
    """The offered interfaces, with the runtime's own winning over one of the same name."""
    names = {interface.name for interface in own}
    return tuple(i for i in offered if i.name not in names) + own


def read_verified(registry: Registry, entry: WasmEntry) -> bytes:
    """Reads ``entry``'s binary through its fs.directory and checks it against ``entry.hash``;
    for a ``function.wat`` entry, assembles its text instead.

    Raises :class:`HashMismatchError` or :class:`LoadError` (an
    :class:`~wippy.wasm.wat.InvalidTextError` for text that does not parse).
    """
    if isinstance(entry, FunctionWat):
        return _assemble(entry)
    if not isinstance(entry, WasmFileEntry):
        raise LoadError(f"{entry.id}: a {entry.kind} has no WebAssembly binary")
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


def _assemble(entry: FunctionWat) -> bytes:
    origin = entry.wat_file
    try:
        text = entry.wat_text()
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise LoadError(f"{entry.id}: cannot read {origin}: {reason}") from None
    return wat_to_wasm(text, entry.id, None if origin is None else str(origin))
