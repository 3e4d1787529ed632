"""The Step scheduler: few workers, time slices, suspended guests, limits, scale and shutdown.

Guests are ``steps.wasm`` (a sleep through ``poll_oneoff``, ``sched_yield``, an endless loop),
``traps.wasm`` and ``membomb.wasm``, and the preview 2 component ``wasi_p2.wasm``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pykka
import pytest

from tests.actors.actor_helpers import wippy_threads
from tests.conftest import AppWriter
from wippy import load
from wippy.actors import EXIT, Event, Process, ResourceLimitError, Runtime, SpawnError
from wippy.actors.actor import ProcessActor
from wippy.supervisors import ChildSpec, SupervisorSpec, start_supervisor

P2 = ["wasi:cli", "wasi:clocks", "wasi:filesystem", "wasi:random", "wasi:http", "wasi:sockets"]


def steps(name: str, method: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "kind": "process.wasm", "path": "steps.wasm", "method": method,
            "imports": ["wasi:cli", "wasi:clocks"], **fields}


def host(name: str, workers: int, **options: Any) -> dict[str, Any]:
    return {"name": name, "kind": "process.host",
            "host": {"workers": workers, "queue_size": 100_000, **options},
            "lifecycle": {"auto_start": True}}


@pytest.fixture
def app(write_app: AppWriter) -> Path:
    return write_app(
        host("one", 1),
        host("few", 2),
        host("sliced", 1, slice="2ms"),
        host("wide", 200),
        steps("sleep", "sleep"),
        steps("spin", "spin"),
        steps("yields", "yields"),
        steps("add", "add"),
        steps("spin_500ms", "spin", limits={"max_execution_ms": 500}),
        {"name": "count_fuel", "kind": "process.wasm", "path": "traps.wasm",
         "method": "count", "limits": {"fuel": 100_000}},
        {"name": "grow", "kind": "process.wasm", "path": "membomb.wasm",
         "method": "grow_forever", "limits": {"max_memory": "1MiB"}},
        {"name": "p2_sleep", "kind": "process.wasm", "path": "wasi_p2.wasm",
         "method": "sleep-ms", "imports": P2},
    )


def exits(me: Process, count: int, timeout: float = 30) -> dict[Any, Event]:
    found: dict[Any, Event] = {}
    deadline = time.monotonic() + timeout
    while len(found) < count:
        item = me.receive(timeout=max(0.0, deadline - time.monotonic()))
        assert item is not None, f"{len(found)} of {count} exits within {timeout}s"
        assert isinstance(item, Event) and item.type == EXIT, item
        found[item.pid] = item
    return found


def wait_for(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout}s"
        time.sleep(0.005)


def test_an_endless_loop_does_not_starve_50_short_processes_on_one_worker(app: Path) -> None:
    with load(app) as rt, rt.process() as me:
        spinner = me.spawn_monitored("test:spin", "test:one")
        wait_for(lambda: rt.host_stats("test:one").queued == 0)
        started = time.monotonic()
        pids = {me.spawn_monitored("test:add", "test:one", i, 1) for i in range(50)}
        found = exits(me, 50, timeout=30)
        elapsed = time.monotonic() - started
        assert set(found) == pids
        assert sorted(e.value for e in found.values()) == list(range(1, 51))
        assert rt.is_alive(spinner)
        me.terminate(spinner)
        assert exits(me, 1)[spinner].error.kind == "terminated"  # type: ignore[union-attr]
    assert elapsed < 5, elapsed


def test_a_host_slice_setting_shortens_the_turns(app: Path) -> None:
    """Two spinners on a one-worker host with a 2 ms slice take turns: both make progress."""
    with load(app) as rt, rt.process() as me:
        assert rt.hosts["test:sliced"].slice == pytest.approx(0.002)
        spinners = [me.spawn_monitored("test:spin", "test:sliced") for _ in range(2)]
        quick = me.spawn_monitored("test:add", "test:sliced", 1, 2)
        assert exits(me, 1, timeout=10)[quick].value == 3
        for pid in spinners:
            me.terminate(pid)
        exits(me, 2)


def test_sched_yield_lets_others_run_between_yields(app: Path) -> None:
    with load(app) as rt, rt.process() as me:
        yielder = me.spawn_monitored("test:yields", "test:one", 20_000)
        quick = me.spawn_monitored("test:add", "test:one", 2, 2)
        found = exits(me, 2)
        assert found[yielder].value == 20_000 and found[quick].value == 4
        assert found[quick].at <= found[yielder].at


def test_terminate_stops_a_running_guest_at_its_next_epoch_check(app: Path) -> None:
    with load(app) as rt, rt.process() as me:
        pid = me.spawn_monitored("test:spin", "test:few")
        wait_for(lambda: rt.host_stats("test:few").running == 1)
        asked = time.monotonic()
        me.terminate(pid)
        event = exits(me, 1)[pid]
        assert event.error is not None and event.error.kind == "terminated"
        wait_for(lambda: rt.host_stats("test:few").running == 0, 2)
        assert time.monotonic() - asked < 2


def test_limits_apply_to_stepped_guests(app: Path) -> None:
    with load(app) as rt, rt.process() as me:
        started = time.time()
        spin = me.spawn_monitored("test:spin_500ms", "test:few")
        fuel = me.spawn_monitored("test:count_fuel", "test:few", 10_000_000)
        grow = me.spawn_monitored("test:grow", "test:few")
        found = exits(me, 3)
        kinds = {pid: e.error.kind for pid, e in found.items() if e.error is not None}
        assert kinds == {spin: "timeout", fuel: "fuel", grow: "memory"}
        assert found[spin].at - started < 3


def test_components_run_beside_core_guests_outside_the_workers(app: Path) -> None:
    """Ten components sleeping in preview 2 keep a thread each, but not one of the host's
    workers: ten core sleepers on the same one-worker host finish alongside them."""
    with load(app) as rt, rt.process() as me:
        started = time.monotonic()
        components = {me.spawn_monitored("test:p2_sleep", "test:one", 1500) for _ in range(10)}
        cores = {me.spawn_monitored("test:sleep", "test:one", 1500) for _ in range(10)}

        def all_waiting() -> bool:
            stats = rt.host_stats("test:one")
            return (stats.queued, stats.runnable, stats.running) == (0, 0, 0)

        wait_for(all_waiting, 10)  # the cores sleep suspended, the worker is free ...
        assert rt.stats().threads == 10  # ... while each component sleeps on its own thread
        found = exits(me, 20)
        elapsed = time.monotonic() - started
    assert set(found) == components | cores
    assert all(e.error is None and e.value == 1500 for e in found.values())
    assert elapsed < 6, elapsed


def test_stopping_a_supervisor_of_100_sleeping_guests_is_quick(app: Path) -> None:
    """Guests that cannot see CANCEL end at once: nobody waits out a 5 s shutdown grace."""
    with load(app) as rt:
        spec = SupervisorSpec(
            "test:few",
            tuple(ChildSpec(f"c{i}", "test:sleep", (60_000,)) for i in range(100)),
        )
        sup = start_supervisor(rt, spec)
        assert sup.count_children().active == 100
        started = time.monotonic()
        event = sup.stop()
        elapsed = time.monotonic() - started
        assert event is not None and event.error is None
        assert rt.stats().processes == 0
    assert elapsed < 3, elapsed


def test_20000_suspended_guests_live_at_once(app: Path) -> None:
    with load(app) as rt, rt.process() as me:
        pids = [me.spawn("test:sleep", "test:few", 120_000) for _ in range(20_000)]
        wait_for(lambda: rt.host_stats("test:few").queued == 0, 120)
        wait_for(lambda: rt.host_stats("test:few").runnable == 0, 60)
        assert rt.stats().processes == 20_001
        assert rt.host_stats("test:few").threads <= 2
        assert all(rt.is_alive(pid) for pid in pids[:: 997])
        probe = me.spawn_monitored("test:add", "test:few", 40, 2)
        assert exits(me, 1)[probe].value == 42
        for pid in pids:
            me.terminate(pid)
        wait_for(lambda: rt.stats().actors == 0, 60)


def test_a_spawn_that_would_pass_the_map_limit_is_refused_clearly(app: Path) -> None:
    from wippy.actors.limits import maps_in_use

    in_use = maps_in_use()
    assert in_use is not None
    from wippy.config import load_registry

    with Runtime(load_registry(app), map_limit=in_use + 1024 + 40) as rt, rt.process() as me:
        gate = threading.Event()
        spawned = []
        with pytest.raises(ResourceLimitError) as info:
            for _ in range(100):  # a Python process may take ~8 maps (its thread)
                spawned.append(me.spawn_function(lambda proc: gate.wait(10), "test:wide"))
        message = str(info.value)
        assert "vm.max_map_count" in message and "sysctl -w vm.max_map_count=" in message
        assert isinstance(info.value, SpawnError)
        assert 0 < len(spawned) < 100
        gate.set()


def test_processes_are_pykka_actors_of_their_own_type(app: Path) -> None:
    assert issubclass(ProcessActor, pykka.Actor)
    with load(app) as rt, rt.process() as me:
        pid = me.spawn_monitored("test:sleep", "test:few", 10)
        assert exits(me, 1)[pid].value == 10
    assert not [ref for ref in pykka.ActorRegistry.get_all()
                if isinstance(ref, pykka.ActorRef) and ref.actor_class is ProcessActor]


def test_stop_with_processes_in_every_state_leaves_no_thread_or_fiber(app: Path) -> None:
    from wippy.wasm import WasmRuntime
    from wippy.wasm.wasmtime.engine import WasmtimeEngine

    before = wippy_threads()
    wasm = WasmRuntime(cache_dir=None)
    engine = wasm.engine()  # the app's engine, to look at its pools
    assert isinstance(engine, WasmtimeEngine)
    rt = load(app, wasm=wasm)
    me = rt.process()
    for _ in range(20):
        me.spawn("test:sleep", "test:few", 60_000)  # suspended
    me.spawn("test:spin", "test:one")  # running, holds the only worker of test:one
    for _ in range(5):
        me.spawn("test:add", "test:one", 1, 1)  # queued behind it, never started
    me.spawn_function(lambda proc: proc.receive(), "test:few")  # a function in receive
    me.spawn("test:p2_sleep", "test:few", 1000)  # a component in a preview 2 sleep (blocks)
    wait_for(lambda: rt.host_stats("test:few").queued == 0)
    stacks = engine.stacks.arena
    assert stacks.in_use >= 20
    started = time.monotonic()
    rt.stop()
    assert time.monotonic() - started < 10
    assert stacks.in_use == 0
    assert engine.memories.in_use() == 0
    wasm.close()
    left = wippy_threads() - before
    assert not {t for t in left if t.is_alive()}, left
