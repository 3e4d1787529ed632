"""Where a runtime finds the program of an entry: added programs, then the registry."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from wippy.actors.errors import EntryLoadError, UnknownEntryError
from wippy.wasm.api import OutputSink, Program
from wippy.wasm.errors import WasmError

if TYPE_CHECKING:
    from wippy.config import Registry
    from wippy.wasm import WasmRuntime


class ProgramSource(Protocol):
    """Makes the programs of one kind of registry entry (``process.lua``, ...) for a runtime."""

    def program(self, registry: Registry, entry_id: str, host_id: str | None) -> Program:
        """The program of ``entry_id``; raises ``WasmError``/ValueError/OSError on failure."""

    def close(self) -> None:
        """Releases what the source holds (when its runtime stops)."""


class EntryFunction(Protocol):
    """A function entry ready to call (``function.wasm``'s :class:`~wippy.wasm.Function`,
    ``function.lua``'s ``LuaFunction``)."""

    def call(self, *args: Any) -> Any:
        """Calls it with ``args``; returns the result or raises the error."""

    def convert_args(self, args: Any) -> tuple[Any, ...]:
        """The arguments it takes for ``args``; raises ``ArgumentError``."""


class FunctionSource(Protocol):
    """Makes the callables of one kind of function entry (``function.lua``, ...)."""

    def function(
        self,
        registry: Registry,
        entry_id: str,
        *,
        stdout: OutputSink | None,
        stderr: OutputSink | None,
        call: Callable[..., Any] | None,
    ) -> EntryFunction:
        """The callable of ``entry_id`` (``call(entry_id, *args)`` calls other function
        entries for it); raises ``WasmError``/ValueError/OSError on failure, TypeError when the
        entry is not of its kind."""

    def close(self) -> None:
        """Releases what the source holds (when its runtime stops)."""


_SOURCES: dict[type, Callable[[], ProgramSource]] = {}
_FUNCTION_SOURCES: dict[type, Callable[[], FunctionSource]] = {}


def register_source(entry_type: type, factory: Callable[[], ProgramSource]) -> None:
    """Makes entries of ``entry_type`` spawnable: each runtime calls ``factory`` once (on the
    first spawn of such an entry) and asks the source for their programs."""
    _SOURCES[entry_type] = factory


def register_function_source(entry_type: type, factory: Callable[[], FunctionSource]) -> None:
    """Makes entries of ``entry_type`` callable (``rt.call``/``proc.call``): each runtime calls
    ``factory`` once (on the first call of such an entry) and asks the source for them."""
    _FUNCTION_SOURCES[entry_type] = factory


class Programs:
    """Resolves entry ids to :class:`~wippy.wasm.api.Program` objects; thread-safe.

    Programs added with :meth:`add` win; otherwise ``process.wasm`` entries of ``registry`` are
    loaded through ``wasm`` (created on first use and then owned, i.e. closed by :meth:`close`).
    """

    def __init__(
        self, registry: Registry | None, wasm: WasmRuntime | None, engine: str | None = None
    ) -> None:
        self._registry = registry
        self._wasm = wasm
        self._engine = engine
        self._owns_wasm = False
        self._added: dict[str, Program] = {}
        self._sources: dict[type, ProgramSource] = {}
        self._resolved: dict[tuple[str, str | None], Program] = {}
        self._function_sources: dict[type, FunctionSource] = {}
        self._lock = threading.Lock()

    def add(self, entry_id: str, program: Program) -> None:
        """Makes ``program`` the program of ``entry_id``."""
        with self._lock:
            self._added[entry_id] = program
            for key in [k for k in self._resolved if k[0] == entry_id]:
                del self._resolved[key]

    def cached(self, entry_id: str, host_id: str | None = None) -> Program | None:
        """The program of ``entry_id`` when it was already resolved for ``host_id``, else None."""
        return self._resolved.get((entry_id, host_id))

    def get(self, entry_id: str, host_id: str | None = None) -> Program:
        """The program of ``entry_id``, loading it on first use.

        Raises :class:`UnknownEntryError` (no such entry, or not a process entry) or
        :class:`EntryLoadError` (the entry could not be loaded; the cause is chained).
        """
        resolved = self._resolved.get((entry_id, host_id))  # a dict read: no lock
        if resolved is not None:
            return resolved
        with self._lock:
            program = self._added.get(entry_id)
        if program is not None:
            return program
        program = self._load(entry_id, host_id)
        with self._lock:
            if entry_id not in self._added:
                self._resolved[(entry_id, host_id)] = program
        return program

    def _load(self, entry_id: str, host_id: str | None) -> Program:
        registry = self._registry
        if registry is None or entry_id not in registry:
            where = "in the registry" if registry is not None else "added (no registry)"
            raise UnknownEntryError(f"no program entry {entry_id!r} {where}")
        try:
            source = self._source_for(registry.get(entry_id))
            if source is not None:
                return source.program(registry, entry_id, host_id)
            return self._wasm_runtime().program(registry, entry_id, host_id)
        except TypeError as exc:
            raise UnknownEntryError(f"entry {entry_id!r} cannot be spawned: {exc}") from exc
        except (WasmError, ValueError, OSError) as exc:
            raise EntryLoadError(f"cannot load entry {entry_id!r}: {exc}") from exc

    def function(
        self, entry_id: str, stdout: OutputSink | None, stderr: OutputSink | None
    ) -> EntryFunction:
        """The callable of a function entry (``function.wasm``, ``function.wat``, or a kind
        with a :func:`register_function_source`), loaded on first use.

        Raises :class:`UnknownEntryError` (no such entry, or not a function entry) or
        :class:`EntryLoadError` (it could not be loaded; the cause is chained).
        """
        registry = self._registry
        if registry is None or entry_id not in registry:
            where = "in the registry" if registry is not None else "(no registry)"
            raise UnknownEntryError(f"no function entry {entry_id!r} {where}")
        try:
            source = self._function_source_for(registry.get(entry_id))
            if source is not None:
                return source.function(
                    registry, entry_id, stdout=stdout, stderr=stderr,
                    call=lambda other, *args: self.function(other, stdout, stderr).call(*args),
                )
            return self._wasm_runtime().function(registry, entry_id, stdout=stdout, stderr=stderr)
        except (KeyError, TypeError) as exc:
            raise UnknownEntryError(f"entry {entry_id!r} cannot be called: {exc}") from exc
        except (WasmError, ValueError, OSError) as exc:
            raise EntryLoadError(f"cannot load entry {entry_id!r}: {exc}") from exc

    def python_function(self, entry_id: str) -> Callable[..., Any] | None:
        """The function of a ``process.python`` entry, or None for any other entry.

        Raises :class:`EntryLoadError` when its module cannot be imported or has no such function.
        """
        from wippy.config import ProcessPython

        registry = self._registry
        if registry is None or entry_id not in registry:
            return None
        entry = registry.get(entry_id)
        if not isinstance(entry, ProcessPython):
            return None
        try:
            module = importlib.import_module(entry.module)
        except Exception as exc:
            raise EntryLoadError(
                f"cannot load entry {entry_id!r}: cannot import module {entry.module!r}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        function = getattr(module, entry.method, None)
        if not callable(function):
            raise EntryLoadError(
                f"cannot load entry {entry_id!r}: module {entry.module!r} has no function "
                f"{entry.method!r}"
            )
        return function  # type: ignore[no-any-return]

    def _source_for(self, entry: object) -> ProgramSource | None:
        for entry_type, factory in _SOURCES.items():
            if isinstance(entry, entry_type):
                with self._lock:
                    source = self._sources.get(entry_type)
                    if source is None:
                        source = self._sources[entry_type] = factory()
                return source
        return None

    def _function_source_for(self, entry: object) -> FunctionSource | None:
        for entry_type, factory in _FUNCTION_SOURCES.items():
            if isinstance(entry, entry_type):
                with self._lock:
                    source = self._function_sources.get(entry_type)
                    if source is None:
                        source = self._function_sources[entry_type] = factory()
                return source
        return None

    def _wasm_runtime(self) -> WasmRuntime:
        with self._lock:
            if self._wasm is None:
                from wippy.wasm import WasmRuntime

                self._wasm = (
                    WasmRuntime() if self._engine is None else WasmRuntime(engine=self._engine)
                )
                self._owns_wasm = True
            return self._wasm

    def close(self) -> None:
        """Closes the program sources and the WebAssembly runtime if this object created it.
        Idempotent."""
        with self._lock:
            sources: list[ProgramSource | FunctionSource] = list(self._sources.values())
            sources += self._function_sources.values()
            self._sources, self._function_sources = {}, {}
        for source in sources:
            source.close()
        with self._lock:
            wasm = self._wasm if self._owns_wasm else None
            self._wasm, self._owns_wasm = None if self._owns_wasm else self._wasm, False
        if wasm is not None:
            wasm.close()
