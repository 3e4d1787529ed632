"""Process lifecycle: spawn-run-exit, exit latency and restart latency, with their baselines."""

from __future__ import annotations

import logging
import queue
import statistics
import threading
import time
from collections.abc import Callable

import pykka
import wasmtime

from wippy.actors import EXIT, Runtime

from .apps import COMPUTE, CRASHER, HOST, SWITCH, WORKER
from .harness import (
    PYKKA,
    WASMTIME,
    WIPPY,
    Goal,
    Scenario,
    Sizes,
    per_op_us,
    rounds,
)

WAYS = 8


def _concurrently(ways: int, n: int, loop: Callable[[int], None]) -> int:
    """Runs ``loop(n // ways)`` on ``ways`` threads at once; returns how many operations ran."""
    each = n // ways
    threads = [threading.Thread(target=loop, args=(each,)) for _ in range(ways)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return each * ways


# -- spawn-run-exit -------------------------------------------------------------------------------


def _wippy_spawns(rt: Runtime) -> Callable[[int], None]:
    def loop(n: int) -> None:
        with rt.process() as me:
            for _ in range(n):
                pid = me.spawn_monitored(COMPUTE, HOST, 6, 7)
                event = me.receive(timeout=30)
                assert event is not None and event.type == EXIT and event.pid == pid, event
                assert event.value == 42, event

    return loop


def _wasmtime_spawns() -> Callable[[int], None]:
    engine = wasmtime.Engine()
    module = wasmtime.Module(engine, WORKER.read_bytes())

    def loop(n: int) -> None:
        for _ in range(n):
            store = wasmtime.Store(engine)
            result = wasmtime.Instance(store, module, []).exports(store)["compute"](store, 6, 7)
            assert result == 42

    return loop


class _Compute(pykka.ThreadingActor):
    """Computes 6 * 7 on its first message, reports it and stops: a process's whole life."""

    def __init__(self, out: queue.SimpleQueue[int]) -> None:
        super().__init__()
        self._out = out

    def on_receive(self, message: tuple[int, int]) -> None:
        self._out.put(message[0] * message[1])
        self.stop()


def _pykka_spawns(n: int) -> None:
    out: queue.SimpleQueue[int] = queue.SimpleQueue()
    for _ in range(n):
        _Compute.start(out).tell((6, 7))
        assert out.get(timeout=30) == 42


def spawn_run_exit(rt: Runtime, sizes: Sizes) -> list[Scenario]:
    """Spawn a tiny WASM process, receive its EXIT: sequential and 8-way concurrent."""
    wippy_loop = _wippy_spawns(rt)
    raw_loop = _wasmtime_spawns()
    goal = Goal(
        "within 3x of raw wasmtime instantiate+call; >= 5,000 processes/s (<= 200 µs each)",
        lambda m: m[WIPPY] <= 3 * m[WASMTIME] and m[WIPPY] <= 200.0,
    )
    seq = Scenario("spawn_seq", "spawn-run-exit, sequential", "µs/process", "lower", goal)
    seq.samples[WIPPY] = rounds(per_op_us(lambda: _run(wippy_loop, sizes.spawns)), sizes)
    seq.samples[WASMTIME] = rounds(per_op_us(lambda: _run(raw_loop, sizes.spawns)), sizes)
    seq.samples[PYKKA] = rounds(per_op_us(lambda: _run(_pykka_spawns, sizes.spawns)), sizes)
    conc = Scenario(
        f"spawn_conc{WAYS}", f"spawn-run-exit, {WAYS}-way concurrent", "µs/process", "lower", goal
    )
    conc.samples[WIPPY] = rounds(
        per_op_us(lambda: _concurrently(WAYS, sizes.spawns, wippy_loop)), sizes
    )
    conc.samples[WASMTIME] = rounds(
        per_op_us(lambda: _concurrently(WAYS, sizes.spawns, raw_loop)), sizes
    )
    conc.samples[PYKKA] = rounds(
        per_op_us(lambda: _concurrently(WAYS, sizes.spawns, _pykka_spawns)), sizes
    )
    for scenario in (seq, conc):
        scenario.notes.append(
            "wippy: spawn_monitored(compute, 6, 7) + receive EXIT; raw wasmtime: Store + Instance "
            "+ call, no process; raw Pykka: start an actor, tell it, it replies and stops"
        )
    return [seq, conc]


def _run(loop: Callable[[int], None], n: int) -> int:
    loop(n)
    return n


# -- exit latency -----------------------------------------------------------------------------


def _wippy_exit_latency(rt: Runtime, n: int) -> float:
    latencies = []
    SWITCH.reset()
    with rt.process() as me:
        for _ in range(n):
            pid = me.spawn_monitored(CRASHER, HOST, 1)
            SWITCH.running.get(timeout=30)  # the guest is inside the host function
            SWITCH.crash()
            event = me.receive(timeout=30)
            received = time.perf_counter()
            assert event is not None and event.type == EXIT and event.pid == pid, event
            assert event.error is not None, event
            latencies.append((received - SWITCH.crashed_at) * 1e6)
    return statistics.median(latencies)


class _Crasher(pykka.ThreadingActor):
    """Raises on its first message; its ``on_failure`` tells the waiting thread (the monitor)."""

    def __init__(self, out: queue.SimpleQueue[float]) -> None:
        super().__init__()
        self._out = out
        self._crashed = 0.0

    def on_receive(self, message: object) -> None:
        self._crashed = time.perf_counter()
        raise RuntimeError("crash requested by the benchmark")

    def on_failure(self, *exc_info: object) -> None:
        self._out.put(self._crashed)


def _pykka_exit_latency(n: int) -> float:
    out: queue.SimpleQueue[float] = queue.SimpleQueue()
    latencies = []
    pykka_log = logging.getLogger("pykka")
    level = pykka_log.level
    pykka_log.setLevel(logging.CRITICAL)  # each crash is logged as an error with a traceback
    try:
        for _ in range(n):
            _Crasher.start(out).tell("crash")
            crashed = out.get(timeout=30)
            latencies.append((time.perf_counter() - crashed) * 1e6)
    finally:
        pykka_log.setLevel(level)
    return statistics.median(latencies)


def exit_latency(rt: Runtime, sizes: Sizes) -> Scenario:
    """A monitored WASM process crashes (its host call raises); time until EXIT is received."""
    scenario = Scenario(
        "exit_latency",
        "exit latency (crash -> EXIT received)",
        "µs",
        "lower",
        Goal("median under 100 µs", lambda m: m[WIPPY] < 100.0),
    )
    scenario.samples[WIPPY] = rounds(lambda: _wippy_exit_latency(rt, sizes.latencies), sizes)
    scenario.samples[PYKKA] = rounds(lambda: _pykka_exit_latency(sizes.latencies), sizes)
    scenario.notes.append(
        "wippy: host_raise.wasm's host function raises; measured from the raise to the monitor's "
        "receive returning. Pykka: on_receive raises, on_failure hands the time to the waiting "
        "thread. Each sample is the median of one round's crashes."
    )
    return scenario


# -- restart latency ----------------------------------------------------------------------------


def restart_latency(rt: Runtime, sizes: Sizes) -> Scenario:
    """A supervised WASM child crashes; time until its replacement runs (its guest code)."""
    scenario = Scenario(
        "restart_latency",
        "restart latency (crash -> replacement running)",
        "µs",
        "lower",
        Goal("median under 1 ms", lambda m: m[WIPPY] < 1000.0),
    )
    scenario.notes.append(
        "wippy: a one_for_one supervisor with one transient child (host_raise.wasm); measured "
        "from the child's host function raising to the replacement's guest calling it again. "
        "Erlang: the same with supervisor and a spawn_link child."
    )
    try:
        from wippy.supervisors import ChildSpec, SupervisorSpec, start_supervisor
    except ImportError:
        scenario.skipped = (
            "wippy.supervisors has no start_supervisor yet (issue #4); wippy column skipped"
        )
        return scenario

    def one_round() -> float:
        spec = SupervisorSpec(
            host=HOST,
            strategy="one_for_one",
            intensity=1_000_000,
            period=1.0,
            children=(ChildSpec(id="crasher", process=CRASHER, args=(1,), restart="transient"),),
        )
        SWITCH.reset()
        supervisor = start_supervisor(rt, spec)
        try:
            SWITCH.running.get(timeout=30)
            latencies = []
            for _ in range(sizes.latencies):
                SWITCH.crash()
                started = SWITCH.running.get(timeout=30)
                latencies.append((started - SWITCH.crashed_at) * 1e6)
        finally:
            SWITCH.drain()  # the running child returns normally: a transient child stays down
            supervisor.stop()
        return statistics.median(latencies)

    scenario.samples[WIPPY] = rounds(one_round, sizes)
    return scenario
