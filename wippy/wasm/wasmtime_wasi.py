"""Builds a wasmtime WASI context from an entry's WASI spec: nothing else of the host is visible."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import PurePosixPath

import wasmtime

from .api import OutputSink
from .spec import ProgramSpec


def _sink(write: OutputSink) -> Callable[[bytes], int]:
    def callback(data: bytes) -> int:
        write(bytes(data))
        return len(data)

    return callback


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
