"""Helpers of the wippy:process tests: the guest entries and a client of the C probe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgpack

from tests.actors.actor_helpers import expect
from wippy.actors import Event, Message, Pid, Process

GHOST = "test:procs"
"""The host the guests run on."""

CORE_EXPORTS = ("echo", "reply_with", "self_len", "send_to_nobody", "spawn_unknown",
                "no_current", "bad_memory")


def core_entry(method: str, name: str | None = None, **fields: Any) -> dict[str, Any]:
    """A process.wasm entry for an export of process_core.wasm, with wippy:process enabled."""
    entry = {"name": name or f"core_{method}", "kind": "process.wasm",
             "path": "process_core.wasm", "method": method, "imports": ["wippy:process"]}
    entry.update(fields)
    return entry


def guest_entries() -> list[dict[str, Any]]:
    """The host and the guest entries of the tests."""
    return [
        {"name": "procs", "kind": "process.host",
         "host": {"workers": 4, "queue_size": 4096, "stop_timeout": "1s"},
         "lifecycle": {"auto_start": True}},
        *[core_entry(m) for m in CORE_EXPORTS],
        core_entry("wait", "core_wait"),
        core_entry("wait_topic", "core_wait_topic"),
        core_entry("wait", "core_wait_limited", limits={"max_execution_ms": 300}),
        {"name": "probe", "kind": "process.wasm", "path": "process_probe.wasm",
         "method": "serve", "imports": ["wippy:process"]},
    ]


def pack(value: Any) -> bytes:
    """MessagePack of ``value`` (bytes as bin)."""
    return msgpack.packb(value, use_bin_type=True)  # type: ignore[no-any-return]


class Probe:
    """Drives a process_probe.wasm guest: each :meth:`call` is a command and its reply."""

    def __init__(self, me: Process, pid: Pid) -> None:
        self.me = me
        self.pid = pid

    @classmethod
    def spawn(cls, me: Process, *, monitor: bool = True) -> Probe:
        """Spawns a probe on the guest host (monitored by ``me``)."""
        spawn = me.spawn_monitored if monitor else me.spawn
        return cls(me, spawn("test:probe", GHOST))

    def call(self, command: str, *args: Any) -> list[Any]:
        """Sends the command and returns the probe's reply ``[result, ...]``."""
        self.start(command, *args)
        return self.reply()

    def start(self, command: str, *args: Any) -> None:
        """Sends the command without waiting for its reply."""
        self.me.send(self.pid, "cmd", [command, *args])

    def reply(self, timeout: float = 10.0) -> list[Any]:
        """The next reply of the probe."""
        item = expect(self.me, timeout, topic="reply")
        assert isinstance(item, Message), item
        (value,) = item.payload
        assert isinstance(value, list), value
        return value


def fixture_path(name: str) -> Path:
    """A file of tests/fixtures/wasm."""
    from tests.conftest import FIXTURES

    return FIXTURES / name


def exit_of(me: Process, pid: Pid, timeout: float = 10.0) -> Event:
    """The EXIT of ``pid`` (other items stay queued); fails the test after ``timeout``."""
    item = me.receive(timeout, match=lambda i: isinstance(i, Event) and i.type == "EXIT"
                      and i.pid == pid)
    assert isinstance(item, Event), f"no EXIT of {pid} within {timeout}s"
    return item
