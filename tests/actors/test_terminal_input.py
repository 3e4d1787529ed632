"""A terminal host's guests read the runtime's stdin live: reads suspend until input arrives."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from tests.cli.console import WIPPY, env
from tests.conftest import AppWriter
from wippy.actors import EXIT, Runtime
from wippy.config import load_registry


def app(write_app: AppWriter) -> Path:
    return write_app(
        {"name": "term", "kind": "terminal.host", "lifecycle": {"auto_start": True}},
        {"name": "echo", "kind": "process.wasm", "path": "stdin_echo.wasm", "method": "echo",
         "imports": ["wasi:cli", "wasi:io"], "meta": {"command": {"name": "echo"}}},
        {"name": "wait_input", "kind": "process.wasm", "path": "stdin_echo.wasm",
         "method": "wait_input", "imports": ["wasi:cli", "wasi:clocks"]},
        {"name": "sleep", "kind": "process.wasm", "path": "steps.wasm", "method": "sleep",
         "imports": ["wasi:cli", "wasi:clocks"]},
    )


def test_a_guest_reading_stdin_waits_suspended_until_input(write_app: AppWriter) -> None:
    read_fd, write_fd = os.pipe()
    out: list[bytes] = []
    try:
        with Runtime(load_registry(app(write_app)), stdin=read_fd,
                     output=lambda pid, stream, data: out.append(data)) as rt, rt.process() as me:
            pid = me.spawn_monitored("test:echo", "test:term")
            time.sleep(0.3)
            assert rt.is_alive(pid)
            stats = rt.host_stats("test:term")
            assert stats.running == 0 and stats.runnable == 0  # suspended: holds no worker
            other = me.spawn_monitored("test:sleep", "test:term", 10)  # the host is not held up
            event = me.receive(timeout=10)
            assert event is not None and event.pid == other and event.value == 10
            os.write(write_fd, b"hello ")
            time.sleep(0.1)
            os.write(write_fd, b"world\n")
            os.close(write_fd)
            write_fd = -1
            event = me.receive(timeout=10)
            assert event is not None and event.type == EXIT and event.pid == pid
            assert event.value == len(b"hello world\n")
        assert b"".join(out) == b"hello world\n"
    finally:
        os.close(read_fd)
        if write_fd >= 0:
            os.close(write_fd)


def test_poll_oneoff_on_stdin_and_a_clock_wakes_for_either(write_app: AppWriter) -> None:
    read_fd, write_fd = os.pipe()
    try:
        with Runtime(load_registry(app(write_app)), stdin=read_fd) as rt, rt.process() as me:
            first = me.spawn_monitored("test:wait_input", "test:term", 200)
            event = me.receive(timeout=10)
            assert event is not None and event.pid == first and event.value == 0  # the clock
            second = me.spawn_monitored("test:wait_input", "test:term", 60_000)
            time.sleep(0.2)
            os.write(write_fd, b"x")
            event = me.receive(timeout=10)
            assert event is not None and event.pid == second and event.value == 1  # stdin
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_wippy_run_pipes_its_stdin_to_the_command(write_app: AppWriter, tmp_path: Path) -> None:
    path = app(write_app)
    result = subprocess.run(
        [str(WIPPY), "-C", str(path), "run", "echo"],
        input=b"through wippy\n", capture_output=True, timeout=60, env=env(tmp_path / "cache"),
    )
    assert result.stdout == b"through wippy\n", result.stderr
    assert result.returncode == len(b"through wippy\n")  # echo returns the bytes it copied
