"""WASI on wasmtime: the context built from an entry's WASI spec (nothing else of the host is
visible), and the guest's stdout/stderr."""

from __future__ import annotations

import atexit
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import PurePosixPath

import wasmtime
from wasmtime import _ffi as ffi

from ..api import OutputSink
from ..spec import ProgramSpec


class _Outputs:
    """Counts the output callbacks wasmtime still holds.

    wasmtime releases a callback from one of its own (tokio) threads some time after the store
    is gone. If that happens while the interpreter finalizes, the thread cannot take the GIL,
    CPython ends it with ``pthread_exit``, and unwinding through Rust aborts the whole process.
    So :meth:`wait` (run at exit) lets the pending releases finish first.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._live = 0

    def sink(self, write: OutputSink) -> Callable[[bytes], int]:
        """A callback for ``WasiConfig.stdout_custom`` that writes to ``write``."""
        with self._cond:
            self._live += 1
        return _Sink(write, self)

    def released(self) -> None:
        with self._cond:
            self._live -= 1
            self._cond.notify_all()

    def wait(self, timeout: float) -> bool:
        """Waits up to ``timeout`` s until wasmtime released every callback; True if it did."""
        with self._cond:
            return self._cond.wait_for(lambda: self._live <= 0, timeout)


class _Sink:
    __slots__ = ("_outputs", "_write")

    def __init__(self, write: OutputSink, outputs: _Outputs) -> None:
        self._write = write
        self._outputs = outputs

    def __call__(self, data: bytes) -> int:
        self._write(bytes(data))
        return len(data)

    def __del__(self) -> None:
        self._outputs.released()


OUTPUTS = _Outputs()
atexit.register(OUTPUTS.wait, 5.0)


def _sink(write: OutputSink) -> Callable[[bytes], int]:
    return OUTPUTS.sink(write)


def wasi_config(
    spec: ProgramSpec,
    stdout: OutputSink | None,
    stderr: OutputSink | None,
    stdin: bytes,
) -> tuple[wasmtime.WasiConfig, str | None]:
    """Returns the WASI config and, when ``stdin`` is given, a temporary file to delete after."""
    wasi = spec.wasi
    config = wasmtime.WasiConfig()
    program = PurePosixPath(spec.entry_id.split(":", 1)[-1]).name
    config.argv = [program, *wasi.args]
    env = dict(wasi.env)
    if wasi.cwd is not None:
        env.setdefault("PWD", wasi.cwd)
    config.env = list(env.items())
    for mount in wasi.mounts:
        config.preopen_dir(str(mount.host), mount.guest, not mount.read_only)
    if "wasi:sockets" in spec.imports:
        # The host's network: any address may be used. wasmtime 50's C API has no switch for
        # TCP and UDP themselves, which its WASI context leaves disabled (create-tcp-socket
        # answers access-denied); name lookups are allowed here.
        ffi.wasi_config_inherit_network(config.ptr())
        ffi.wasi_config_allow_ip_name_lookup(config.ptr(), True)
    if stdout is not None:
        config.stdout_custom = _sink(stdout)
    if stderr is not None:
        config.stderr_custom = _sink(stderr)
    stdin_path = None
    if stdin:
        fd, stdin_path = tempfile.mkstemp(prefix="wippy-stdin-")
        with os.fdopen(fd, "wb") as out:
            out.write(stdin)
        config.stdin_file = stdin_path
    return config, stdin_path
