"""Trees of real processes: crashing WASM workers, limit hits, a depth-3 crash storm, and
supervisors declared as registry entries and started with the app."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

import wippy
from tests.actors.actor_helpers import wait_until
from tests.conftest import AppWriter
from tests.supervisors import sup_targets
from tests.supervisors.sup_helpers import HOST, captured_reports, exit_of, reports
from wippy.actors import Process, Runtime
from wippy.supervisors import (
    ChildSpec,
    Supervisor,
    SupervisorSpec,
    SupervisorStartError,
    start_supervisor,
)

HOST_ENTRY = {
    "name": "processes",
    "kind": "process.host",
    "host": {"workers": 16},
    "lifecycle": {"auto_start": True},
}
WASM = [
    {"name": "crash", "kind": "process.wasm", "path": "traps.wasm", "method": "div_zero"},
    {"name": "spin", "kind": "process.wasm", "path": "traps.wasm", "method": "busy"},
    {
        "name": "fuel",
        "kind": "process.wasm",
        "path": "traps.wasm",
        "method": "count",
        "limits": {"fuel": 10_000},
    },
    {
        "name": "bomb",
        "kind": "process.wasm",
        "path": "membomb.wasm",
        "method": "grow_forever",
        "limits": {"max_memory": "1MiB"},
    },
]


def _supervisor(name: str, children: list[dict[str, Any]], **flags: Any) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "process.supervisor",
        "host": "test:processes",
        "children": children,
        **flags,
    }


def _watched(rt: Runtime, me: Process, spec: SupervisorSpec | str) -> Supervisor:
    """Starts a supervisor that ``me`` monitors from its spawn on (linked, links trapped).

    Monitoring after ``start_supervisor`` returns would miss what a fast-failing child makes
    the supervisor do before then: its reports, even its own exit.
    """
    me.set_options(trap_links=True)
    return start_supervisor(rt, spec, parent=me)


@pytest.fixture
def app(write_app: AppWriter) -> Path:
    return write_app(
        HOST_ENTRY,
        *WASM,
        _supervisor(
            "leaf",
            [{"id": "worker", "process": "test:crash", "args": [0]}],
            intensity=1,
            period="10s",
        ),
        _supervisor("mid", [{"id": "leaf", "process": "test:leaf"}], intensity=2, period="10s"),
        _supervisor("root", [{"id": "mid", "process": "test:mid"}], intensity=1, period="10s"),
    )


def test_a_trapping_wasm_storm_escalates_to_the_root_as_otp_would(app: Path) -> None:
    # Each leaf runs its worker twice (intensity 1), each mid runs 3 leaves (intensity 2),
    # the root runs 2 mids (intensity 1): 2 * 3 * 2 = 12 worker runs, then the root gives up.
    with wippy.load(app) as rt, rt.process() as me, captured_reports() as lines:
        sup = _watched(rt, me, "test:root")
        event = exit_of(me, sup.pid, timeout=60)
        assert event.error is not None and "max restart intensity" in event.error.message
        worker_exits = [line for line in lines if ": child_exit worker " in line]
        assert len(worker_exits) == 12, lines
        assert all("trap" in line and "divide by zero" in line for line in worker_exits)
        gave_up = [line.split(":")[1] for line in lines if ": give_up" in line]
        assert gave_up.count("leaf") == 6 and gave_up.count("mid") == 2
        assert gave_up.count("root") == 1
        wait_until(lambda: rt.stats().processes == 1)


def test_a_crash_storm_stops_escalating_where_otp_would_absorb_it(rt: Runtime, me: Process) -> None:
    runs: list[str] = []
    lock = threading.Lock()

    def flaky(proc: Process) -> None:
        with lock:
            runs.append("run")
            crash = len(runs) <= 6
        if crash:
            raise RuntimeError(f"crash {len(runs)}")
        proc.receive(topic="never")

    leaf = SupervisorSpec(HOST, (ChildSpec("worker", flaky),), intensity=1, name="leaf")
    mid = SupervisorSpec(HOST, (ChildSpec("leaf", leaf),), intensity=2, name="mid")
    root = SupervisorSpec(HOST, (ChildSpec("mid", mid),), intensity=1, name="root")
    with captured_reports() as lines:
        sup = _watched(rt, me, root)
        # 3 leaves x 2 crashes, mid gave up, root restarted
        wait_until(lambda: len(runs) == 7, timeout=60)
        seen = reports(me, lambda r: r.action == "restarted", timeout=60)
        assert [r.child_id for r in seen if r.action == "restarted"] == ["mid"]
    assert sup.alive
    gave_up = [line.split(":")[0] for line in lines if ": give_up" in line]
    assert gave_up.count("leaf") == 3 and gave_up.count("mid") == 1 and "root" not in gave_up
    mid_sup = Supervisor(rt, sup.which_children()[0].pid)  # type: ignore[arg-type]
    leaf_sup = Supervisor(rt, mid_sup.which_children()[0].pid)  # type: ignore[arg-type]
    assert leaf_sup.which_children()[0].state == "running"


@pytest.mark.parametrize(
    ("entry", "args", "kind"),
    [("test:fuel", [10**9], "fuel"), ("test:bomb", [], "memory"), ("test:crash", [0], "trap")],
)
def test_wasm_children_failing_on_limits_and_traps_are_restarted(
    write_app: AppWriter, entry: str, args: list[int], kind: str
) -> None:
    path = write_app(HOST_ENTRY, *WASM)
    with wippy.load(path) as rt, rt.process() as me:
        spec = SupervisorSpec("test:processes", (ChildSpec("w", entry, tuple(args)),), intensity=3)
        _watched(rt, me, spec)
        seen = reports(me, lambda r: r.action == "restarted", timeout=60)
        assert [r.action for r in seen] == ["started", "child_exit", "restarted"], seen
        assert seen[1].error is not None and seen[1].error.kind == kind, seen[1].error


def test_a_busy_wasm_child_that_cannot_see_cancel_stops_at_once(write_app: AppWriter) -> None:
    """Its shutdown time is not waited out: without the process API it cannot see CANCEL, so,
    as an Erlang worker not trapping exits, it ends at once with kind ``shutdown``."""
    path = write_app(HOST_ENTRY, *WASM)
    with wippy.load(path) as rt, rt.process() as me:
        spec = SupervisorSpec("test:processes", (ChildSpec("w", "test:spin", shutdown=5.0),))
        sup = start_supervisor(rt, spec)
        child = sup.which_children()[0].pid
        assert child is not None
        me.monitor(child)
        asked = time.monotonic()
        sup.stop(timeout=10)
        event = exit_of(me, child)
        assert event.error is not None and event.error.kind == "shutdown"
        assert time.monotonic() - asked < 2.5


def test_a_wasm_child_with_bad_args_fails_the_supervisor_start(write_app: AppWriter) -> None:
    path = write_app(HOST_ENTRY, *WASM)
    with wippy.load(path) as rt:
        spec = SupervisorSpec("test:processes", (ChildSpec("w", "test:crash", ("x",)),))
        with pytest.raises(SupervisorStartError) as info:
            start_supervisor(rt, spec)
        assert info.value.child_id == "w" and "div_zero" in str(info.value)


def test_app_starts_auto_start_supervisors_and_stops_them_in_reverse(
    write_app: AppWriter,
) -> None:
    sup_targets.JOURNAL.clear()
    members = [
        {
            "name": name,
            "kind": "process.python",
            "module": "tests.supervisors.sup_targets",
            "method": "member",
        }
        for name in ("m",)
    ]
    auto = {"auto_start": True}
    path = write_app(
        HOST_ENTRY,
        *members,
        _supervisor(
            "first",
            [
                {"id": "a", "process": "test:m", "args": ["a"]},
                {"id": "b", "process": "test:m", "args": ["b"]},
            ],
            lifecycle=auto,
        ),
        _supervisor("second", [{"id": "c", "process": "test:m", "args": ["c"]}], lifecycle=auto),
        _supervisor("idle", [{"id": "d", "process": "test:m", "args": ["d"]}]),
    )
    rt = wippy.load(path)
    try:
        status = rt.app_status()
        assert [(s.entry_id, s.kind, s.state) for s in status] == [
            ("test:first", "process.supervisor", "running"),
            ("test:second", "process.supervisor", "running"),
        ]
        wait_until(lambda: len(sup_targets.JOURNAL) == 3)
    finally:
        rt.stop()
    stops = [name for what, name in sup_targets.JOURNAL if what == "stop"]
    assert stops == ["c", "b", "a"]


def test_app_start_failure_names_the_supervisor_and_child(write_app: AppWriter) -> None:
    path = write_app(
        HOST_ENTRY,
        *WASM,
        _supervisor(
            "bad",
            [{"id": "w", "process": "test:crash", "args": ["x"]}],
            lifecycle={"auto_start": True},
        ),
    )
    with pytest.raises(SupervisorStartError) as info:
        wippy.load(path)
    assert "test:bad" in str(info.value) and info.value.child_id == "w"


def test_stop_app_stops_supervisors_and_keeps_the_hosts(write_app: AppWriter) -> None:
    sup_targets.JOURNAL.clear()
    path = write_app(
        HOST_ENTRY,
        {"name": "m", "kind": "process.python", "module": "tests.supervisors.sup_targets",
         "method": "member"},
        _supervisor("only", [{"id": "a", "process": "test:m", "args": ["a"]}],
                    lifecycle={"auto_start": True}),
    )
    with wippy.load(path) as rt:
        rt.stop_app()
        assert [item.state for item in rt.app_status()] == []
        assert ("stop", "a") in sup_targets.JOURNAL
        assert rt.host_stats("test:processes").state.value == "running"
        rt.stop_app()  # idempotent
