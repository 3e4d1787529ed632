"""A supervisor is a process: spawning a process.supervisor or process.service entry starts it
like any process (OTP's start_link from a process), returning once its children started."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import wippy
from tests.actors.actor_helpers import wait_until
from tests.conftest import AppWriter
from tests.supervisors import sup_targets
from tests.supervisors.sup_helpers import exit_of, reports
from wippy.actors import EXIT, Event, Process, SpawnArgumentError, SpawnError
from wippy.supervisors import Supervisor, SupervisorStartError

POOL = {"name": "processes", "kind": "process.host", "host": {"workers": 8},
        "lifecycle": {"auto_start": True}}
OTHER = {"name": "other", "kind": "process.host", "lifecycle": {"auto_start": True}}
ONE = {"name": "one", "kind": "process.host", "host": {"workers": 1},
       "lifecycle": {"auto_start": True}}
MEMBER = {"name": "member", "kind": "process.python", "module": "tests.supervisors.sup_targets",
          "method": "member"}
CRASH = {"name": "crash", "kind": "process.wasm", "path": "traps.wasm", "method": "div_zero"}


def supervisor(name: str, *children: dict[str, Any], host: str = "test:processes",
               **fields: Any) -> dict[str, Any]:
    return {"name": name, "kind": "process.supervisor", "host": host,
            "children": list(children), **fields}


def members(*names: str) -> list[dict[str, Any]]:
    return [{"id": name, "process": "test:member", "args": [name]} for name in names]


@pytest.fixture
def app(write_app: AppWriter) -> Path:
    sup_targets.JOURNAL.clear()
    return write_app(
        POOL, OTHER, ONE, MEMBER, CRASH,
        supervisor("workers", *members("a", "b")),
        supervisor("crashing", {"id": "w", "process": "test:crash", "args": [0]}, intensity=1),
        supervisor("broken", *members("a"), {"id": "w", "process": "test:crash", "args": ["x"]}),
        supervisor("local", *members("x"), host="test:one"),
        {"name": "svc", "kind": "process.service", "process": "test:member",
         "host": "test:processes", "input": ["svc"]},
    )


def test_spawn_monitored_returns_once_the_children_started_and_gives_exit_on_give_up(
    app: Path,
) -> None:
    """The seed's way: spawn_monitored of a supervisor entry, then its EXIT when it gives up
    (its WebAssembly child traps on every run)."""
    with wippy.load(app) as rt, rt.process() as me:
        pid = me.spawn_monitored("test:crashing", "test:processes")
        seen = reports(me, lambda r: r.action == "give_up", timeout=30)
        assert seen[0].action == "started"
        assert [r.child_id for r in seen if r.action == "child_exit"] == ["w", "w"]
        event = exit_of(me, pid, timeout=30)
        assert event.error is not None and event.error.kind == "shutdown"
        assert "reached max restart intensity" in event.error.message


def test_it_runs_on_the_spawn_host_and_its_children_on_the_entry_host(app: Path) -> None:
    with wippy.load(app) as rt, rt.process() as me:
        pid = me.spawn_monitored("test:workers", "test:other")
        assert sorted(sup_targets.JOURNAL) == [("start", "a"), ("start", "b")]  # started
        assert pid.host == "test:other"
        children = Supervisor(rt, pid).which_children()
        assert [(c.id, c.state) for c in children] == [("a", "running"), ("b", "running")]
        assert all(c.pid is not None and c.pid.host == "test:processes" for c in children)
        me.cancel(pid)
        assert exit_of(me, pid).ok
        assert [what for what, _ in sup_targets.JOURNAL].count("stop") == 2


def test_spawned_from_a_process_on_a_one_worker_host_it_does_not_deadlock(app: Path) -> None:
    """The spawning process waits in a receive, which gives the only worker back, so the
    supervisor and its child can run on it."""

    def parent(proc: Process) -> list[str]:
        pid = proc.spawn_monitored("test:local", "test:one")
        ids = [child.id for child in Supervisor(rt, pid).which_children(timeout=10)]
        proc.cancel(pid)
        proc.receive(timeout=10, match=lambda i: isinstance(i, Event) and i.pid == pid
                     and i.type == EXIT)
        return ids

    with wippy.load(app) as rt, rt.process() as me:
        pid = me.spawn_function(parent, "test:one", monitor=True)
        event = exit_of(me, pid, timeout=30)
        assert event.ok and event.value == ["x"], event


def test_a_start_failure_is_raised_by_spawn_linked_and_fails_nobody(app: Path) -> None:
    with wippy.load(app) as rt, rt.process() as me:
        with pytest.raises(SupervisorStartError) as info:
            me.spawn_linked("test:broken", "test:processes")
        assert isinstance(info.value, SpawnError)
        assert info.value.child_id == "w" and "div_zero" in str(info.value)
        assert me.alive and me.pending() == 0  # no EXIT, no LINK_DOWN left behind
        wait_until(lambda: ("stop", "a") in sup_targets.JOURNAL)  # started child stopped
        wait_until(lambda: rt.stats().processes == 1)


def test_spawn_linked_links_once_started(app: Path) -> None:
    """The spawner failing then stops the supervisor, children first."""

    def parent(proc: Process) -> None:
        proc.spawn_linked("test:workers", "test:processes")
        proc.receive(topic="crash")
        raise RuntimeError("parent crashed")

    with wippy.load(app) as rt:
        pid = rt.spawn_function(parent, "test:processes")
        wait_until(lambda: rt.lookup("test:workers") is not None)
        assert rt.send(pid, "crash")
        wait_until(lambda: rt.lookup("test:workers") is None)
        assert sorted(n for what, n in sup_targets.JOURNAL if what == "stop") == ["a", "b"]


def test_runtime_spawn_of_a_supervisor_entry_leaves_no_handle(app: Path) -> None:
    with wippy.load(app) as rt:
        pid = rt.spawn("test:workers", "test:processes")
        assert rt.lookup("test:workers") == pid
        assert rt.stats().handles == 0  # the temporary handle that waited is closed
        assert Supervisor(rt, "test:workers").stop(timeout=10) is not None


def test_a_service_entry_spawns_like_a_process(app: Path) -> None:
    with wippy.load(app) as rt, rt.process() as me:
        pid = me.spawn_monitored("test:svc", "test:other")
        assert ("start", "svc") in sup_targets.JOURNAL  # its child started
        assert pid.host == "test:other" and rt.lookup("test:svc") == pid
        me.cancel("test:svc")
        assert exit_of(me, pid).ok
        assert ("stop", "svc") in sup_targets.JOURNAL


def test_supervisor_and_service_entries_take_no_arguments(app: Path) -> None:
    with wippy.load(app) as rt, rt.process() as me:
        for entry in ("test:workers", "test:svc"):
            with pytest.raises(SpawnArgumentError, match="takes no arguments"):
                me.spawn(entry, "test:processes", 1)
        assert rt.stats().processes == 1
