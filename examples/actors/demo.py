"""A tour of examples/actors: a key-value server written in C that is an actor (get, put,
delete over messages), restarted by its supervisor when it crashes; a ping-pong between two
WebAssembly processes; a pool of WebAssembly workers fed by a Python dispatcher."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import wippy
from wippy.actors import Message, Process

APP = Path(__file__).resolve().parent
HOST = "actors:processes"


def ask(me: Process, topic: str, *args: Any) -> Any:
    """Sends a request to the server registered as "kv" and returns its reply."""
    me.send("kv", topic, *args)
    reply = me.receive(timeout=10, topic="reply")
    assert isinstance(reply, Message), "the kv server did not answer"
    return reply.payload[0]


def wait_for_kv(rt: wippy.Runtime, old: object = None) -> object:
    """The pid registered as "kv" once there is one (other than ``old``)."""
    deadline = time.monotonic() + 10
    while (pid := rt.lookup("kv")) is None or pid == old:
        if time.monotonic() > deadline:
            sys.exit("the kv server did not register")
        time.sleep(0.01)
    return pid


sys.path.insert(0, str(APP))  # dispatcher.py, for the process.python entry
with wippy.load(APP) as rt, rt.process() as me:
    first = wait_for_kv(rt)
    print(f"kv server {first} (a C guest, supervised)")
    print("put colour=blue:", ask(me, "put", "colour", "blue"))
    print("put sizes=[1, 2, 3]:", ask(me, "put", "sizes", [1, 2, 3]))
    print("get colour:", ask(me, "get", "colour"))
    print("get sizes:", ask(me, "get", "sizes"))
    print("delete colour:", ask(me, "delete", "colour"), "- again:", ask(me, "delete", "colour"))
    print("get colour:", ask(me, "get", "colour"))

    me.send("kv", "crash")
    second = wait_for_kv(rt, first)
    print(f"after a crash the supervisor restarted it: {first} -> {second}")
    print("get sizes (state died with the crash):", ask(me, "get", "sizes"))

    rounds = 2000
    started = time.perf_counter()
    pid = me.spawn_monitored("actors:ping", HOST, rounds)
    event = me.receive(timeout=60)
    elapsed = time.perf_counter() - started
    print(f"ping-pong: {rounds} round trips between two WASM processes, {event.value} failed, "
          f"{rounds / elapsed:,.0f} round trips/s")

    pid = me.spawn_monitored("actors:pool", HOST, 4, 24)
    event = me.receive(timeout=60)
    print(f"pool: {event.value['jobs']} jobs on 4 WASM workers fed by Python: "
          f"jobs per worker {sorted(event.value['per_worker'].values())}, "
          f"first steps {event.value['steps'][:6]}")
