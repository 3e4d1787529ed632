"""WASM processes that are actors (wippy:process), next to raw Pykka actors doing the same.

- ping-pong: round trips per second between two WASM processes (``actors:ping`` spawns an
  ``actors:pong``; each round trip is a send, a receive and two reads of the current item on
  each side), against two Pykka ``ThreadingActor`` s telling each other;
- stream: messages per second from a Python handle into a guest that receives them all
  (``actors:sink``), against Pykka ``tell`` into a counting actor;
- suspended: memory per WASM process waiting in ``receive`` (``actors:pong``), 10,000 of them,
  each count in a child interpreter (``python -m benchmarks.guest_api suspended N``).

Uses the app of ``examples/actors``. Functions return :class:`~.harness.Scenario` rows in the
style of :mod:`.messaging`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from typing import Any

import pykka

from .harness import PYKKA, ROOT, WIPPY, Goal, Scenario, Sizes, expect, measure

APP = ROOT / "examples" / "actors"
HOST = "actors:processes"
SUSPENDED = 10_000


def _runtime() -> Any:
    import wippy

    return wippy.load(APP)


# -- ping-pong ---------------------------------------------------------------------------------


def _wippy_ping_pong(rt: Any, count: int) -> float:
    with rt.process() as me:
        started = time.perf_counter()
        pid = me.spawn_monitored("actors:ping", HOST, count)
        event = me.receive(timeout=300)
        elapsed = time.perf_counter() - started
        assert event is not None and event.pid == pid and event.value == 0, event
    return count / elapsed


class _Pong(pykka.ThreadingActor):
    def on_receive(self, message: Any) -> None:
        peer, n = message
        peer.tell((self.actor_ref, n))


class _Ping(pykka.ThreadingActor):
    def __init__(self, count: int, done: threading.Event) -> None:
        super().__init__()
        self._count = count
        self._done = done

    def on_receive(self, message: Any) -> None:
        peer, n = message
        if n + 1 >= self._count:
            self._done.set()
        else:
            peer.tell((self.actor_ref, n + 1))


def _pykka_ping_pong(count: int) -> float:
    done = threading.Event()
    ping = _Ping.start(count, done)
    pong = _Pong.start()
    started = time.perf_counter()
    pong.tell((ping, 0))
    done.wait(300)
    elapsed = time.perf_counter() - started
    ping.stop()
    pong.stop()
    return count / elapsed


def ping_pong(sizes: Sizes) -> Scenario:
    """Round trips per second between two WASM processes, and between two Pykka actors."""
    count = max(sizes.messages // 4, 50)
    scenario = Scenario(
        "guest_ping_pong", "ping-pong between two WASM processes", "round trips/s", "higher",
        Goal("at least 2x two raw Pykka actors (issue #13)", lambda m: m[WIPPY] >= 2 * m[PYKKA]),
    )
    with _runtime() as rt:
        measure(scenario, {WIPPY: lambda: _wippy_ping_pong(rt, count),
                           PYKKA: lambda: _pykka_ping_pong(count)}, sizes.rounds)
    scenario.notes.append(
        f"{count} round trips: wippy: pingpong.c's ping(n) and pong() (send, receive, "
        "current_from, current_data on each side); Pykka: two ThreadingActors tell()ing back")
    return scenario


# -- a stream from Python into a guest ---------------------------------------------------------


def _wippy_stream(rt: Any, count: int) -> float:
    with rt.process() as me:
        pid = me.spawn_monitored("actors:sink", HOST, count)
        started = time.perf_counter()
        for i in range(count):
            me.send(pid, "m", i)
        done = me.receive(timeout=300, topic="done")
        elapsed = time.perf_counter() - started
        assert done is not None, "the sink did not finish"
        me.receive(timeout=30)  # its EXIT
    return count / elapsed


class _Counter(pykka.ThreadingActor):
    def __init__(self, count: int, done: threading.Event) -> None:
        super().__init__()
        self._left = count
        self._done = done

    def on_receive(self, message: Any) -> None:
        self._left -= 1
        if self._left == 0:
            self._done.set()


def _pykka_stream(count: int) -> float:
    done = threading.Event()
    ref = _Counter.start(count, done)
    started = time.perf_counter()
    for i in range(count):
        ref.tell(i)
    finished = done.wait(300)
    elapsed = time.perf_counter() - started
    ref.stop()
    expect(finished, "the Pykka counter did not get every message")
    return count / elapsed


def stream(sizes: Sizes) -> Scenario:
    """Messages per second from a Python sender into a WASM process, and into a Pykka actor."""
    count = sizes.messages
    scenario = Scenario(
        "guest_stream", "a guest receiving a stream from a Python sender", "msgs/s", "higher",
        Goal("at least raw Pykka tell (issue #13)", lambda m: m[WIPPY] >= m[PYKKA]),
    )
    with _runtime() as rt:
        measure(scenario, {WIPPY: lambda: _wippy_stream(rt, count),
                           PYKKA: lambda: _pykka_stream(count)}, sizes.rounds)
    scenario.notes.append(
        f"{count} messages: wippy: send() from a handle to pingpong.c's sink(n) (one receive "
        "per message, each MessagePack-encoded); Pykka: tell() to a counting actor")
    return scenario


# -- processes suspended in receive ------------------------------------------------------------


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def _child_suspended(n: int) -> None:
    import os

    with _runtime() as rt, rt.process() as me:
        host = "bench:guests"  # admits them all: the example's host has queue_size 1024
        rt.add_host(host, workers=4, queue_size=n + 16)
        warm = me.spawn("actors:pong", host)  # compiles and warms everything once
        me.cancel(warm)
        time.sleep(0.2)
        before = _rss_kib()
        alive = rt.stats().processes
        started = time.perf_counter()
        pids = [me.spawn("actors:pong", host) for _ in range(n)]
        deadline = time.monotonic() + 120
        while rt.host_stats(host).runnable and time.monotonic() < deadline:
            time.sleep(0.02)  # every pong has run up to its receive
        time.sleep(0.5)
        running = sum(1 for pid in pids if rt.is_alive(pid))
        result = {"kib_per_process": (_rss_kib() - before) / n, "running": running,
                  "processes": rt.stats().processes - alive,
                  "spawn_seconds": time.perf_counter() - started}
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()
        os._exit(0)


def _suspended_round(n: int, results: list[dict[str, Any]]) -> float:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.guest_api", "suspended", str(n)], cwd=ROOT,
        capture_output=True, text=True, timeout=600, check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    expect(bool(lines), f"the child failed: {done.stderr.strip()[-500:]}")
    result = json.loads(lines[-1])
    expect(result["running"] == n, f"only {result['running']:,} of {n:,} guests waiting")
    results.append(result)
    return float(result["kib_per_process"])


def suspended(sizes: Sizes) -> Scenario:
    """KiB per WASM process suspended in receive, with 10,000 of them (a child interpreter each
    round)."""
    n = SUSPENDED if sizes.mode == "full" else max(sizes.live)
    scenario = Scenario(
        f"guest_suspended_{n}", f"{n:,} WASM processes suspended in receive", "KiB/process",
        "lower", Goal("under 40 KiB each (issue #13)", lambda m: m[WIPPY] < 40),
    )
    results: list[dict[str, Any]] = []
    measure(scenario, {WIPPY: lambda: _suspended_round(n, results)}, sizes.live_rounds,
            warmup=0)
    if results:
        scenario.extra = {"runs": results}
        scenario.notes.append(
            f"pong() guests waiting in receive (RSS growth over them; spawned in "
            f"{results[-1]['spawn_seconds']:.1f} s in the last round)")
    return scenario


def guest_api(sizes: Sizes) -> list[Scenario]:
    """Every scenario of this file."""
    return [ping_pong(sizes), stream(sizes), suspended(sizes)]


if __name__ == "__main__":
    if sys.argv[1:2] == ["suspended"]:
        _child_suspended(int(sys.argv[2]))
