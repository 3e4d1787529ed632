"""wippy:process from Rust: rust_actor.wasm, built with the guest/rust/wippy-process crate,
exchanging messages with Python processes, spawning and monitoring a child, and handling
CANCEL."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.actors.actor_helpers import expect
from tests.conftest import ROOT, AppWriter
from tests.guest.guest_helpers import GHOST, exit_of
from wippy.actors import Message, Pid, Process, Runtime
from wippy.actors.process_api import GuestPayload
from wippy.config import load_registry
from wippy.wasm import WasmRuntime


def rust_entry(name: str, method: str) -> dict[str, Any]:
    """A process.wasm entry for an export of rust_actor.wasm (wasm32-wasi: std imports WASI)."""
    return {"name": name, "kind": "process.wasm", "path": "rust_actor.wasm", "method": method,
            "imports": ["wippy:process", "wasi1"]}


@pytest.fixture
def me(no_thread_leak: None, write_app: AppWriter,
       wasm_runtime: WasmRuntime) -> Iterator[Process]:
    """A Python process on a runtime of the Rust guest's entries (host ``test:procs``)."""
    app = write_app(
        {"name": "procs", "kind": "process.host",
         "host": {"workers": 4, "stop_timeout": "2s"}, "lifecycle": {"auto_start": True}},
        rust_entry("rust_serve", "serve"),
        rust_entry("rust_child", "child"),
    )
    with Runtime(load_registry(app), wasm=wasm_runtime) as runtime:
        with runtime.process() as proc:
            yield proc
        stats = runtime.stats()
    assert (stats.processes, stats.monitors, stats.links) == (0, 0, 0), stats


def call(me: Process, pid: Pid | str, topic: str, *args: Any) -> Any:
    """Sends one message to the server and returns the one value of its reply."""
    me.send(pid, topic, *args)
    reply = expect(me, 10, topic=topic)
    assert isinstance(reply, Message) and isinstance(reply.payload, GuestPayload), reply
    (value,) = reply.payload
    return value


def test_values_sent_from_python_come_back_decoded_and_reencoded(me: Process) -> None:
    pid = me.spawn_monitored("test:rust_serve", GHOST)
    values = [None, True, 0, -1, 127, 128, -33, 70_000, -(2**40), 2**63 - 1, -(2**63), 3.25,
              "", "héllo", "x" * 300, b"\x00\xff", list(range(20)),
              {"k": [1, {"nested": b"bin"}], "": None}]
    for value in values:
        assert call(me, pid, "echo", value) == value
    big = "y" * 100_000  # much more than the guest's first buffer: it grows and reads again
    assert call(me, pid, "echo", big) == big
    assert call(me, pid, "echo", 1, "two") == [1, "two"]  # two values arrive as an array
    assert call(me, pid, "add", [40, 2]) == 42
    assert call(me, pid, "add", [-(2**40), 1]) == -(2**40) + 1
    info = call(me, pid, "info")
    assert info == {"self": str(pid), "answered": len(values) + 4}
    me.send(pid, "echo", ...)  # Ellipsis: a Python value MessagePack cannot hold
    error = expect(me, 10, topic="error")
    assert isinstance(error, Message) and error.payload[0].startswith("not encodable (-6): ")
    me.send(pid, "add", "not a pair")
    error = expect(me, 10, topic="error")
    assert isinstance(error, Message)
    assert error.payload == ("add: MessagePack at byte 0: expected an array",)
    me.cancel(pid)
    event = exit_of(me, pid)
    assert event.error is None and event.value == len(values) + 7  # every message was answered


def test_errors_come_back_as_codes_with_the_host_message(me: Process) -> None:
    pid = me.spawn_monitored("test:rust_serve", GHOST)
    code, message = call(me, pid, "send", ["nobody", "t"])
    assert code == -2 and "nobody" in message
    assert call(me, pid, "register", "rusty") is True
    other = me.spawn_monitored("test:rust_serve", GHOST)
    code, message = call(me, other, "register", "rusty")
    assert code == -4 and "rusty" in message
    assert call(me, "rusty", "add", [1, 2]) == 3  # reached by its name
    assert call(me, pid, "send", [str(me.self), "hello"]) is True
    hello = expect(me, 10, topic="hello")
    assert isinstance(hello, Message) and hello.sender == pid and hello.payload == (None,)
    code, message = call(me, pid, "spawn", ["nope:nope", 1])
    assert code == -3 and "nope:nope" in message
    me.send(pid, "unknown")
    error = expect(me, 10, topic="error")
    assert isinstance(error, Message) and error.payload == ('unknown topic "unknown"',)
    for p in (pid, other):
        me.cancel(p)
        assert exit_of(me, p).error is None


def test_the_guest_spawns_and_monitors_a_child_and_reads_its_exit(me: Process) -> None:
    pid = me.spawn_monitored("test:rust_serve", GHOST)
    child, value, error = call(me, pid, "spawn", ["test:rust_child", 21])
    assert re.fullmatch(r"<test:procs\.\d+>", child) and child != str(pid)
    assert (value, error) == (42, None)
    child, value, error = call(me, pid, "spawn", ["test:rust_child", -1])  # it panics
    assert value is None and error == "trap"
    me.cancel(pid)
    assert exit_of(me, pid).value == 2


def test_the_guest_returns_by_itself_on_cancel_within_its_grace(me: Process) -> None:
    pid = me.spawn_monitored("test:rust_serve", GHOST)
    assert call(me, pid, "add", [1, 1]) == 2
    started = time.monotonic()
    assert me.cancel(pid, "enough", grace=30)
    event = exit_of(me, pid)
    assert event.error is None and event.value == 1  # it returned, not terminated
    assert time.monotonic() - started < 20  # well before the grace ran out


RUSTC = Path(os.environ.get("RUSTC", "/usr/bin/rustc"))


def _wasi_std_installed() -> bool:
    if not RUSTC.is_file():
        return False
    found = subprocess.run([str(RUSTC), "--print", "target-libdir", "--target", "wasm32-wasi"],
                           capture_output=True, text=True, check=False)
    return found.returncode == 0 and any(Path(found.stdout.strip()).glob("libstd-*.rlib"))


@pytest.mark.skipif(not _wasi_std_installed(), reason=f"no {RUSTC} with the wasm32-wasi std")
def test_the_readme_example_builds_as_written_and_plays_pong(
    no_thread_leak: None, write_app: AppWriter, wasm_runtime: WasmRuntime, tmp_path: Path
) -> None:
    section = (ROOT / "README.md").read_text().split("### Rust guests\n", 1)[1]
    section = section.split("\n### ", 1)[0]
    (rust,) = re.findall(r"```rust\n(.*?)```", section, re.DOTALL)
    (shell,) = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
    build = tmp_path / "build"
    build.mkdir()
    (build / "pong.rs").write_text(rust)
    (build / "guest").symlink_to(ROOT / "guest")  # the commands run from the checkout's root
    shell = re.sub(r"^rustc ", f"{RUSTC} ", shell, flags=re.MULTILINE)
    subprocess.run(["nice", "-n", "19", "bash", "-euc", shell], cwd=build, check=True,
                   timeout=300)
    wasm = build / "pong.wasm"
    app = write_app(
        {"name": "built", "kind": "fs.directory", "directory": str(build)},
        {"name": "procs", "kind": "process.host", "lifecycle": {"auto_start": True}},
        {"name": "pong", "kind": "process.wasm", "fs": "test:built", "path": "pong.wasm",
         "hash": "sha256:" + hashlib.sha256(wasm.read_bytes()).hexdigest(), "method": "pong",
         "imports": ["wippy:process", "wasi1"]},
    )
    with Runtime(load_registry(app), wasm=wasm_runtime) as rt, rt.process() as me:
        pid = me.spawn_monitored("test:pong", GHOST)
        for n in range(3):
            me.send(pid, "ping", {"n": n})
            assert expect(me, 10, topic="pong").payload == ({"n": n},)
        me.cancel(pid)
        assert exit_of(me, pid).value == 3


def test_data_larger_than_the_guests_memory_reaches_it_and_comes_back(me: Process) -> None:
    """The guest's allocator grows its linear memory past what it started with, so the memory
    is moved to a larger slot between its host calls; the calls after that must read and
    write it where it is now."""
    pid = me.spawn_monitored("test:rust_serve", GHOST)
    for size in (3 << 20, 9 << 20):
        big = bytes(range(256)) * (size // 256)
        assert call(me, pid, "echo", big) == big
    assert call(me, pid, "echo", "small again") == "small again"
    me.cancel(pid)
    exit_of(me, pid)
