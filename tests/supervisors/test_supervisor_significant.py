"""Significant children and auto_shutdown (OTP supervisor_SUITE: significant_*)."""

from __future__ import annotations

import pytest

from tests.actors.actor_helpers import wait_until
from tests.supervisors.sup_helpers import (
    HOST,
    Journal,
    exit_of,
    pid_of,
    reports,
    send,
    still_running,
    worker,
)
from wippy.actors import Process, Runtime
from wippy.supervisors import ChildSpec, Supervisor, SupervisorSpec, start_supervisor


def _sup(journal: Journal, mode: str, *significant: tuple[str, str]) -> SupervisorSpec:
    children = [ChildSpec("bystander", worker, (journal, "bystander"))]
    children += [
        ChildSpec(name, worker, (journal, name), restart=restart, significant=True)  # type: ignore[arg-type]
        for name, restart in significant
    ]
    return SupervisorSpec(HOST, tuple(children), auto_shutdown=mode, intensity=5)  # type: ignore[arg-type]


@pytest.mark.parametrize("how", ["exit", "shutdown", "crash"])
def test_any_significant_temporary_child_ending_shuts_the_supervisor_down(
    rt: Runtime, journal: Journal, me: Process, how: str
) -> None:
    sup = start_supervisor(rt, _sup(journal, "any_significant", ("sig", "temporary")))
    me.monitor(sup.pid)
    send(rt, pid_of(sup, "sig"), how)
    event = exit_of(me, sup.pid)
    assert event.error is not None and event.error.kind == "shutdown"
    assert "auto_shutdown" in event.error.message
    assert journal.of("cancel") == ["bystander"]  # the rest were stopped in order


def test_significant_transient_child_is_restarted_after_a_crash(
    rt: Runtime, journal: Journal, me: Process
) -> None:
    sup = start_supervisor(rt, _sup(journal, "any_significant", ("sig", "transient")))
    me.monitor(sup.pid)
    old = pid_of(sup, "sig")
    send(rt, old, "crash")
    reports(me, lambda r: r.action == "restarted")
    assert sup.alive and pid_of(sup, "sig") != old
    send(rt, pid_of(sup, "sig"), "exit")  # ending normally is not restarted: shutdown
    assert exit_of(me, sup.pid).error is not None


def test_all_significant_waits_for_the_last_significant_child(
    rt: Runtime, journal: Journal, me: Process
) -> None:
    spec = _sup(journal, "all_significant", ("s1", "transient"), ("s2", "temporary"))
    sup = start_supervisor(rt, spec)
    me.monitor(sup.pid)
    send(rt, pid_of(sup, "s1"), "exit")
    reports(me, lambda r: r.action == "child_exit")
    running = {info.id: info.pid is not None for info in still_running(me, sup)}
    assert running == {"bystander": True, "s1": False, "s2": True}  # s2 still holds it up
    send(rt, pid_of(sup, "s2"), "crash")
    event = exit_of(me, sup.pid)
    assert event.error is not None and "auto_shutdown" in event.error.message


def test_a_bystander_ending_does_not_trigger_auto_shutdown(
    rt: Runtime, journal: Journal, me: Process
) -> None:
    spec = SupervisorSpec(
        HOST,
        (
            ChildSpec("bystander", worker, (journal, "b"), restart="temporary"),
            ChildSpec("sig", worker, (journal, "s"), restart="temporary", significant=True),
        ),
        auto_shutdown="any_significant",
    )
    sup = start_supervisor(rt, spec)
    me.monitor(sup.pid)
    send(rt, pid_of(sup, "bystander"), "exit")
    wait_until(lambda: [info.id for info in sup.which_children()] == ["sig"])
    assert [(i.id, i.state) for i in still_running(me, sup)] == [("sig", "running")]


def test_terminating_a_significant_child_does_not_trigger_auto_shutdown(
    rt: Runtime, journal: Journal, me: Process
) -> None:
    sup = start_supervisor(rt, _sup(journal, "any_significant", ("sig", "transient")))
    me.monitor(sup.pid)
    sup.terminate_child("sig")
    states = [(i.id, i.state) for i in still_running(me, sup)]
    assert states == [("bystander", "running"), ("sig", "stopped")]


def test_auto_shutdown_escalates_as_shutdown_through_a_transient_parent(
    rt: Runtime, journal: Journal, me: Process
) -> None:
    inner = _sup(journal, "any_significant", ("job", "temporary"))
    outer = SupervisorSpec(
        HOST,
        (ChildSpec("unit", inner, restart="transient", significant=True),),
        auto_shutdown="any_significant",
    )
    sup = start_supervisor(rt, outer)
    me.monitor(sup.pid)
    unit = Supervisor(rt, pid_of(sup, "unit"))
    assert [info.type for info in sup.which_children()] == ["supervisor"]
    send(rt, pid_of(unit, "job"), "exit")
    event = exit_of(me, sup.pid)  # the inner unit shut down, so the outer one did too
    assert event.error is not None and event.error.kind == "shutdown"
    wait_until(lambda: rt.stats().processes == 1)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"restart": "permanent", "significant": True}, "cannot be permanent"),
    ],
)
def test_invalid_significant_child_specs_are_rejected(flags: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match=message):
        ChildSpec("c", "x:y", **flags)


def test_significant_child_needs_auto_shutdown() -> None:
    child = ChildSpec("c", "x:y", restart="transient", significant=True)
    with pytest.raises(ValueError, match="auto_shutdown is 'never'"):
        SupervisorSpec(HOST, (child,))


def test_simple_one_for_one_cannot_auto_shutdown() -> None:
    child = ChildSpec("c", "x:y", restart="transient")
    with pytest.raises(ValueError, match="simple_one_for_one"):
        SupervisorSpec(
            HOST, (child,), strategy="simple_one_for_one", auto_shutdown="any_significant"
        )
