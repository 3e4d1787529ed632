"""Starting and stopping supervisors (OTP supervisor_SUITE: sup_start*, sup_stop_*, order)."""

from __future__ import annotations

import math
import time

import pytest

from tests.actors.actor_helpers import wait_until
from tests.supervisors.sup_helpers import (
    HOST,
    Journal,
    exit_of,
    pid_of,
    stubborn,
    worker,
)
from wippy.actors import Process, Runtime
from wippy.supervisors import (
    BRUTAL_KILL,
    INFINITY,
    ChildSpec,
    SupervisorSpec,
    SupervisorStartError,
    start_supervisor,
)


def _spec(*children: ChildSpec, **flags: object) -> SupervisorSpec:
    return SupervisorSpec(HOST, children, **flags)  # type: ignore[arg-type]


def test_children_start_in_order_and_stop_in_reverse(rt: Runtime, journal: Journal) -> None:
    children = [ChildSpec(name, worker, (journal, name)) for name in ("a", "b", "c")]
    sup = start_supervisor(rt, _spec(*children))
    rows = sup.which_children()
    assert [info.id for info in rows] == ["a", "b", "c"]
    assert rows[0].pid < rows[1].pid < rows[2].pid  # type: ignore[operator]
    wait_until(lambda: len(journal.of("start")) == 3)
    event = sup.stop()
    assert event is not None and event.ok
    assert journal.of("cancel") == ["c", "b", "a"]
    assert not sup.alive


def test_start_failure_stops_started_children_and_names_the_child(
    rt: Runtime, journal: Journal
) -> None:
    children = (
        ChildSpec("first", worker, (journal, "first")),
        ChildSpec("broken", "test:missing"),
        ChildSpec("never", worker, (journal, "never")),
    )
    with pytest.raises(SupervisorStartError) as info:
        start_supervisor(rt, _spec(*children))
    assert info.value.child_id == "broken"
    assert "test:missing" in str(info.value)
    wait_until(lambda: journal.of("start") == ["first"])
    wait_until(lambda: journal.of("cancel") == ["first"])
    wait_until(lambda: rt.stats().processes == 0)


def test_stop_infinity_waits_for_a_slow_child(rt: Runtime, journal: Journal) -> None:
    child = ChildSpec("slow", worker, (journal, "slow", 0.3), shutdown=INFINITY)
    sup = start_supervisor(rt, _spec(child))
    started = time.monotonic()
    sup.stop()
    assert time.monotonic() - started >= 0.25
    assert journal.of("stop") == ["slow"]  # it finished its own shutdown, not terminated


def test_stop_timeout_terminates_a_child_that_ignores_cancel(
    rt: Runtime, journal: Journal, me: Process
) -> None:
    child = ChildSpec("stubborn", stubborn, (journal, "stubborn"), shutdown=0.2)
    sup = start_supervisor(rt, _spec(child))
    pid = pid_of(sup, "stubborn")
    me.monitor(pid)
    started = time.monotonic()
    sup.stop()
    assert 0.15 <= time.monotonic() - started < 5
    assert journal.of("cancel") == ["stubborn"]
    event = exit_of(me, pid)
    assert event.error is not None and event.error.kind == "terminated"


def test_stop_brutal_kill_terminates_without_cancel(
    rt: Runtime, journal: Journal, me: Process
) -> None:
    child = ChildSpec("victim", worker, (journal, "victim"), shutdown=BRUTAL_KILL)
    sup = start_supervisor(rt, _spec(child))
    pid = pid_of(sup, "victim")
    me.monitor(pid)
    sup.stop()
    event = exit_of(me, pid)
    assert event.error is not None and event.error.kind == "terminated"
    assert journal.of("cancel") == []


def test_a_killed_supervisor_takes_its_children_with_it(
    rt: Runtime, journal: Journal, me: Process
) -> None:
    sup = start_supervisor(rt, _spec(ChildSpec("a", worker, (journal, "a"))))
    child = pid_of(sup, "a")
    me.monitor(child)
    me.terminate(sup.pid)
    event = exit_of(me, child)
    assert event.error is not None and event.error.kind == "linked"


def test_supervisor_linked_to_a_parent_stops_when_the_parent_fails(
    rt: Runtime, journal: Journal, me: Process
) -> None:
    def parent(proc: Process) -> None:
        start_supervisor(rt, _spec(ChildSpec("a", worker, (journal, "a"))), parent=proc)
        proc.receive(topic="go")
        raise RuntimeError("parent crashed")

    pid = rt.spawn_function(parent, HOST)
    wait_until(lambda: journal.of("start") == ["a"])
    assert rt.send(pid, "go")
    wait_until(lambda: journal.of("cancel") == ["a"])
    wait_until(lambda: rt.stats().processes == 1)  # only `me` is left


def test_default_shutdown_is_five_seconds_for_workers_and_infinity_for_supervisors() -> None:
    assert ChildSpec("w", "x:y").shutdown_time == 5.0
    nested = SupervisorSpec(HOST)
    assert math.isinf(ChildSpec("s", nested).shutdown_time)
