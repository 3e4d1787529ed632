"""The supervisor API (OTP supervisor_SUITE: child_adm, child_adm_simple, count_children,
which_children) and the reports monitors get."""

from __future__ import annotations

import pytest

from tests.actors.actor_helpers import wait_until
from tests.supervisors.sup_helpers import HOST, Journal, exit_of, pid_of, reports, send, worker
from wippy.actors import Process, Runtime
from wippy.supervisors import (
    ChildSpec,
    SupervisorError,
    SupervisorSpec,
    start_supervisor,
)


def test_child_adm(rt: Runtime, journal: Journal) -> None:
    sup = start_supervisor(rt, SupervisorSpec(HOST, (ChildSpec("a", worker, (journal, "a")),)))
    spec = ChildSpec("b", worker, (journal, "b"))
    pid = sup.start_child(spec)
    assert [(i.id, i.pid, i.state) for i in sup.which_children()][1] == ("b", pid, "running")

    with pytest.raises(SupervisorError) as info:
        sup.start_child(spec)
    assert info.value.reason == "already_started"
    for call in (sup.delete_child, sup.restart_child):
        with pytest.raises(SupervisorError) as info:
            call("b")
        assert info.value.reason == "running"

    sup.terminate_child("b")
    assert sup.which_children()[1].state == "stopped" and not rt.is_alive(pid)
    with pytest.raises(SupervisorError) as info:
        sup.start_child(spec)
    assert info.value.reason == "already_present"

    again = sup.restart_child("b")
    assert again != pid and rt.is_alive(again)
    sup.terminate_child("b")
    sup.delete_child("b")
    assert [i.id for i in sup.which_children()] == ["a"]

    for call in (sup.terminate_child, sup.restart_child, sup.delete_child):
        with pytest.raises(SupervisorError) as info:
            call("nope")
        assert info.value.reason == "not_found"


def test_terminate_child_forgets_a_temporary_child(rt: Runtime, journal: Journal) -> None:
    sup = start_supervisor(rt, SupervisorSpec(HOST))
    sup.start_child(ChildSpec("t", worker, (journal, "t"), restart="temporary"))
    sup.terminate_child("t")
    assert sup.which_children() == []


def test_start_child_that_cannot_start_is_not_added(rt: Runtime) -> None:
    sup = start_supervisor(rt, SupervisorSpec(HOST))
    with pytest.raises(SupervisorError) as info:
        sup.start_child(ChildSpec("x", "test:nothing"))
    assert info.value.reason == "start_failed" and "test:nothing" in str(info.value)
    assert sup.which_children() == []


def test_child_adm_simple(rt: Runtime, journal: Journal) -> None:
    template = ChildSpec("w", worker, (journal,))
    sup = start_supervisor(rt, SupervisorSpec(HOST, (template,), strategy="simple_one_for_one"))
    pid = sup.start_child(("one",))
    for call in (sup.restart_child, sup.delete_child):
        with pytest.raises(SupervisorError) as info:
            call("w")
        assert info.value.reason == "simple_one_for_one"
    with pytest.raises(SupervisorError):
        sup.terminate_child("w")  # by pid only
    sup.terminate_child(pid)
    assert sup.which_children() == [] and not rt.is_alive(pid)


def test_count_children(rt: Runtime, journal: Journal) -> None:
    nested = SupervisorSpec(HOST, (ChildSpec("inner", worker, (journal, "i")),))
    spec = SupervisorSpec(
        HOST,
        (
            ChildSpec("w1", worker, (journal, "w1")),
            ChildSpec("s", nested),
            ChildSpec("w2", worker, (journal, "w2"), restart="transient"),
        ),
    )
    sup = start_supervisor(rt, spec)
    counts = sup.count_children()
    assert (counts.specs, counts.active, counts.supervisors, counts.workers) == (3, 3, 1, 2)
    send(rt, pid_of(sup, "w2"), "exit")
    wait_until(lambda: sup.count_children().active == 2)
    assert [i.type for i in sup.which_children()] == ["worker", "supervisor", "worker"]


def test_monitors_see_every_restart_and_the_give_up(
    rt: Runtime, journal: Journal, me: Process
) -> None:
    spec = SupervisorSpec(HOST, (ChildSpec("a", worker, (journal, "a")),), intensity=1)
    sup = start_supervisor(rt, spec)
    me.monitor(sup.pid)
    first = pid_of(sup, "a")
    send(rt, first, "crash")
    seen = reports(me, lambda r: r.action == "restarted")
    assert [r.action for r in seen] == ["child_exit", "restarted"]
    assert seen[0].child_pid == first and seen[0].error is not None
    assert "crashed" in seen[0].error.message
    send(rt, seen[1].child_pid, "crash")  # type: ignore[arg-type]
    seen = reports(me, lambda r: r.action == "give_up")
    assert "max restart intensity" in seen[-1].detail
    assert exit_of(me, sup.pid).error is not None


def test_requests_to_a_stopped_supervisor_fail_with_noproc(rt: Runtime) -> None:
    sup = start_supervisor(rt, SupervisorSpec(HOST))
    sup.stop()
    with pytest.raises(SupervisorError) as info:
        sup.which_children()
    assert info.value.reason == "noproc"
    assert sup.stop() is None


def test_a_malformed_request_is_refused_without_harming_the_supervisor(rt: Runtime) -> None:
    sup = start_supervisor(rt, SupervisorSpec(HOST))
    with pytest.raises(SupervisorError) as info:
        sup.start_child(42)  # not a ChildSpec, not args
    assert info.value.reason == "badarg"
    with pytest.raises(SupervisorError) as info:
        sup._call("which_children", "extra", timeout=5)
    assert info.value.reason == "badarg"
    assert sup.which_children() == []
