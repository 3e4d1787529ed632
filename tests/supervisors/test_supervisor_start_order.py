"""OTP start order: a child counts as started once its Init completed (or, asked to, once it
acked with ready()); only then does the next one start. A child that fails its Init, exits,
or does not start in time is a start failure naming it."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

import wippy
from tests.actors.actor_helpers import wait_until
from tests.conftest import AppWriter
from tests.supervisors.sup_helpers import HOST, Journal, captured_reports, pid_of, worker
from wippy.actors import CANCEL, Event, Process, ProcessTerminated, Runtime
from wippy.supervisors import (
    ChildSpec,
    Supervisor,
    SupervisorError,
    SupervisorSpec,
    SupervisorStartError,
    start_supervisor,
)


def _spec(*children: ChildSpec, **flags: Any) -> SupervisorSpec:
    return SupervisorSpec(HOST, children, **flags)


def until_cancel(proc: Process) -> None:
    proc.receive(match=lambda item: isinstance(item, Event) and item.type == CANCEL)


def test_child_two_starts_once_child_one_acked_so_it_finds_its_name(
    rt: Runtime, journal: Journal
) -> None:
    gate = threading.Event()
    found: list[object] = []

    def database(proc: Process) -> None:
        journal.add("start", "db")
        gate.wait(10)  # the work of its init, before it can be found
        proc.register("db")
        proc.ready()
        until_cancel(proc)

    def app(proc: Process) -> None:
        found.append(proc.lookup("db"))
        journal.add("start", "app")
        if found[0] is None:
            raise RuntimeError("no db")
        until_cancel(proc)

    started: list[Supervisor] = []
    spec = _spec(ChildSpec("db", database, ack=True), ChildSpec("app", app))
    starting = threading.Thread(target=lambda: started.append(start_supervisor(rt, spec)))
    starting.start()
    wait_until(lambda: journal.of("start") == ["db"])
    assert journal.of("start") == ["db"]  # app waits for db's ack, not just for db to run
    gate.set()
    starting.join(10)
    sup = started[0]
    assert journal.of("start") == ["db", "app"]
    assert found == [pid_of(sup, "db")]
    assert [c.state for c in sup.which_children()] == ["running", "running"]


def test_a_function_child_counts_as_started_once_entered(rt: Runtime) -> None:
    """Without ack, child 2 is spawned only after child 1's function was entered (on a host
    with many workers, where nothing else orders them)."""
    for _ in range(5):
        journal = Journal()
        seen: list[list[str]] = []

        def second(proc: Process, journal: Journal = journal, seen: list[list[str]] = seen) -> None:
            seen.append(journal.of("start"))
            until_cancel(proc)

        spec = _spec(ChildSpec("first", worker, (journal, "first")), ChildSpec("second", second))
        start_supervisor(rt, spec).stop()
        assert seen == [["first"]]


def test_a_wasm_child_failing_its_init_is_a_start_failure_not_a_restart(
    write_app: AppWriter,
) -> None:
    """traps.wasm needs a 64 KiB page; under a 32 KiB limit it cannot be instantiated."""
    path: Path = write_app(
        {"name": "processes", "kind": "process.host", "lifecycle": {"auto_start": True}},
        {"name": "spin", "kind": "process.wasm", "path": "traps.wasm", "method": "busy"},
        {"name": "small", "kind": "process.wasm", "path": "traps.wasm", "method": "busy",
         "limits": {"max_memory": "32KiB"}},
        {"name": "sup", "kind": "process.supervisor", "host": "test:processes",
         "intensity": 5, "children": [{"id": "first", "process": "test:spin"},
                                      {"id": "small", "process": "test:small"},
                                      {"id": "never", "process": "test:spin"}]},
    )
    with wippy.load(path) as rt, captured_reports() as lines:
        with pytest.raises(SupervisorStartError) as info:
            start_supervisor(rt, "test:sup")
        assert info.value.child_id == "small"
        error = info.value.error
        assert not isinstance(error, str) and error.kind == "memory"
        assert "more memory than its limit" in error.message
        assert not any("restart" in line for line in lines), lines
        wait_until(lambda: rt.stats().processes == 0)  # first was stopped; never never ran


def test_an_ack_declared_in_yaml_is_waited_for(write_app: AppWriter) -> None:
    path: Path = write_app(
        {"name": "processes", "kind": "process.host", "lifecycle": {"auto_start": True}},
        {"name": "slow", "kind": "process.python", "module": "tests.supervisors.sup_targets",
         "method": "slow_starter"},
        {"name": "sup", "kind": "process.supervisor", "host": "test:processes", "children": [
            {"id": "slow", "process": "test:slow", "args": [0.2],
             "start": {"ack": True, "timeout": "5s"}},
        ]},
    )
    with wippy.load(path) as rt:
        began = time.monotonic()
        sup = start_supervisor(rt, "test:sup")
        assert time.monotonic() - began >= 0.2  # it returned after the ack, not at the spawn
        assert rt.lookup("slow-ready") == pid_of(sup, "slow")
        sup.stop()


def test_an_ack_timeout_terminates_the_child_and_fails_the_start(
    rt: Runtime, journal: Journal
) -> None:
    spec = _spec(
        ChildSpec("first", worker, (journal, "first")),
        ChildSpec("mute", worker, (journal, "mute"), ack=True, start_timeout=0.3),
    )
    began = time.monotonic()
    with pytest.raises(SupervisorStartError) as info:
        start_supervisor(rt, spec)
    assert 0.3 <= time.monotonic() - began < 5
    assert info.value.child_id == "mute"
    assert "timeout: waited 0.3s for its ready() ack; terminated" in str(info.value)
    assert journal.of("cancel") == ["first"]  # mute was terminated, first stopped in order
    wait_until(lambda: rt.stats().processes == 0)


def test_a_child_exiting_before_its_ack_is_a_start_failure(rt: Runtime) -> None:
    def quits(proc: Process) -> str:
        return "bye"

    def fails(proc: Process) -> None:
        raise ValueError("no config")

    with pytest.raises(SupervisorStartError, match="child 'quits': start_failed: exited before"):
        start_supervisor(rt, _spec(ChildSpec("quits", quits, ack=True)))
    with pytest.raises(SupervisorStartError, match="child 'fails': exception: ValueError: no"):
        start_supervisor(rt, _spec(ChildSpec("fails", fails, ack=True)))


def test_a_late_ack_is_ignored(rt: Runtime, journal: Journal) -> None:
    """start_child of a child that acks after its timeout: it was terminated, so its ack
    raises in it and changes nothing; the supervisor carries on."""
    late: list[str] = []

    def sluggish(proc: Process) -> None:
        time.sleep(0.6)  # outside wippy: termination reaches it at its next wippy call
        try:
            proc.ready()
        except ProcessTerminated:
            late.append("ack refused")
            raise

    sup = start_supervisor(rt, _spec(ChildSpec("a", worker, (journal, "a"))))
    with pytest.raises(SupervisorError) as info:
        sup.start_child(ChildSpec("slow", sluggish, ack=True, start_timeout=0.2))
    assert info.value.reason == "start_failed" and "timeout" in str(info.value)
    wait_until(lambda: late == ["ack refused"])
    assert [c.id for c in sup.which_children()] == ["a"]
    assert sup.stop() is not None


def test_a_restarted_child_is_waited_for_again(rt: Runtime, journal: Journal) -> None:
    acks: list[int] = []

    def acker(proc: Process) -> None:
        acks.append(len(acks) + 1)
        proc.ready(len(acks))
        item = proc.receive()
        if getattr(item, "topic", None) == "crash":
            raise RuntimeError("crash")

    spec = _spec(ChildSpec("w", acker, ack=True), ChildSpec("after", worker, (journal, "after")),
                 strategy="rest_for_one", intensity=5)
    sup = start_supervisor(rt, spec)
    first = pid_of(sup, "w")
    assert rt.send(first, "crash")
    wait_until(lambda: len(journal.of("start")) == 2)  # "after" restarted after w acked
    assert acks == [1, 2]
    sup.stop()
