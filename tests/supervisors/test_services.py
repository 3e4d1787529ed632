"""Services: a manager process keeping one child running with Wippy's lifecycle.

Each scenario runs real processes on a real runtime; timing checks use lower bounds that follow
from the delays themselves and generous upper bounds.
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.actors.actor_helpers import wait_until
from tests.conftest import AppWriter
from wippy.actors import CANCEL, EXIT, SUPERVISION, Event, Pid, Process, Runtime
from wippy.config import load_registry
from wippy.supervisors.reports import SupervisionReport
from wippy.supervisors.service import (
    RestartSpec,
    ServiceSpec,
    ServiceStartError,
    service_order,
    start_service,
)
from wippy.wasm import WasmRuntime

HOST = "app:processes"


def fast(**restart: Any) -> RestartSpec:
    """A restart policy in tens of milliseconds, without jitter unless asked."""
    values: dict[str, Any] = {"initial_delay": 0.02, "max_delay": 1.0, "jitter": 0.0}
    values.update(restart)
    return RestartSpec(**values)


def next_report(me: Process, manager: Pid, timeout: float = 10.0) -> SupervisionReport:
    """The next SUPERVISION report of ``manager`` (other items are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        item = me.receive(timeout=max(0.0, deadline - time.monotonic()))
        assert item is not None, "no SUPERVISION report in time"
        if isinstance(item, Event) and item.type == SUPERVISION and item.pid == manager:
            assert isinstance(item.value, SupervisionReport)
            return item.value


def exit_of(me: Process, pid: Pid, timeout: float = 10.0) -> Event:
    """Waits for the EXIT of ``pid`` (other items are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        item = me.receive(timeout=max(0.0, deadline - time.monotonic()))
        assert item is not None, f"no EXIT of {pid} in time"
        if isinstance(item, Event) and item.type == EXIT and item.pid == pid:
            return item


class Flaky:
    """A child that fails its first ``failures`` runs, then runs until cancelled.

    Records each run's start time and pid; run ``i`` fails at once unless ``hold`` gives it a
    duration.
    """

    def __init__(self, failures: int, hold: dict[int, float] | None = None) -> None:
        self.failures = failures
        self.hold = hold or {}
        self.starts: list[float] = []
        self.pids: list[Pid] = []
        self.fails: list[float] = []
        self.cancelled = threading.Event()

    def __call__(self, proc: Process, tag: str) -> str:
        self.starts.append(time.monotonic())
        self.pids.append(proc.self)
        run = len(self.starts)
        if run <= self.failures:
            if run in self.hold:
                time.sleep(self.hold[run])
            self.fails.append(time.monotonic())
            raise RuntimeError(f"{tag} failure {run}")
        while True:
            item = proc.receive(timeout=10)
            if isinstance(item, Event) and item.type == CANCEL:
                self.cancelled.set()
                return f"{tag} done"


def start_monitored(rt: Runtime, me: Process, spec: ServiceSpec) -> Pid:
    """Starts the service with ``me`` as its owner (monitoring the manager from the start)."""
    return start_service(rt, spec, owner=me)


# -- the restart policy ---------------------------------------------------------------------


def test_delay_grows_exponentially_up_to_max_delay() -> None:
    policy = RestartSpec(initial_delay=0.1, max_delay=1.0, backoff_factor=2.0, jitter=0.0)
    delays = [policy.delay(n) for n in range(1, 7)]
    assert delays == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])
    assert RestartSpec(backoff_factor=1.0, jitter=0).delay(50) == 1.0
    assert RestartSpec(jitter=0).delay(10_000) == 90.0  # huge n: no overflow, just max_delay
    with pytest.raises(ValueError, match="failures must be >= 1"):
        policy.delay(0)


def test_jitter_stays_within_its_fraction_and_below_max_delay() -> None:
    policy = RestartSpec(initial_delay=1.0, max_delay=3.0, backoff_factor=2.0, jitter=0.25)
    rng = random.Random(7)
    first = [policy.delay(1, rng) for _ in range(500)]
    assert all(0.75 <= d <= 1.25 for d in first)
    assert min(first) < 0.8 and max(first) > 1.2  # it does vary, both ways
    capped = [policy.delay(3, rng) for _ in range(200)]  # base 3.0 = max_delay
    assert all(2.25 <= d <= 3.0 for d in capped)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"initial_delay": -1.0}, "initial_delay must be >= 0"),
        ({"initial_delay": 2.0, "max_delay": 1.0}, "max_delay must be >= initial_delay"),
        ({"backoff_factor": 0.5}, "backoff_factor must be >= 1"),
        ({"jitter": 1.5}, "jitter must be between 0 and 1"),
        ({"max_attempts": -1}, "max_attempts must be an int >= 0"),
    ],
)
def test_invalid_restart_policy(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RestartSpec(**fields)


def test_invalid_service_spec() -> None:
    with pytest.raises(ValueError, match="service s: start_timeout must be > 0"):
        ServiceSpec("app:x", HOST, name="s", start_timeout=0)
    with pytest.raises(ValueError, match="service s: stop_timeout must be >= 0"):
        ServiceSpec("app:x", HOST, name="s", stop_timeout=-1)
    with pytest.raises(ValueError, match="process must be an entry id or a function"):
        ServiceSpec("", HOST)
    with pytest.raises(ValueError, match="host must be a host id"):
        ServiceSpec("app:x", "")


# -- restarts -------------------------------------------------------------------------------


def test_failing_child_is_restarted_with_exponentially_growing_delays(
    rt: Runtime, me: Process
) -> None:
    flaky = Flaky(failures=4)
    spec = ServiceSpec(
        flaky, HOST, input=("svc",), name="flaky", restart=fast(initial_delay=0.04)
    )
    manager = start_monitored(rt, me, spec)
    actions = [next_report(me, manager).action for _ in range(8)]
    assert actions == ["child_exit", "restarted"] * 4
    wait_until(lambda: len(flaky.starts) == 5)
    assert rt.is_alive(manager)

    # Each restart waits 40 ms * 2^(n-1) after the n-th consecutive failure (Wippy's Go runtime
    # resets to the initial delay every time; here it keeps growing).
    for n, expected in enumerate([0.04, 0.08, 0.16, 0.32], start=1):
        waited = flaky.starts[n] - flaky.fails[n - 1]
        assert expected - 0.005 <= waited < expected + 1.0, (n, waited)

    me.cancel(manager, grace=10)
    shutdown = next_report(me, manager)
    assert shutdown.action == "shutdown" and "child exited after CANCEL" in shutdown.detail
    final = exit_of(me, manager)
    assert final.ok and flaky.cancelled.is_set()


def test_reports_name_the_service_child_and_errors(rt: Runtime, me: Process) -> None:
    flaky = Flaky(failures=1)
    manager = start_monitored(
        rt, me, ServiceSpec(flaky, HOST, input=("r",), name="reporter", restart=fast())
    )
    exited = next_report(me, manager)
    assert (exited.supervisor, exited.action, exited.child_id) == (
        "reporter", "child_exit", "Flaky",
    )
    assert exited.error is not None and exited.error.kind == "exception"
    assert exited.error.message == "RuntimeError: r failure 1"
    restarted = next_report(me, manager)
    assert restarted.action == "restarted" and restarted.child_pid is not None
    assert restarted.child_pid != exited.child_pid and rt.is_alive(restarted.child_pid)
    assert "failure 1 in a row" in restarted.detail
    me.cancel(manager, grace=10)
    assert exit_of(me, manager).ok
    assert not rt.is_alive(restarted.child_pid)


def test_a_run_longer_than_stable_threshold_resets_the_backoff(rt: Runtime, me: Process) -> None:
    # Delays would be 50 ms, 0.5 s, 5 s; run 3 lasts past stable_threshold, so its failure
    # counts as the first again and waits 50 ms, not 5 s.
    flaky = Flaky(failures=3, hold={3: 1.2})
    spec = ServiceSpec(
        flaky, HOST, input=("s",), stable_threshold=1.0,
        restart=fast(initial_delay=0.05, backoff_factor=10.0, max_delay=10.0),
    )
    manager = start_monitored(rt, me, spec)
    for _ in range(6):
        next_report(me, manager)
    wait_until(lambda: len(flaky.starts) == 4)
    assert flaky.starts[1] - flaky.fails[0] >= 0.045
    assert flaky.starts[2] - flaky.fails[1] >= 0.495
    assert flaky.starts[3] - flaky.fails[2] < 3.0
    me.cancel(manager, grace=10)
    assert exit_of(me, manager).ok


def test_gives_up_after_max_attempts_consecutive_failures(rt: Runtime, me: Process) -> None:
    flaky = Flaky(failures=100)
    spec = ServiceSpec(
        flaky, HOST, input=("g",), name="doomed", restart=fast(max_attempts=3)
    )
    manager = start_monitored(rt, me, spec)
    actions = [next_report(me, manager).action for _ in range(6)]
    assert actions == ["child_exit", "restarted", "child_exit", "restarted", "child_exit",
                       "give_up"]
    final = exit_of(me, manager)
    assert final.error is not None and final.error.kind == "give_up"
    assert final.error.message == (
        "service doomed gave up after 3 consecutive failures; "
        "last error: exception: RuntimeError: g failure 3"
    )
    assert len(flaky.starts) == 3


def test_normal_exit_ends_the_service_without_restart(rt: Runtime, me: Process) -> None:
    runs: list[int] = []

    def once(proc: Process, value: int) -> int:
        runs.append(value)
        return value * 2

    manager = start_service(rt, ServiceSpec(once, HOST, input=(21,), restart=fast()), owner=me)
    final = exit_of(me, manager)
    assert final.ok and final.value == 42
    time.sleep(0.1)
    assert runs == [21]


# -- registry entries: process.python and a trapping process.wasm ------------------------------


def test_registry_service_whose_python_process_exits_normally(
    write_app: AppWriter, wasm_runtime: WasmRuntime
) -> None:
    app = write_app(
        {"name": "p", "kind": "process.host", "lifecycle": {"auto_start": True}},
        {"name": "double", "kind": "process.python", "module": "tests.actors.python_targets",
         "method": "double"},
        {"name": "svc", "kind": "process.service", "process": "test:double", "host": "test:p",
         "input": [21], "lifecycle": {"restart": {"initial_delay": "10ms"}}},
    )
    registry = load_registry(app)
    with Runtime(registry, wasm=wasm_runtime) as runtime, runtime.process() as me:
        manager = start_service(runtime, ServiceSpec.from_registry(registry, "test:svc"), owner=me)
        final = exit_of(me, manager)
        assert final.ok and final.value == 42


def test_registry_service_with_a_trapping_wasm_child_gives_up(
    write_app: AppWriter, wasm_runtime: WasmRuntime
) -> None:
    app = write_app(
        {"name": "p", "kind": "process.host", "lifecycle": {"auto_start": True}},
        {"name": "trap", "kind": "process.wasm", "path": "traps.wasm", "method": "div_zero"},
        {"name": "svc", "kind": "process.service", "process": "test:trap", "host": "test:p",
         "input": [0],
         "lifecycle": {"restart": {"initial_delay": "10ms", "jitter": 0, "max_attempts": 2}}},
    )
    registry = load_registry(app)
    spec = ServiceSpec.from_registry(registry, "test:svc")
    assert (spec.name, spec.process, spec.host, spec.input) == ("test:svc", "test:trap",
                                                                 "test:p", (0,))
    assert spec.restart == RestartSpec(initial_delay=0.01, jitter=0.0, max_attempts=2)
    with Runtime(registry, wasm=wasm_runtime) as runtime, runtime.process() as me:
        manager = start_service(runtime, spec, owner=me)
        final = exit_of(me, manager)
        assert final.error is not None and final.error.kind == "give_up"
        assert final.error.message.startswith(
            "service test:svc gave up after 2 consecutive failures; last error: trap: "
        )
        assert "divide by zero" in final.error.message


def test_registry_spec_lookup_errors(write_app: AppWriter) -> None:
    registry = load_registry(write_app({"name": "h", "kind": "process.host"}))
    with pytest.raises(KeyError, match="test:nope"):
        ServiceSpec.from_registry(registry, "test:nope")
    with pytest.raises(TypeError, match="test:h is a process.host, not a process.service"):
        ServiceSpec.from_registry(registry, "test:h")


# -- stopping -------------------------------------------------------------------------------


def test_cancel_during_a_restart_delay_stops_at_once(rt: Runtime, me: Process) -> None:
    flaky = Flaky(failures=100)
    spec = ServiceSpec(flaky, HOST, input=("c",), restart=fast(initial_delay=30.0, max_delay=30.0))
    manager = start_monitored(rt, me, spec)
    assert next_report(me, manager).action == "child_exit"
    time.sleep(0.05)  # the manager is now waiting out its 30 s delay
    asked = time.monotonic()
    me.cancel(manager, grace=10)
    shutdown = next_report(me, manager)
    assert shutdown.action == "shutdown" and "no child running" in shutdown.detail
    assert exit_of(me, manager).ok
    assert time.monotonic() - asked < 5.0
    assert len(flaky.starts) == 1


def test_stop_timeout_terminates_a_child_that_ignores_cancel(rt: Runtime, me: Process) -> None:
    started = threading.Event()

    def stubborn(proc: Process) -> None:
        started.set()
        while True:
            proc.receive(timeout=0.05)  # takes CANCEL and carries on; termination unwinds it

    spec = ServiceSpec(stubborn, HOST, stop_timeout=0.3)
    manager = start_service(rt, spec, owner=me)
    assert started.wait(10)
    asked = time.monotonic()
    me.cancel(manager, grace=10)
    shutdown = next_report(me, manager)
    took = time.monotonic() - asked
    assert shutdown.action == "shutdown"
    assert "terminated after stop_timeout 0.3s" in shutdown.detail
    assert shutdown.error is not None and shutdown.error.kind == "terminated"
    assert 0.29 <= took < 5.0
    assert exit_of(me, manager).ok


def test_stopping_the_runtime_stops_a_running_service(rt: Runtime, me: Process) -> None:
    flaky = Flaky(failures=0)
    manager = start_monitored(rt, me, ServiceSpec(flaky, HOST, input=("rt",)))
    wait_until(lambda: bool(flaky.pids))
    rt.stop()
    assert not rt.is_alive(manager) and not rt.is_alive(flaky.pids[0])
    assert flaky.cancelled.is_set()  # the child got CANCEL and finished on its own


def test_killing_the_manager_kills_its_child(rt: Runtime, me: Process) -> None:
    flaky = Flaky(failures=0)
    manager = start_monitored(rt, me, ServiceSpec(flaky, HOST, input=("k",)))
    wait_until(lambda: bool(flaky.pids))
    child = flaky.pids[0]
    me.monitor(child)
    me.terminate(manager)
    died = exit_of(me, child)
    assert died.error is not None and died.error.kind == "linked"


# -- starting -------------------------------------------------------------------------------


def test_start_timeout_when_the_host_has_no_free_worker(rt: Runtime, me: Process) -> None:
    rt.add_host("app:busy", workers=1, queue_size=8, stop_timeout=1.0)
    release = threading.Event()
    holding = threading.Event()

    def hog(proc: Process) -> None:
        holding.set()
        release.wait(10)  # holds the only worker (not waiting in receive)

    rt.spawn_function(hog, "app:busy")
    assert holding.wait(10)
    try:
        asked = time.monotonic()
        with pytest.raises(ServiceStartError) as info:
            start_service(rt, ServiceSpec(Flaky(0), "app:busy", input=("t",), name="late",
                                          start_timeout=0.3))
        assert str(info.value) == "service late failed to start: not started within 0.3s"
        assert info.value.reason == "start_failed" and info.value.service == "late"
        assert 0.29 <= time.monotonic() - asked < 5.0
    finally:
        release.set()


def test_first_spawn_failure_is_a_start_error(rt: Runtime) -> None:
    with pytest.raises(ServiceStartError) as info:
        start_service(rt, ServiceSpec("app:missing", HOST, name="ghost"))
    message = str(info.value)
    assert message.startswith(
        "service ghost failed to start: start_failed: cannot spawn app:missing on app:processes: "
    ), message
    assert "app:missing" in message


def test_unknown_manager_host_is_a_start_error(rt: Runtime) -> None:
    with pytest.raises(ServiceStartError, match="cannot spawn its manager: unknown host"):
        start_service(rt, ServiceSpec("app:x", "app:nowhere", name="lost"))


# -- start order ----------------------------------------------------------------------------


def test_service_order_starts_requirements_first(write_app: AppWriter) -> None:
    def service(name: str, auto: bool, *requires: str) -> dict[str, Any]:
        return {"name": name, "kind": "process.service", "process": "test:job", "host": "test:p",
                "lifecycle": {"auto_start": auto, "requires": [f"test:{r}" for r in requires]}}

    app = write_app(
        {"name": "p", "kind": "process.host"},
        {"name": "job", "kind": "process.python", "module": "tests.actors.python_targets",
         "method": "double"},
        service("web", True, "api", "cache"),
        service("api", True, "db"),
        service("idle", False),
        service("db", False),
        service("cache", True),
        service("metrics", True),
    )
    registry = load_registry(app)
    # db is not auto_start but is required by api, so it starts too; idle is not needed.
    assert service_order(registry) == ["test:db", "test:api", "test:cache", "test:web",
                                       "test:metrics"]


def test_services_start_in_service_order(
    write_app: AppWriter, wasm_runtime: WasmRuntime
) -> None:
    app = write_app(
        {"name": "p", "kind": "process.host", "lifecycle": {"auto_start": True}},
        {"name": "job", "kind": "process.python", "module": "tests.actors.python_targets",
         "method": "double"},
        {"name": "b", "kind": "process.service", "process": "test:job", "host": "test:p",
         "input": [2], "lifecycle": {"auto_start": True, "requires": ["test:a"]}},
        {"name": "a", "kind": "process.service", "process": "test:job", "host": "test:p",
         "input": [1], "lifecycle": {"auto_start": True}},
    )
    registry = load_registry(app)
    with Runtime(registry, wasm=wasm_runtime) as runtime, runtime.process() as me:
        values = []
        for entry_id in service_order(registry):
            spec = ServiceSpec.from_registry(registry, entry_id)
            manager = start_service(runtime, spec, owner=me)
            values.append(exit_of(me, manager).value)
        assert values == [2, 4]


# -- the README ----------------------------------------------------------------------------


def test_readme_services_example_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Services (`wippy.supervisors.service`)\n", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(root)
    exec(compile(code, "README.md (Services)", "exec"), {"__name__": "readme_services"})
    printed = capsys.readouterr().out.splitlines()
    assert "action='shutdown'" in printed[0] and "child exited after CANCEL" in printed[0]
    assert printed[1].startswith("Event(type='EXIT'") and "error=None" in printed[1]
