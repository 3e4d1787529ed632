"""Process lifecycle: spawn-run-exit, exit latency and restart latency, with their baselines."""

from __future__ import annotations

import logging
import queue
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pykka
import wasmtime

from wippy.actors import EXIT, Runtime
from wippy.supervisors import ChildSpec, SupervisorSpec, start_supervisor

from . import lowlevel
from .apps import COMPUTE, CRASHER, HOST, SWITCH, WORKER
from .erlang import ErlangNode
from .harness import (
    ERLANG,
    PYKKA,
    WASMTIME,
    WASMTIME_LOW,
    WIPPY,
    Goal,
    Scenario,
    Sizes,
    expect,
    measure,
    per_op_us,
)

WAYS = 8


def concurrently(ways: int, n: int, loop: Callable[[int], None]) -> int:
    """Runs ``loop(n // ways)`` on ``ways`` threads at once; returns how many operations ran.

    Re-raises the first error a thread raised (a failed loop must not pass as a fast one).
    """
    each = n // ways
    with ThreadPoolExecutor(max_workers=ways) as pool:
        futures = [pool.submit(loop, each) for _ in range(ways)]
    for future in futures:
        future.result()
    return each * ways


# -- spawn-run-exit -------------------------------------------------------------------------------


def _wippy_spawns(rt: Runtime) -> Callable[[int], None]:
    def loop(n: int) -> None:
        with rt.process() as me:
            for _ in range(n):
                pid = me.spawn_monitored(COMPUTE, HOST, 6, 7)
                event = me.receive(timeout=30)
                expect(event is not None and event.type == EXIT and event.pid == pid,
                       f"expected the EXIT of {pid}, got {event}")
                expect(getattr(event, "value", None) == 42, f"compute(6, 7) exited with {event}")

    return loop


def _wasmtime_spawns() -> Callable[[int], None]:
    engine = wasmtime.Engine()
    module = wasmtime.Module(engine, WORKER.read_bytes())

    def loop(n: int) -> None:
        for _ in range(n):
            store = wasmtime.Store(engine)
            result = wasmtime.Instance(store, module, []).exports(store)["compute"](store, 6, 7)
            expect(result == 42, f"compute(6, 7) returned {result}")

    return loop


def _low_level_spawns() -> Callable[[int], None]:
    engine = wasmtime.Engine()
    pre = lowlevel.instance_pre(engine, wasmtime.Module(engine, WORKER.read_bytes()))

    def loop(n: int) -> None:
        spawner = lowlevel.Spawner(engine, pre, "compute", 2)  # its arrays: one per thread
        for _ in range(n):
            result = spawner.run(6, 7)
            expect(result == 42, f"compute(6, 7) returned {result}")

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
        result = out.get(timeout=30)  # raises queue.Empty when the actor never answers
        expect(result == 42, f"the actor computed {result}")


def spawn_run_exit(rt: Runtime, sizes: Sizes, erl: ErlangNode | None) -> list[Scenario]:
    """Spawn a tiny WASM process, receive its EXIT: sequential and 8-way concurrent."""
    loops = {WIPPY: _wippy_spawns(rt), WASMTIME: _wasmtime_spawns(),
             WASMTIME_LOW: _low_level_spawns(), PYKKA: _pykka_spawns}
    goal = Goal(
        "at most 1.5x raw wasmtime-py Store + Instance + call (issue #12)",
        lambda m: m[WIPPY] <= 1.5 * m[WASMTIME],
    )
    n = sizes.spawns
    seq = Scenario("spawn_seq", "spawn-run-exit, sequential", "µs/process", "lower", goal)
    columns: dict[str, Callable[[], float]] = {
        column: per_op_us(partial(_run, loop, n)) for column, loop in loops.items()
    }
    if erl is not None:
        columns[ERLANG] = erl.column("spawn_seq", n)
    measure(seq, columns, sizes.rounds)
    conc = Scenario(
        f"spawn_conc{WAYS}", f"spawn-run-exit, {WAYS}-way concurrent", "µs/process", "lower", goal
    )
    columns = {
        column: per_op_us(partial(concurrently, WAYS, n, loop)) for column, loop in loops.items()
    }
    if erl is not None:
        columns[ERLANG] = erl.column(f"spawn_conc{WAYS}", n)
    measure(conc, columns, sizes.rounds)
    for scenario in (seq, conc):
        scenario.notes.append(
            "wippy: spawn_monitored(compute, 6, 7) + receive EXIT; raw wasmtime: Store + Instance "
            "+ Func.__call__, no process; raw wasmtime low-level: Store + "
            "wasmtime_instance_pre_instantiate + wasmtime_func_call, no process; raw Pykka: "
            "start an actor, tell it, it replies and stops; Erlang: spawn_monitor + 'DOWN'"
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
            expect(event is not None and event.type == EXIT and event.pid == pid,
                   f"expected the EXIT of {pid}, got {event}")
            expect(getattr(event, "error", None) is not None, f"{pid} did not fail: {event}")
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


def exit_latency(rt: Runtime, sizes: Sizes, erl: ErlangNode | None) -> Scenario:
    """A monitored WASM process crashes (its host call raises); time until EXIT is received."""
    scenario = Scenario(
        "exit_latency",
        "exit latency (crash -> EXIT received)",
        "µs",
        "lower",
        Goal("at most 1x Pykka's failure hand-off (issue #12)",
             lambda m: m[WIPPY] <= m[PYKKA]),
    )
    n = sizes.latencies
    columns = {WIPPY: lambda: _wippy_exit_latency(rt, n), PYKKA: lambda: _pykka_exit_latency(n)}
    if erl is not None:
        columns[ERLANG] = erl.column("exit_latency", n)
    measure(scenario, columns, sizes.rounds)
    scenario.notes.append(
        "wippy: host_raise.wasm's host function raises; measured from the raise to the monitor's "
        "receive returning. Pykka: on_receive raises, on_failure hands the time to the waiting "
        "thread. Erlang: exit in a monitored process to its 'DOWN'. Each sample is the median "
        "of one round's crashes."
    )
    return scenario


# -- restart latency ----------------------------------------------------------------------------


def _wippy_restart_latency(rt: Runtime, n: int) -> float:
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
        for _ in range(n):
            SWITCH.crash()
            started = SWITCH.running.get(timeout=30)
            latencies.append((started - SWITCH.crashed_at) * 1e6)
    finally:
        SWITCH.drain()  # the running child returns normally: a transient child stays down
        supervisor.stop()
    return statistics.median(latencies)


def restart_latency(rt: Runtime, sizes: Sizes, erl: ErlangNode | None) -> Scenario:
    """A supervised WASM child crashes; time until its replacement runs (its guest code)."""
    scenario = Scenario(
        "restart_latency",
        "restart latency (crash -> replacement running)",
        "µs",
        "lower",
        Goal("median under 1 ms (issue #7)", lambda m: m[WIPPY] < 1000.0),
    )
    n = sizes.latencies
    columns = {WIPPY: lambda: _wippy_restart_latency(rt, n)}
    if erl is not None:
        columns[ERLANG] = erl.column("restart_latency", n)
    measure(scenario, columns, sizes.rounds)
    scenario.notes.append(
        "wippy: a one_for_one supervisor with one transient child (host_raise.wasm); measured "
        "from the child's host function raising to the replacement's guest calling it again. "
        "Erlang: the same with supervisor and a spawn_link child. Each sample is the median of "
        "one round's crashes."
    )
    return scenario
