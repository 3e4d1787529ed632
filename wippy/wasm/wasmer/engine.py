"""The wasmer engine (optional): compiles core modules with wasmer-python and cranelift.

wasmer-python 1.1.0 (the last release) ships a working engine for CPython 3.10 only; elsewhere the
import fails and selecting ``engine: wasmer`` is a load error naming the entry. What wasmer cannot
do is refused at load, naming the entry and the feature (see :func:`unsupported_features`): it
has no fuel, no memory limit and no interruption, so an entry with ``limits`` never runs on it
with a limit silently ignored; it has no read-only mounts and no components (WASI preview 2).

Every wasmer-python object (engine, store, module, instance) is bound to the thread that created
it, so the engine keeps one store per thread and a program keeps its compiled artifact as bytes,
deserialized once on each thread that instantiates it.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import platform
import threading
from pathlib import Path
from typing import Any

from ..api import Program
from ..cache import CompileCache
from ..errors import LoadError
from ..spec import ProgramSpec
from ..wasmtime.engine import is_component

log = logging.getLogger(__name__)

PREVIEW2_ONLY_PROFILES = frozenset({"wasi:http"})
"""Profiles whose interfaces exist only in WASI preview 2, which wasmer does not provide."""


class WasmerUnavailable(LoadError):
    """The wasmer packages are not installed or do not work on this Python."""

    kind = "engine_unavailable"


def load_wasmer() -> tuple[Any, Any]:
    """Imports ``wasmer`` and the cranelift compiler; returns ``(wasmer, Compiler)``.

    Raises :class:`WasmerUnavailable` saying what is missing and why.
    """
    try:
        wasmer = importlib.import_module("wasmer")
        cranelift = importlib.import_module("wasmer_compiler_cranelift")
        compiler = cranelift.Compiler
        wasmer.engine.Universal(compiler)  # a placeholder package fails here at the latest
    except Exception as exc:
        python = platform.python_version()
        raise WasmerUnavailable(
            f"the wasmer engine is not available on Python {python}: "
            f"{type(exc).__name__}: {exc} (it needs the `wasmer` and "
            "`wasmer_compiler_cranelift` 1.1.0 packages, which work on CPython 3.10 only; "
            "install wippy[wasmer] there)"
        ) from None
    return wasmer, compiler


def unsupported_features(spec: ProgramSpec) -> list[str]:
    """What ``spec`` asks for that the wasmer engine cannot provide, as field descriptions."""
    problems: list[str] = []
    limits = spec.limits
    if limits.max_execution is not None:
        problems.append("limits.max_execution_ms (wasmer cannot interrupt a running guest)")
    if limits.fuel is not None:
        problems.append("limits.fuel (wasmer has no fuel metering)")
    if limits.max_memory is not None:
        problems.append("limits.max_memory (wasmer-python cannot cap linear memory)")
    for index, mount in enumerate(spec.wasi.mounts):
        if mount.read_only:
            problems.append(
                f"wasi.mounts[{index}].read_only (wasmer cannot mount {mount.guest} read-only)"
            )
    for profile in sorted(spec.imports & PREVIEW2_ONLY_PROFILES):
        problems.append(f"imports: {profile} (a WASI preview 2 interface)")
    for interface in spec.host_interfaces:
        if interface.profile in spec.imports:
            problems.append(
                f"imports: {interface.profile} (its guests suspend in host calls, which needs "
                "wasmtime's fibers)"
            )
    return problems


class WasmerEngine:
    """The wasmer engine: a compile cache of its own artifacts and one store per thread."""

    name = "wasmer"

    def __init__(self, cache_dir: Path | None) -> None:
        self.wasmer, self.compiler = load_wasmer()
        from importlib.metadata import version

        self.version = version("wasmer")
        fingerprint = hashlib.sha256(
            repr(("universal", "cranelift", version("wasmer_compiler_cranelift"),
                  platform.machine())).encode()
        ).hexdigest()[:12]
        self.cache = CompileCache(cache_dir, f"wasmer-{self.version}-{fingerprint}")
        self._local = threading.local()
        self._lock = threading.Lock()
        self._proxy_artifact: bytes | None = None

    def store(self) -> Any:
        """This thread's wasmer store (created on first use)."""
        store = getattr(self._local, "store", None)
        if store is None:
            wasmer = self.wasmer
            store = wasmer.Store(wasmer.engine.Universal(self.compiler))
            self._local.store = store
            self._local.modules = {}
        return store

    def module(self, digest: str, artifact: bytes) -> Any:
        """The module compiled as ``artifact``, deserialized once on this thread."""
        store = self.store()
        modules: dict[str, Any] = self._local.modules
        module = modules.get(digest)
        if module is None:
            module = self.wasmer.Module.deserialize(store, artifact)
            modules[digest] = module
        return module

    def wasi_proxy(self) -> Any:
        """This thread's copy of the WASI proxy module (see :mod:`wippy.wasm.wasmer.wasi`)."""
        with self._lock:
            if self._proxy_artifact is None:
                from .wasi import PROXY_WAT

                wasm = bytes(self.wasmer.wat2wasm(PROXY_WAT))
                self._proxy_artifact = bytes(self.wasmer.Module(self.store(), wasm).serialize())
            artifact = self._proxy_artifact
        return self.module("wippy:wasi-proxy", artifact)

    def program(self, spec: ProgramSpec) -> Program:
        """Checks, compiles (or loads from cache) and links ``spec``.

        Raises :class:`LoadError` naming the entry, and the feature for anything wasmer cannot
        do (components, limits, read-only mounts, WASI preview 2 imports).
        """
        try:
            component = is_component(spec.wasm)
        except LoadError as exc:
            raise LoadError(f"{spec.entry_id}: {exc}") from None
        if component:
            raise LoadError(
                f"{spec.entry_id}: the wasmer engine cannot run components (WASI preview 2); "
                "use engine: wasmtime",
                kind="unsupported",
            )
        problems = unsupported_features(spec)
        if problems:
            raise LoadError(
                f"{spec.entry_id}: the wasmer engine does not support {'; '.join(problems)}; "
                "remove it or use engine: wasmtime",
                kind="unsupported",
            )
        from .core import WasmerProgram

        module, artifact = self._compile(spec)
        return WasmerProgram(self, spec, module, artifact)

    def _compile(self, spec: ProgramSpec) -> tuple[Any, bytes]:
        store = self.store()
        cached = self.cache.get(spec.digest)
        if cached is not None:
            try:
                return self.wasmer.Module.deserialize(store, cached), cached
            except Exception as exc:
                log.warning("stale compile cache entry for %s: %s", spec.entry_id, exc)
                self.cache.discard(spec.digest)
        try:
            module = self.wasmer.Module(store, spec.wasm)
        except Exception as exc:
            raise LoadError(
                f"{spec.entry_id}: invalid WebAssembly: {first_line(exc)}"
            ) from None
        artifact = bytes(module.serialize())
        self.cache.put(spec.digest, artifact)
        return module, artifact

    def close(self) -> None:
        """Nothing runs in the background; present for the engine interface."""


def first_line(exc: BaseException) -> str:
    """The first line of wasmer's message, without the ``RuntimeError:`` prefix and backtrace."""
    text = str(exc).strip()
    line = text.splitlines()[0].strip() if text else type(exc).__name__
    prefix = "RuntimeError: "
    return line[len(prefix):] if line.startswith(prefix) else line
