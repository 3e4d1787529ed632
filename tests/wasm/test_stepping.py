"""Stepped core instances: one poll a Step, suspension in async host calls, yields, drops.

These run the engine alone (no process runtime): ``start``/``poll`` on real guests, wakers called
from other threads, async host functions that answer later or raise, and the pooled stacks and
memories that a suspended guest holds.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.wasm.core_programs import program
from wippy.wasm import HostFunctionError, Terminated
from wippy.wasm.api import PollStatus
from wippy.wasm.spec import (
    HostCall,
    HostFunc,
    HostInterface,
    LimitSpec,
    Wait,
)
from wippy.wasm.wasmtime.core import CoreInstance
from wippy.wasm.wasmtime.engine import WasmtimeEngine

WASI = frozenset({"wasi:cli", "wasi:clocks"})


def test_a_sleep_suspends_the_guest_and_the_waker_resumes_it(core_engine: WasmtimeEngine) -> None:
    prog = program(core_engine, "steps.wasm", "sleep", imports=WASI)
    instance = prog.instantiate()
    assert isinstance(instance, CoreInstance) and instance.steppable
    woken = threading.Event()
    instance.set_waker(woken.set)
    instance.start(prog.convert_args([50]))
    started = time.monotonic()
    assert instance.poll() is PollStatus.SUSPENDED
    assert core_engine.stacks.arena.in_use == 1  # the suspended fiber keeps its stack
    assert woken.wait(5), "the timer never woke the guest"
    assert time.monotonic() - started >= 0.045
    assert instance.poll() is PollStatus.DONE
    assert instance.result == 50
    instance.close()
    assert core_engine.stacks.arena.in_use == 0 and core_engine.memories.in_use() == 0


def test_a_guest_polled_from_another_thread_resumes_correctly(core_engine: WasmtimeEngine) -> None:
    prog = program(core_engine, "steps.wasm", "sleep_times", imports=WASI)
    instance = prog.instantiate()
    woken = threading.Semaphore(0)
    instance.set_waker(woken.release)
    instance.start(prog.convert_args([5, 1]))
    statuses = [instance.poll()]  # on this thread; every later poll on a thread of its own
    threads = set()
    while statuses[-1] is not PollStatus.DONE:
        assert statuses[-1] is PollStatus.SUSPENDED
        assert woken.acquire(timeout=5)
        thread = threading.Thread(target=lambda: statuses.append(instance.poll()))
        thread.start()
        thread.join()
        threads.add(thread.ident)
    assert instance.result == 5
    assert len(statuses) == 6  # five sleeps, then the return
    instance.close()


def test_sched_yield_gives_up_the_slice(core_engine: WasmtimeEngine) -> None:
    prog = program(core_engine, "steps.wasm", "yields", imports=WASI)
    instance = prog.instantiate()
    instance.start(prog.convert_args([3]))
    assert [instance.poll() for _ in range(4)] == [PollStatus.YIELDED] * 3 + [PollStatus.DONE]
    assert instance.result == 3
    instance.close()


def test_a_busy_guest_yields_at_the_end_of_its_slice(core_engine: WasmtimeEngine) -> None:
    prog = program(core_engine, "steps.wasm", "spin", imports=WASI)
    instance = prog.instantiate()
    instance.set_slice(0.02)
    instance.start(())
    started = time.monotonic()
    assert instance.poll() is PollStatus.YIELDED
    first = time.monotonic() - started
    assert instance.poll() is PollStatus.YIELDED
    assert 0.015 < first < 2.0, first
    instance.interrupt("terminated")
    with pytest.raises(Terminated):
        instance.poll()
    instance.close()


def test_dropping_a_suspended_guest_releases_its_fiber_and_timer(
    core_engine: WasmtimeEngine,
) -> None:
    prog = program(core_engine, "steps.wasm", "sleep", imports=WASI)
    instances = [prog.instantiate() for _ in range(50)]
    for instance in instances:
        instance.start(prog.convert_args([60_000]))
        assert instance.poll() is PollStatus.SUSPENDED
    assert core_engine.stacks.arena.in_use == 50
    assert len(core_engine.timers) == 50
    for instance in instances:
        instance.close()
    assert core_engine.stacks.arena.in_use == 0 and core_engine.memories.in_use() == 0
    assert len(core_engine.timers) == 0


def test_blocking_call_drives_the_polls_and_ends_at_the_deadline(
    core_engine: WasmtimeEngine,
) -> None:
    prog = program(core_engine, "steps.wasm", "sleep", imports=WASI,
                   limits=LimitSpec(max_execution=0.2))
    instance = prog.instantiate()
    assert instance.call(prog.convert_args([10])) == 10
    started = time.monotonic()
    with pytest.raises(Exception) as info:
        instance.call(prog.convert_args([5000]))
    assert getattr(info.value, "kind", None) == "timeout"
    assert time.monotonic() - started < 2.0
    instance.close()


def test_an_interrupt_ends_a_blocking_call_waiting_in_a_sleep(core_engine: WasmtimeEngine) -> None:
    prog = program(core_engine, "steps.wasm", "sleep", imports=WASI)
    instance = prog.instantiate()
    threading.Timer(0.1, instance.interrupt, args=("terminated",)).start()
    started = time.monotonic()
    with pytest.raises(Terminated):
        instance.call(prog.convert_args([10_000]))
    assert time.monotonic() - started < 2.0
    instance.close()


# -- async host functions -------------------------------------------------------------------


class Later:
    """The ``wippy_test`` interface: ``wait`` answers x * 10 later (from another thread) or at
    once for even x; ``fail`` raises."""

    def __init__(self) -> None:
        self.waits: list[Wait] = []
        self.contexts: list[Any] = []

    def wait(self, call: HostCall, x: int) -> Any:
        self.contexts.append(call.context)
        if x % 2 == 0:
            return x * 10
        wait = Wait()
        self.waits.append(wait)
        threading.Timer(0.02, wait.complete, args=(x * 10,)).start()
        return wait

    def fail(self, call: HostCall, x: int) -> int:
        raise ValueError(f"no {x}")

    def interface(self) -> HostInterface:
        return HostInterface("wippy_test", "wippy_test", {
            "wait": HostFunc(("i32",), ("i32",), self.wait),
            "fail": HostFunc(("i32",), ("i32",), self.fail),
        })


def test_a_host_function_answering_later_suspends_the_guest(core_engine: WasmtimeEngine) -> None:
    later = Later()
    prog = program(core_engine, "async_host.wasm", "wait_twice", imports=frozenset({"wippy_test"}),
                   interfaces=(later.interface(),))
    instance = prog.instantiate(context="me")
    woken = threading.Semaphore(0)
    instance.set_waker(woken.release)
    instance.start(prog.convert_args([3]))  # wait(3) later, then wait(4) at once
    assert instance.poll() is PollStatus.SUSPENDED
    assert woken.acquire(timeout=5)
    assert instance.poll() is PollStatus.DONE
    assert instance.result == 30 + 40
    assert later.contexts == ["me", "me"]
    instance.close()


def test_a_raising_async_host_function_fails_only_its_guest(core_engine: WasmtimeEngine) -> None:
    later = Later()
    prog = program(core_engine, "async_host.wasm", "fail_with", imports=frozenset({"wippy_test"}),
                   interfaces=(later.interface(),))
    ok = program(core_engine, "async_host.wasm", "wait_twice", imports=frozenset({"wippy_test"}),
                 interfaces=(later.interface(),))
    errors: list[BaseException] = []
    results: list[Any] = []

    def run(i: int) -> None:
        failing = prog.instantiate()
        good = ok.instantiate()
        try:
            try:
                failing.call(prog.convert_args([i]))
            except HostFunctionError as exc:
                errors.append(exc)
            results.append(good.call(ok.convert_args([2 * i])))
        finally:
            failing.close()
            good.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 8
    assert sorted(str(e.__cause__) for e in errors) == sorted(f"no {i}" for i in range(8))
    assert sorted(results) == sorted(20 * i + (20 * i + 10) for i in range(8))


def test_dropping_a_guest_waiting_on_the_host_cancels_its_wait(core_engine: WasmtimeEngine) -> None:
    cancelled = threading.Event()

    def wait(call: HostCall, x: int) -> Wait:
        return Wait(on_cancel=cancelled.set)

    interface = HostInterface("wippy_test", "wippy_test", {
        "wait": HostFunc(("i32",), ("i32",), wait),
        "fail": HostFunc(("i32",), ("i32",), wait),
    })
    prog = program(core_engine, "async_host.wasm", "wait_twice", imports=frozenset({"wippy_test"}),
                   interfaces=(interface,))
    instance = prog.instantiate()
    instance.start(prog.convert_args([1]))
    assert instance.poll() is PollStatus.SUSPENDED
    instance.close()
    assert cancelled.is_set()
    assert core_engine.stacks.arena.in_use == 0
