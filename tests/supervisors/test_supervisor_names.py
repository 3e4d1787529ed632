"""Names: supervisors and services started from an entry are registered under its id, the
Supervisor client takes a name, child specs name their children (again after each restart),
and a taken name is a clear error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import wippy
from tests.actors.actor_helpers import wait_until
from tests.conftest import AppWriter
from tests.supervisors import sup_targets
from tests.supervisors.sup_helpers import HOST, Journal, crash_and_wait, exit_of, pid_of, worker
from wippy.actors import Process, Runtime
from wippy.config import ConfigError
from wippy.supervisors import (
    AlreadyStartedError,
    ChildSpec,
    ServiceSpec,
    Supervisor,
    SupervisorError,
    SupervisorSpec,
    SupervisorStartError,
    start_service,
    start_supervisor,
)

POOL = {"name": "processes", "kind": "process.host", "lifecycle": {"auto_start": True}}
MEMBER = {"name": "member", "kind": "process.python", "module": "tests.supervisors.sup_targets",
          "method": "member"}


def supervisor(name: str, *children: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"name": name, "kind": "process.supervisor", "host": "test:processes",
            "children": list(children), **fields}


@pytest.fixture
def app(write_app: AppWriter) -> Path:
    sup_targets.JOURNAL.clear()
    return write_app(
        POOL, MEMBER,
        supervisor("leaf", {"id": "m", "process": "test:member", "args": ["m"],
                            "name": "leaf-worker"}),
        supervisor("root", {"id": "leaf", "process": "test:leaf"}, intensity=5),
        supervisor("unnamed", {"id": "m", "process": "test:member", "args": ["u"]}),
        supervisor("pool", {"id": "t", "process": "test:unnamed"}, strategy="simple_one_for_one"),
        {"name": "svc", "kind": "process.service", "process": "test:member",
         "host": "test:processes", "input": ["svc"]},
    )


def test_an_entry_supervisor_is_registered_and_a_second_instance_is_refused(app: Path) -> None:
    with wippy.load(app) as rt, rt.process() as me:
        first = start_supervisor(rt, "test:leaf")
        assert rt.lookup("test:leaf") == first.pid
        by_name = Supervisor(rt, "test:leaf")
        assert [c.id for c in by_name.which_children()] == ["m"]
        assert by_name.count_children().active == 1
        for start in (lambda: start_supervisor(rt, "test:leaf"),
                      lambda: me.spawn_monitored("test:leaf", "test:processes")):
            with pytest.raises(AlreadyStartedError) as info:
                start()
            assert info.value.pid == first.pid and info.value.reason == "already_started"
            assert f"test:leaf is already started as {first.pid}" in str(info.value)
        assert me.pending() == 0 and len(sup_targets.JOURNAL) == 1  # nothing else started
        by_name.stop()
        assert rt.lookup("test:leaf") is None  # freed when it exited
        with pytest.raises(SupervisorError) as gone:
            by_name.which_children()
        assert gone.value.reason == "noproc"
        again = me.spawn_monitored("test:leaf", "test:processes")  # the name is free again
        assert rt.lookup("test:leaf") == again


def test_the_client_follows_a_name_to_a_restarted_supervisor(app: Path) -> None:
    with wippy.load(app) as rt:
        start_supervisor(rt, "test:root")
        leaf = Supervisor(rt, "test:leaf")  # the nested one, registered under its entry id
        old = leaf.pid
        rt.terminate(old)  # its parent restarts it
        wait_until(lambda: rt.lookup("test:leaf") not in (None, old))
        assert leaf.pid != old and [c.id for c in leaf.which_children()] == ["m"]


def test_a_child_name_is_registered_again_after_a_restart(app: Path) -> None:
    with wippy.load(app) as rt:
        start_supervisor(rt, "test:root")
        worker_pid = rt.lookup("leaf-worker")
        assert worker_pid == pid_of(Supervisor(rt, "test:leaf"), "m")
        rt.terminate("leaf-worker")
        wait_until(lambda: rt.lookup("leaf-worker") not in (None, worker_pid))
        assert rt.lookup("leaf-worker") == pid_of(Supervisor(rt, "test:leaf"), "m")


def test_named_python_children_through_restarts(rt: Runtime, journal: Journal) -> None:
    spec = SupervisorSpec(HOST, (ChildSpec("a", worker, (journal, "a"), name="alpha"),),
                          intensity=10)
    sup = start_supervisor(rt, spec)
    for _ in range(3):
        new = crash_and_wait(rt, sup, "a")
        wait_until(lambda new=new: rt.lookup("alpha") == new)
    assert [c.state for c in sup.which_children()] == ["running"]
    sup.stop()


def test_a_child_name_taken_by_another_process_fails_its_start(
    rt: Runtime, me: Process, journal: Journal
) -> None:
    me.register("alpha")
    spec = SupervisorSpec(HOST, (ChildSpec("a", worker, (journal, "a"), name="alpha"),))
    with pytest.raises(SupervisorStartError) as info:
        start_supervisor(rt, spec)
    assert info.value.child_id == "a"
    assert f"name_taken: name 'alpha' is already registered to {me.pid}" in str(info.value)
    assert journal.of("start") == []


def test_a_simple_one_for_one_template_supervisor_is_not_registered(app: Path) -> None:
    """Its dynamic children are many instances of one entry: unnamed."""
    with wippy.load(app) as rt:
        pool = start_supervisor(rt, "test:pool")
        first, second = pool.start_child(()), pool.start_child(())
        assert first != second and rt.lookup("test:unnamed") is None
        assert rt.lookup("test:pool") == pool.pid


def test_a_service_is_registered_under_its_entry_id(app: Path) -> None:
    with wippy.load(app) as rt, rt.process() as me:
        spec = ServiceSpec.from_registry(rt.registry, "test:svc")  # type: ignore[arg-type]
        pid = start_service(rt, spec, owner=me)
        assert rt.lookup("test:svc") == pid
        with pytest.raises(AlreadyStartedError) as info:
            me.spawn("test:svc", "test:processes")
        assert info.value.pid == pid
        me.cancel("test:svc")
        assert exit_of(me, pid).ok
        assert rt.lookup("test:svc") is None


def test_child_names_are_checked_at_load(write_app: AppWriter) -> None:
    twice = write_app(POOL, MEMBER, supervisor(
        "s", {"id": "a", "process": "test:member", "name": "x"},
        {"id": "b", "process": "test:member", "name": "x"}))
    with pytest.raises(ConfigError, match="two children are named 'x'"):
        wippy.load(twice)
    template = write_app(POOL, MEMBER, supervisor(
        "s", {"id": "a", "process": "test:member", "name": "x"}, strategy="simple_one_for_one"))
    with pytest.raises(ConfigError, match="simple_one_for_one supervisor cannot have a name"):
        wippy.load(template)
    with pytest.raises(ValueError, match="process name"):
        ChildSpec("a", "test:member", name="<x.1>")
    with pytest.raises(ValueError, match="start_timeout must be > 0"):
        ChildSpec("a", "test:member", start_timeout=0)
