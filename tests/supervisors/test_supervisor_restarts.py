"""Restart types and strategies (OTP supervisor_SUITE: *_normal, *_shutdown, *_abnormal,
one_for_one*, one_for_all*, rest_for_one*, simple_one_for_one*, hanging_restart_loop)."""

from __future__ import annotations

import time

import pytest

from tests.actors.actor_helpers import wait_until
from tests.supervisors.sup_helpers import (
    HOST,
    Journal,
    crash_and_wait,
    exit_of,
    pid_of,
    pids,
    reports,
    send,
    worker,
)
from wippy.actors import Process, Runtime
from wippy.supervisors import ChildSpec, SupervisorError, SupervisorSpec, start_supervisor

HOW = {"normal": "exit", "shutdown": "shutdown", "abnormal": "crash"}

# (restart type, how the child ends) -> restarted?  OTP's table.
EXPECTED = {
    ("permanent", "normal"): True,
    ("permanent", "shutdown"): True,
    ("permanent", "abnormal"): True,
    ("transient", "normal"): False,
    ("transient", "shutdown"): False,
    ("transient", "abnormal"): True,
    ("temporary", "normal"): False,
    ("temporary", "shutdown"): False,
    ("temporary", "abnormal"): False,
}


@pytest.mark.parametrize(("restart", "how"), sorted(EXPECTED))
def test_restart_type_decides_whether_an_ended_child_comes_back(
    rt: Runtime, journal: Journal, me: Process, restart: str, how: str
) -> None:
    child = ChildSpec("c", worker, (journal, "c"), restart=restart)  # type: ignore[arg-type]
    sup = start_supervisor(rt, SupervisorSpec(HOST, (child,), intensity=5))
    me.monitor(sup.pid)
    old = pid_of(sup, "c")
    send(rt, old, HOW[how])
    reports(
        me,
        lambda r: (
            r.action in ("restarted",)
            or (r.action == "child_exit" and not EXPECTED[(restart, how)])
        ),
    )
    rows = sup.which_children()
    if EXPECTED[(restart, how)]:
        assert len(rows) == 1 and rows[0].pid not in (None, old)
    elif restart == "temporary":
        assert rows == []  # temporary children are forgotten
    else:
        assert len(rows) == 1 and rows[0].pid is None and rows[0].state == "stopped"
    assert sup.alive


def _three(journal: Journal, strategy: str, intensity: int = 3) -> SupervisorSpec:
    children = tuple(ChildSpec(n, worker, (journal, n)) for n in ("a", "b", "c"))
    return SupervisorSpec(HOST, children, strategy=strategy, intensity=intensity)  # type: ignore[arg-type]


def test_one_for_one_restarts_only_the_failed_child(rt: Runtime, journal: Journal) -> None:
    sup = start_supervisor(rt, _three(journal, "one_for_one"))
    wait_until(lambda: len(journal.of("start")) == 3)
    before = pids(sup)
    crash_and_wait(rt, sup, "b")
    after = pids(sup)
    assert after["a"] == before["a"] and after["c"] == before["c"]
    assert after["b"] != before["b"]
    assert journal.of("cancel") == []


def test_one_for_all_restarts_every_child_in_order(rt: Runtime, journal: Journal) -> None:
    sup = start_supervisor(rt, _three(journal, "one_for_all"))
    wait_until(lambda: len(journal.of("start")) == 3)
    before = pids(sup)
    crash_and_wait(rt, sup, "b")
    wait_until(lambda: all(p is not None for p in pids(sup).values()))
    after = pids(sup)
    assert all(after[k] != before[k] for k in "abc")
    assert journal.of("cancel") == ["c", "a"]  # the others, stopped in reverse order
    wait_until(lambda: len(journal.of("start")) == 6)
    assert after["a"] < after["b"] < after["c"]  # pids are allocated in spawn order


def test_one_for_all_forgets_temporary_children_it_stops(rt: Runtime, journal: Journal) -> None:
    children = (
        ChildSpec("a", worker, (journal, "a")),
        ChildSpec("t", worker, (journal, "t"), restart="temporary"),
    )
    sup = start_supervisor(rt, SupervisorSpec(HOST, children, strategy="one_for_all"))
    crash_and_wait(rt, sup, "a")
    assert [info.id for info in sup.which_children()] == ["a"]


def test_rest_for_one_restarts_the_failed_child_and_those_after_it(
    rt: Runtime, journal: Journal
) -> None:
    sup = start_supervisor(rt, _three(journal, "rest_for_one"))
    wait_until(lambda: len(journal.of("start")) == 3)
    before = pids(sup)
    crash_and_wait(rt, sup, "b")
    wait_until(lambda: pids(sup)["c"] not in (None, before["c"]))
    after = pids(sup)
    assert after["a"] == before["a"]
    assert journal.of("cancel") == ["c"]
    wait_until(lambda: len(journal.of("start")) == 5)
    assert sorted(journal.of("start")[3:]) == ["b", "c"]
    assert pids(sup)["b"] < pids(sup)["c"]  # type: ignore[operator]


@pytest.mark.parametrize("strategy", ["one_for_one", "one_for_all", "rest_for_one"])
def test_too_many_restarts_stop_the_supervisor(
    rt: Runtime, journal: Journal, me: Process, strategy: str
) -> None:
    sup = start_supervisor(rt, _three(journal, strategy, intensity=2))
    me.monitor(sup.pid)
    crash_and_wait(rt, sup, "a")
    crash_and_wait(rt, sup, "a")
    send(rt, pid_of(sup, "a"), "crash")  # the third restart within 5 s is one too many
    event = exit_of(me, sup.pid)
    assert event.error is not None and event.error.kind == "shutdown"
    assert "reached max restart intensity" in event.error.message
    wait_until(lambda: rt.stats().processes == 1)  # every child was stopped too


def test_restarts_older_than_the_period_do_not_count(rt: Runtime, journal: Journal) -> None:
    spec = SupervisorSpec(HOST, (ChildSpec("a", worker, (journal, "a")),), intensity=1, period=0.3)
    sup = start_supervisor(rt, spec)
    for _ in range(3):
        crash_and_wait(rt, sup, "a")
        time.sleep(0.35)
    assert sup.alive


def test_intensity_zero_gives_up_at_the_first_failure(
    rt: Runtime, journal: Journal, me: Process
) -> None:
    spec = SupervisorSpec(HOST, (ChildSpec("a", worker, (journal, "a")),), intensity=0)
    sup = start_supervisor(rt, spec)
    me.monitor(sup.pid)
    send(rt, pid_of(sup, "a"), "crash")
    assert exit_of(me, sup.pid).error is not None


def _simple(journal: Journal, restart: str = "permanent", **flags: object) -> SupervisorSpec:
    template = ChildSpec(
        "worker",
        worker,
        (journal,),
        restart=restart,  # type: ignore[arg-type]
        shutdown=2.0,
    )
    return SupervisorSpec(HOST, (template,), strategy="simple_one_for_one", **flags)  # type: ignore[arg-type]


def test_simple_one_for_one_starts_dynamic_children_with_extra_args(
    rt: Runtime, journal: Journal
) -> None:
    sup = start_supervisor(rt, _simple(journal))
    assert sup.which_children() == []
    first = sup.start_child(("one",))
    second = sup.start_child(["two"])
    wait_until(lambda: sorted(journal.of("start")) == ["one", "two"])
    assert [info.pid for info in sup.which_children()] == [first, second]
    counts = sup.count_children()
    assert (counts.specs, counts.active, counts.workers) == (1, 2, 2)


def test_simple_one_for_one_restarts_a_crashed_child(
    rt: Runtime, journal: Journal, me: Process
) -> None:
    sup = start_supervisor(rt, _simple(journal, intensity=3))
    me.monitor(sup.pid)
    pid = sup.start_child(("one",))
    send(rt, pid, "crash")
    found = reports(me, lambda r: r.action == "restarted")
    assert found[-1].child_pid not in (None, pid)
    wait_until(lambda: journal.of("start") == ["one", "one"])  # same args again


def test_simple_one_for_one_forgets_a_transient_child_that_ended_normally(
    rt: Runtime, journal: Journal
) -> None:
    sup = start_supervisor(rt, _simple(journal, restart="transient"))
    pid = sup.start_child(("one",))
    send(rt, pid, "exit")
    wait_until(lambda: sup.which_children() == [])


def test_simple_one_for_one_escalates(rt: Runtime, journal: Journal, me: Process) -> None:
    sup = start_supervisor(rt, _simple(journal, intensity=1))
    me.monitor(sup.pid)
    send(rt, sup.start_child(("x",)), "crash")
    found = reports(me, lambda r: r.action == "restarted")
    assert found[-1].child_pid is not None
    send(rt, found[-1].child_pid, "crash")
    event = exit_of(me, sup.pid)
    assert event.error is not None and "max restart intensity" in event.error.message


def test_simple_one_for_one_shutdown_stops_children_concurrently(
    rt: Runtime, journal: Journal
) -> None:
    template = ChildSpec("w", worker, (journal,), shutdown=5.0)
    sup = start_supervisor(rt, SupervisorSpec(HOST, (template,), strategy="simple_one_for_one"))
    for index in range(6):
        sup.start_child((f"w{index}", 0.3))  # each takes 0.3 s to stop after CANCEL
    started = time.monotonic()
    sup.stop()
    elapsed = time.monotonic() - started
    assert sorted(journal.of("stop")) == [f"w{i}" for i in range(6)]
    assert elapsed < 6 * 0.3  # all at once, not one after another


def test_hanging_restart_loop_keeps_the_supervisor_responsive(
    rt: Runtime, journal: Journal, me: Process
) -> None:
    rt.add_host("app:flaky", workers=4)
    child = ChildSpec("c", worker, (journal, "c"), host="app:flaky")
    sup = start_supervisor(rt, SupervisorSpec(HOST, (child,), intensity=100_000, period=60))
    me.monitor(sup.pid)
    pid = pid_of(sup, "c")
    me.monitor(pid)

    def stop_host() -> None:
        rt.stop_host("app:flaky")  # cancels the child; its restarts then fail: host stopped

    stop_host()
    reports(me, lambda r: r.action == "restart_failed")
    # Between retries it still answers requests, showing the child as restarting.
    wait_until(lambda: sup.which_children()[0].state == "restarting")
    with pytest.raises(SupervisorError) as info:
        sup.delete_child("c")
    assert info.value.reason == "restarting"
    rt.start_host("app:flaky")
    wait_until(lambda: sup.which_children()[0].state == "running")
    assert sup.alive
