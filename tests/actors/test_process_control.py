"""Terminate and cancel: function processes, handles, and processes waiting for a worker."""

from __future__ import annotations

import threading
import time

import pytest

from tests.actors.actor_helpers import HOST, expect, expect_event, wait_until
from wippy.actors import (
    CANCEL,
    EXIT,
    Event,
    Process,
    ProcessExitedError,
    ProcessTerminated,
    Runtime,
)


def test_terminate_during_long_running_function(rt: Runtime, me: Process) -> None:
    unwound = threading.Event()

    def busy(proc: Process) -> str:
        proc.send(me.self, "started")
        try:
            while True:  # a long computation that checks in with the runtime now and then
                time.sleep(0.01)
                proc.receive(timeout=0)
        except ProcessTerminated:
            unwound.set()
            raise

    pid = me.spawn_function(busy, HOST, monitor=True)
    expect(me, topic="started")
    started = time.monotonic()
    assert me.terminate(pid)
    event = expect_event(me, EXIT, pid)
    assert event.error is not None and event.error.kind == "terminated"
    assert unwound.wait(5)
    assert time.monotonic() - started < 5
    assert not rt.is_alive(pid)
    assert me.terminate(pid) is False


def test_terminate_wakes_a_process_blocked_in_receive(me: Process) -> None:
    def waiter(proc: Process) -> None:
        proc.send(me.self, "ready")
        proc.receive()

    pid = me.spawn_function(waiter, HOST, monitor=True)
    expect(me, topic="ready")
    me.terminate(pid)
    assert expect_event(me, EXIT, pid).error.kind == "terminated"  # type: ignore[union-attr]


def test_terminate_reports_exit_at_once_even_if_the_thread_is_busy(me: Process) -> None:
    release = threading.Event()

    def stubborn(proc: Process) -> None:
        proc.send(me.self, "ready")
        release.wait(10)  # not a wippy call: cannot be interrupted

    pid = me.spawn_function(stubborn, HOST, monitor=True)
    expect(me, topic="ready")
    me.terminate(pid)
    event = expect_event(me, EXIT, pid, timeout=2)
    assert event.error is not None and event.error.kind == "terminated"
    release.set()


def test_exception_handlers_do_not_swallow_termination(me: Process) -> None:
    def swallower(proc: Process) -> str:
        proc.send(me.self, "ready")
        try:
            proc.receive()
        except Exception:
            return "swallowed"
        return "not reached"

    pid = me.spawn_function(swallower, HOST, monitor=True)
    expect(me, topic="ready")
    me.terminate(pid)
    event = expect_event(me, EXIT, pid)
    assert event.value is None and event.error is not None


def test_cancel_with_handler_lets_the_process_finish(me: Process) -> None:
    def graceful(proc: Process) -> str:
        proc.send(me.self, "ready")
        item = proc.receive()
        assert isinstance(item, Event) and item.type == CANCEL
        return f"cleaned up after {item.reason} from {item.pid}"

    pid = me.spawn_function(graceful, HOST, monitor=True)
    expect(me, topic="ready")
    assert me.cancel(pid, reason="enough", grace=5)
    event = expect_event(me, EXIT, pid)
    assert event.value == f"cleaned up after enough from {me.self}"


def test_cancel_without_handler_terminates_after_grace(rt: Runtime, me: Process) -> None:
    def deaf(proc: Process) -> None:
        proc.send(me.self, "ready")
        proc.receive(topic="never")  # ignores CANCEL events

    pid = me.spawn_function(deaf, HOST, monitor=True)
    expect(me, topic="ready")
    started = time.monotonic()
    me.cancel(pid, grace=0.3)
    event = expect_event(me, EXIT, pid)
    elapsed = time.monotonic() - started
    assert event.error is not None and event.error.kind == "terminated"
    assert 0.25 <= elapsed < 5
    assert rt.stats().cancel_timers == 0


def test_cancel_grace_defaults_to_host_stop_timeout(rt: Runtime, me: Process) -> None:
    rt.add_host("app:quick", stop_timeout=0.2)

    def deaf(proc: Process) -> None:
        proc.send(me.self, "ready")
        proc.receive(topic="never")

    pid = me.spawn_function(deaf, "app:quick", monitor=True)
    expect(me, topic="ready")
    me.cancel(pid)
    assert expect_event(me, EXIT, pid, timeout=5).error.kind == "terminated"  # type: ignore[union-attr]


def test_cancel_of_a_finished_process_is_false(me: Process) -> None:
    pid = me.spawn_function(lambda proc: None, HOST, monitor=True)
    expect_event(me, EXIT, pid)
    assert me.cancel(pid) is False


def test_terminate_a_process_queued_for_a_worker(rt: Runtime, me: Process) -> None:
    rt.add_host("app:one", workers=1, queue_size=10)
    release = threading.Event()

    def hog(proc: Process) -> None:
        proc.send(me.self, "running")
        release.wait(10)

    ran = threading.Event()
    first = me.spawn_function(hog, "app:one", monitor=True)
    expect(me, topic="running")
    queued = me.spawn_function(lambda proc: ran.set(), "app:one", monitor=True)
    wait_until(lambda: rt.host_stats("app:one").queued == 1)
    me.terminate(queued)
    assert expect_event(me, EXIT, queued).error.kind == "terminated"  # type: ignore[union-attr]
    wait_until(lambda: rt.host_stats("app:one").queued == 0)
    release.set()
    expect_event(me, EXIT, first)
    assert not ran.is_set()


def test_terminating_a_handle_closes_it(rt: Runtime, me: Process) -> None:
    other = rt.process()
    me.monitor(other.self)
    me.terminate(other.self)
    assert expect_event(me, EXIT, other.self).error.kind == "terminated"  # type: ignore[union-attr]
    with pytest.raises(ProcessExitedError):
        other.send(me.self, "x")


def test_a_handle_blocked_in_receive_is_woken_by_terminate(rt: Runtime, me: Process) -> None:
    other = rt.process()
    errors: list[BaseException] = []

    def blocked() -> None:
        try:
            other.receive()
        except ProcessExitedError as exc:
            errors.append(exc)

    thread = threading.Thread(target=blocked)
    thread.start()
    time.sleep(0.05)
    me.terminate(other.self)
    thread.join(5)
    assert not thread.is_alive() and len(errors) == 1


def test_a_process_can_terminate_itself(me: Process) -> None:
    def suicidal(proc: Process) -> str:
        proc.terminate(proc.self)
        proc.send(me.self, "after")  # raises ProcessTerminated
        return "not reached"

    pid = me.spawn_function(suicidal, HOST, monitor=True)
    assert expect_event(me, EXIT, pid).error.kind == "terminated"  # type: ignore[union-attr]
    assert me.receive(timeout=0.1) is None
