"""Lua processes: spawn-run-exit and ping-pong, next to a Python function process doing the same.

Columns: ``wippy`` is the Lua process; ``python`` is a ``process.python``-style function process
doing the same work. The Lua-to-WASM ping-pong has a Lua process ping the ``pong`` guest of
``examples/actors`` (C on the ``wippy:process`` API).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

import wippy
from tools.fixture_manifest import pinned
from wippy.actors import Event, Message, Process, Runtime

from .harness import PYTHON, ROOT, WIPPY, Scenario, Sizes, measure

HOST = "lb:procs"
PINGPONG = ROOT / "examples" / "actors" / "wasm" / "pingpong.wasm"

_APP = {
    "version": "1.0",
    "namespace": "lb",
    "entries": [
        {"name": "actors", "kind": "fs.directory", "directory": str(PINGPONG.parent)},
        {"name": "wasm_pong", "kind": "process.wasm", "fs": "lb:actors", "path": PINGPONG.name,
         "hash": pinned(PINGPONG), "method": "pong", "imports": ["wippy:process"]},
        {"name": "procs", "kind": "process.host", "host": {"workers": 4, "queue_size": 20_000},
         "lifecycle": {"auto_start": True}},
        {"name": "mul", "kind": "process.lua", "method": "main",
         "source": "return {main = function(a, b) return a * b end}"},
        {"name": "pong", "kind": "process.lua", "method": "main", "modules": ["process"],
         "source": (
             "return {main = function(n)\n"
             "  for i = 1, n do\n"
             "    local msg = process.receive()\n"
             "    process.send(msg.from, 'pong', msg.payload)\n"
             "  end\n"
             "  return n\n"
             "end}\n")},
        {"name": "ping", "kind": "process.lua", "method": "main", "modules": ["process"],
         "source": (
             "return {main = function(target, n)\n"
             "  for i = 1, n do\n"
             "    process.send(target, 'ping', i)\n"
             "    process.receive()\n"
             "  end\n"
             "  return n\n"
             "end}\n")},
    ],
}


@contextmanager
def lua_runtime() -> Iterator[Runtime]:
    """A started runtime of the Lua benchmark app; stopped on exit."""
    with tempfile.TemporaryDirectory(prefix="wippy-lua-bench-") as tmp:
        path = Path(tmp) / "app.yaml"
        path.write_text(yaml.safe_dump(_APP))
        with wippy.load(path) as rt:
            yield rt


def _py_mul(proc: Process, a: int, b: int) -> int:
    return a * b


def _py_pong(proc: Process, n: int) -> int:
    for _ in range(n):
        msg = proc.receive()
        assert isinstance(msg, Message)
        proc.send(msg.sender, "pong", *msg.payload)
    return n


def _spawn_round(rt: Runtime, count: int, lua: bool) -> float:
    with rt.process() as me:
        started = time.perf_counter()
        for _ in range(count):
            if lua:
                pid = me.spawn_monitored("lb:mul", HOST, 6, 7)
            else:
                pid = me.spawn_function(_py_mul, HOST, 6, 7, monitor=True)
            event = me.receive(timeout=30)
            assert isinstance(event, Event) and event.value == 42 and event.pid == pid, event
        return (time.perf_counter() - started) / count * 1e6


def spawn_run_exit(rt: Runtime, sizes: Sizes) -> Scenario:
    """Sequential spawn, run ``a * b``, exit, EXIT received: a Lua process vs a Python one."""
    scenario = Scenario("lua_spawn", "Lua spawn-run-exit (a * b), sequential", "µs/process",
                        "lower")
    count = max(10, sizes.spawns // 4)
    measure(scenario, {WIPPY: lambda: _spawn_round(rt, count, True),
                       PYTHON: lambda: _spawn_round(rt, count, False)}, sizes.rounds)
    scenario.notes.append("a process.lua returning a * b (a fresh Lua state each) vs a Python "
                          "function process, spawned monitored from a handle, one at a time")
    return scenario


def _ping_pong_round(rt: Runtime, n: int, pong_lua: bool) -> float:
    with rt.process() as me:
        pong = me.spawn("lb:pong", HOST, n) if pong_lua else me.spawn_function(_py_pong, HOST, n)
        ping = me.spawn_monitored("lb:ping", HOST, str(pong), n)
        started = time.perf_counter()
        event = me.receive(timeout=60)
        elapsed = time.perf_counter() - started
        assert isinstance(event, Event) and event.pid == ping and event.value == n, event
    return n / elapsed


def ping_pong(rt: Runtime, sizes: Sizes) -> list[Scenario]:
    """Round trips per second: a Lua process pinging a Lua process, and pinging a Python one."""
    n = max(100, sizes.messages // 4)
    lua = Scenario("lua_ping_pong", "Lua -> Lua ping-pong", "round trips/s", "higher")
    measure(lua, {WIPPY: lambda: _ping_pong_round(rt, n, True)}, sizes.rounds)
    py = Scenario("lua_python_ping_pong", "Lua -> Python ping-pong", "round trips/s", "higher")
    measure(py, {WIPPY: lambda: _ping_pong_round(rt, n, False)}, sizes.rounds)
    for scenario in (lua, py):
        scenario.notes.append("a process.lua sends 'ping' and waits for the answer, n times; "
                              "the answering process is Lua (first row) or a Python function")
    return [lua, py, lua_wasm_ping_pong(rt, sizes)]


def _py_ping(proc: Process, target: str, n: int) -> int:
    for i in range(n):
        proc.send(target, "ping", i + 1)
        proc.receive()
    return n


def _wasm_ping_pong_round(rt: Runtime, n: int, lua: bool) -> float:
    with rt.process() as me:
        pong = me.spawn_monitored("lb:wasm_pong", HOST)
        if lua:
            ping = me.spawn_monitored("lb:ping", HOST, str(pong), n)
        else:
            ping = me.spawn_function(_py_ping, HOST, str(pong), n, monitor=True)
        started = time.perf_counter()
        event = me.receive(timeout=60, match=lambda i: isinstance(i, Event) and i.pid == ping)
        elapsed = time.perf_counter() - started
        assert isinstance(event, Event) and event.value == n, event
        me.cancel(pong)
        done = me.receive(timeout=30, match=lambda i: isinstance(i, Event) and i.pid == pong)
        assert isinstance(done, Event) and done.value == n, done  # it answered every ping
    return n / elapsed


def lua_wasm_ping_pong(rt: Runtime, sizes: Sizes) -> Scenario:
    """Round trips per second between a Lua process and a WASM guest on ``wippy:process``."""
    scenario = Scenario("lua_wasm_ping_pong", "Lua -> WASM ping-pong", "round trips/s", "higher")
    n = max(100, sizes.messages // 4)
    measure(scenario, {WIPPY: lambda: _wasm_ping_pong_round(rt, n, True),
                       PYTHON: lambda: _wasm_ping_pong_round(rt, n, False)}, sizes.rounds)
    scenario.notes.append("the Lua ping of the rows above (or the same loop as a Python function "
                          "process) against examples/actors' pong guest (C, wippy:process: "
                          "receive, read the sender and data, send back)")
    return scenario


def scenarios(sizes: Sizes) -> list[Scenario]:
    """Every Lua scenario, on a runtime of their own."""
    with lua_runtime() as rt:
        result: list[Any] = [spawn_run_exit(rt, sizes)]
        result += ping_pong(rt, sizes)
        return result
