"""WASI preview 1 for wasmer guests: the entry's args, env and mounts, with stdio kept in wippy.

wasmer-python's WASI writes the guest's stdout and stderr to wippy's own descriptors and reads
wippy's stdin. wippy serves the standard streams itself: ``fd_write`` on stdout and stderr goes
to the instance's output sinks and ``fd_read`` on stdin reads the ``stdin`` bytes it was given.
``fd_renumber`` moves a stream to another descriptor in wippy's table and in wasmer's, so the
descriptors wasmer connects to wippy's own stdio are always exactly those wippy serves. Every
other descriptor is passed to wasmer's own function through a tiny proxy module, because
wasmer-python cannot call its WASI functions from Python directly.

wasmer also names its preopened directories differently from the mounts it was given (``data``
and a trailing NUL for ``/data``), so ``fd_prestat_get`` and ``fd_prestat_dir_name`` report each
mount at its guest path. wasmer's own root preopen (descriptor 3, a directory of the mounts,
nothing of the host) stays listed as ``/``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from ..api import OutputSink
from ..spec import ProgramSpec

if TYPE_CHECKING:
    from .engine import WasmerEngine

PREVIEW1 = "wasi_snapshot_preview1"
_OK = 0
_EBADF = 8
_EINVAL = 28
_I32x2 = "(param i32 i32) (result i32)"
_I32x3 = "(param i32 i32 i32) (result i32)"
_I32x4 = "(param i32 i32 i32 i32) (result i32)"
_PROBE_NAME_MAX = 4096

PROXY_WAT = f"""(module
  (import "{PREVIEW1}" "fd_write" (func $write {_I32x4}))
  (import "{PREVIEW1}" "fd_read" (func $read {_I32x4}))
  (import "{PREVIEW1}" "fd_renumber" (func $renumber {_I32x2}))
  (import "{PREVIEW1}" "fd_prestat_get" (func $prestat {_I32x2}))
  (import "{PREVIEW1}" "fd_prestat_dir_name" (func $dir_name {_I32x3}))
  (import "guest" "memory" (memory 0))
  (export "memory" (memory 0))
  (func (export "fd_write") {_I32x4}
    local.get 0 local.get 1 local.get 2 local.get 3 call $write)
  (func (export "fd_read") {_I32x4}
    local.get 0 local.get 1 local.get 2 local.get 3 call $read)
  (func (export "fd_renumber") {_I32x2}
    local.get 0 local.get 1 call $renumber)
  (func (export "fd_prestat_get") {_I32x2}
    local.get 0 local.get 1 call $prestat)
  (func (export "fd_prestat_dir_name") {_I32x3}
    local.get 0 local.get 1 local.get 2 call $dir_name))
"""
"""Re-exports the WASI functions wippy wraps, calling wasmer's own with the guest's memory."""

_WRAPPED = ("fd_write", "fd_read", "fd_renumber", "fd_prestat_get", "fd_prestat_dir_name")


class WasiImports:
    """The WASI functions of one instance; :meth:`attach` completes them once it exists."""

    def __init__(
        self,
        engine: WasmerEngine,
        spec: ProgramSpec,
        stdout: OutputSink | None,
        stderr: OutputSink | None,
        stdin: bytes,
        check: Callable[[], None],
    ) -> None:
        wasmer = engine.wasmer
        self._engine = engine
        self._sinks = {"stdout": stdout, "stderr": stderr}
        self._streams = {0: "stdin", 1: "stdout", 2: "stderr"}
        self._stdin = stdin
        self._stdin_pos = 0
        self._check = check
        self._memory: Any = None
        self._proxy: Any = None
        self._preopens: dict[int, bytes] | None = None
        self._guests = {m.guest.strip("/"): m.guest for m in spec.wasi.mounts}
        wasi = spec.wasi
        program = PurePosixPath(spec.entry_id.split(":", 1)[-1]).name
        env = dict(wasi.env)
        if wasi.cwd is not None:
            env.setdefault("PWD", wasi.cwd)
        builder = wasmer.wasi.StateBuilder(program)
        if wasi.args:
            builder.arguments(list(wasi.args))
        if env:
            builder.environments(env)
        for mount in wasi.mounts:
            builder.map_directory(mount.guest, str(mount.host))
        store = engine.store()
        generated = builder.finalize().generate_imports(store, wasmer.wasi.Version.SNAPSHOT1)
        self.namespace: dict[str, Any] = dict(generated[PREVIEW1])
        self._native = {name: self.namespace[name] for name in _WRAPPED}
        i32, func_type = wasmer.Type.I32, wasmer.FunctionType
        two, three, four = (func_type([i32] * n, [i32]) for n in (2, 3, 4))
        for name, function, ty in (
            ("fd_write", self._fd_write, four),
            ("fd_read", self._fd_read, four),
            ("fd_renumber", self._fd_renumber, two),
            ("fd_prestat_get", self._fd_prestat_get, two),
            ("fd_prestat_dir_name", self._fd_prestat_dir_name, three),
        ):
            self.namespace[name] = wasmer.Function(store, function, ty)

    def attach(self, instance: Any) -> None:
        """Connects the functions to the guest's memory and wasmer's own WASI functions."""
        wasmer = self._engine.wasmer
        memory = getattr(instance.exports, "memory", None)
        if memory is None:
            return
        self._memory = memory
        imports = wasmer.ImportObject()
        imports.register(PREVIEW1, self._native)
        imports.register("guest", {"memory": memory})
        proxy = wasmer.Instance(self._engine.wasi_proxy(), imports)
        self._proxy = proxy.exports
        self._preopens = self._probe_preopens()

    def _probe_preopens(self) -> dict[int, bytes] | None:
        """Maps wasmer's preopened descriptors to the mounts' guest paths.

        Asks wasmer for each preopen's name, using the start of the guest's memory as scratch
        space (restored after; the guest has not run yet). None when the memory is too small:
        wasmer's own answers are used then.
        """
        view = memoryview(self._memory.buffer)
        scratch = 8 + _PROBE_NAME_MAX
        if len(view) < scratch:
            return None
        saved = bytes(view[:scratch])
        names: dict[int, str] = {}
        try:
            for fd in range(3, 3 + len(self._guests) + 8):
                if self._proxy.fd_prestat_get(fd, 0) != _OK:
                    break
                (length,) = struct.unpack_from("<I", view, 4)
                if length > _PROBE_NAME_MAX or self._proxy.fd_prestat_dir_name(fd, 8, length):
                    break
                names[fd] = bytes(view[8 : 8 + length]).rstrip(b"\0").decode("utf-8", "replace")
        finally:
            view[:scratch] = saved
        # wasmer's own root stays visible as "/": preopens are listed up to the first gap.
        return {
            fd: self._guests.get(name.strip("/"), "/" + name.strip("/")).encode("utf-8")
            for fd, name in names.items()
        }

    def close(self) -> None:
        """Drops the references into the instance."""
        self._memory = None
        self._proxy = None
        self._native.clear()
        self.namespace.clear()

    def _iovecs(self, view: memoryview, iovs: int, count: int) -> list[tuple[int, int]]:
        return [struct.unpack_from("<II", view, iovs + 8 * k) for k in range(count)]

    def _fd_write(self, fd: int, iovs: int, count: int, written: int) -> int:
        self._check()
        stream = self._streams.get(fd)
        if stream is None:
            return int(self._proxy.fd_write(fd, iovs, count, written)) if self._proxy else _EBADF
        if stream == "stdin" or self._memory is None:
            return _EBADF
        view = memoryview(self._memory.buffer)
        data = b"".join(bytes(view[ptr : ptr + length]) for ptr, length in
                        self._iovecs(view, iovs, count))
        sink = self._sinks[stream]
        if sink is not None and data:
            sink(data)
        struct.pack_into("<I", view, written, len(data))
        return _OK

    def _fd_read(self, fd: int, iovs: int, count: int, nread: int) -> int:
        self._check()
        stream = self._streams.get(fd)
        if stream is None:
            return int(self._proxy.fd_read(fd, iovs, count, nread)) if self._proxy else _EBADF
        if stream != "stdin" or self._memory is None:
            return _EBADF
        view = memoryview(self._memory.buffer)
        total = 0
        for ptr, length in self._iovecs(view, iovs, count):
            chunk = self._stdin[self._stdin_pos : self._stdin_pos + length]
            view[ptr : ptr + len(chunk)] = chunk
            self._stdin_pos += len(chunk)
            total += len(chunk)
            if len(chunk) < length:
                break
        struct.pack_into("<I", view, nread, total)
        return _OK

    def _fd_prestat_get(self, fd: int, buf: int) -> int:
        self._check()
        if self._preopens is None:
            return int(self._proxy.fd_prestat_get(fd, buf)) if self._proxy else _EBADF
        name = self._preopens.get(fd)
        if name is None:
            return _EBADF
        struct.pack_into("<B3xI", memoryview(self._memory.buffer), buf, 0, len(name))
        return _OK

    def _fd_prestat_dir_name(self, fd: int, path: int, length: int) -> int:
        self._check()
        if self._preopens is None:
            return int(self._proxy.fd_prestat_dir_name(fd, path, length)) if self._proxy else _EBADF
        name = self._preopens.get(fd)
        if name is None:
            return _EBADF
        if length < len(name):
            return _EINVAL
        memoryview(self._memory.buffer)[path : path + len(name)] = name
        return _OK

    def _fd_renumber(self, fd: int, to: int) -> int:
        self._check()
        if self._proxy is None:
            return _EBADF
        errno = int(self._proxy.fd_renumber(fd, to))
        if errno == _OK and fd != to:
            stream = self._streams.pop(fd, None)
            self._streams.pop(to, None)
            if stream is not None:
                self._streams[to] = stream
        return errno
