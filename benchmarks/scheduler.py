"""The Step scheduler's own scenarios: time slices under an endless loop, and stopping a tree."""

from __future__ import annotations

import time

from wippy.actors import EXIT, Event, Runtime
from wippy.supervisors import ChildSpec, SupervisorSpec, start_supervisor

from .apps import ADDER, HOST, ONE, SPINNER, STEP_SLEEPER
from .harness import WIPPY, Goal, Scenario, Sizes, expect, measure

SHORT = 50
CHILDREN = 100


def _loop_round(rt: Runtime) -> float:
    with rt.process() as me:
        spinner = me.spawn_monitored(SPINNER, ONE)
        deadline = time.monotonic() + 30
        while rt.host_stats(ONE).queued and time.monotonic() < deadline:
            time.sleep(0.001)
        started = time.perf_counter()
        pids = {me.spawn_monitored(ADDER, ONE, i, 1) for i in range(SHORT)}
        done = 0
        while done < SHORT:
            event = me.receive(timeout=60)
            expect(isinstance(event, Event) and event.type == EXIT, f"expected EXIT, got {event}")
            assert isinstance(event, Event)
            expect(event.pid in pids and event.error is None, f"unexpected {event}")
            done += 1
        elapsed = time.perf_counter() - started
        expect(rt.is_alive(spinner), "the endless loop ended")
        me.terminate(spinner)
        me.receive(timeout=30)
        return elapsed


def time_slices(rt: Runtime, sizes: Sizes) -> Scenario:
    """An endless loop on a one-worker host; seconds until 50 short processes spawned beside it
    have all exited."""
    scenario = Scenario(
        "loop_fairness",
        f"endless loop beside {SHORT} short processes, workers: 1",
        "s",
        "lower",
        Goal("all finish in under 1 s (issue #12)", lambda m: m[WIPPY] < 1.0),
    )
    measure(scenario, {WIPPY: lambda: _loop_round(rt)}, sizes.rounds)
    scenario.notes.append(
        "steps.wasm spin() runs forever on host workers: 1; from the first spawn of 50 "
        "add(i, 1) to the last EXIT. Without time slices they would wait forever"
    )
    return scenario


def _stop_round(rt: Runtime) -> float:
    spec = SupervisorSpec(
        HOST, tuple(ChildSpec(f"c{i}", STEP_SLEEPER, (600_000,)) for i in range(CHILDREN))
    )
    supervisor = start_supervisor(rt, spec)
    expect(supervisor.count_children().active == CHILDREN, "not every child started")
    started = time.perf_counter()
    event = supervisor.stop()
    elapsed = time.perf_counter() - started
    expect(event is not None and event.error is None, f"the supervisor stopped with {event}")
    return elapsed


def supervisor_stop(rt: Runtime, sizes: Sizes) -> Scenario:
    """Seconds to stop a supervisor whose 100 WASM children sleep (default 5 s shutdown)."""
    scenario = Scenario(
        "supervisor_stop",
        f"stop a supervisor of {CHILDREN} sleeping WASM children",
        "s",
        "lower",
        Goal("under 1 s in all (issue #12)", lambda m: m[WIPPY] < 1.0),
    )
    measure(scenario, {WIPPY: lambda: _stop_round(rt)}, sizes.rounds)
    scenario.notes.append(
        "children are steps.wasm sleep(600 s) with the default 5 s shutdown: a guest without "
        "the process API cannot see CANCEL, so it ends at once instead of after the grace"
    )
    return scenario
