"""Services: one process kept running by a manager process, with Wippy's service lifecycle.

A service (a ``process.service`` entry, or a :class:`ServiceSpec`) is run by a *manager*, a
function process started by :func:`start_service`. The manager spawns the child (the
``process`` entry or function, with ``input`` as its arguments, on ``host``), monitors it, and
is linked to it, trapping links: if the manager itself is killed, the child dies with it.

The manager's decisions:

- **Started**: the first child started. That means its entry was resolved and loaded (a
  ``process.wasm`` module read, hash-checked and compiled; a ``process.python`` module
  imported), ``input`` converted to its parameters, the child admitted to its host, and its
  Init completed (a guest instantiated, a function entered); the manager then acks its own
  start (``proc.ready()``). The manager must do this (including getting a worker of its own
  host) within ``start_timeout``; otherwise :func:`start_service` terminates it and raises
  :class:`ServiceStartError`, as it does when the first spawn fails or the first child exits
  before it started (no retry: a missing entry, a full host or a guest that cannot be
  instantiated at boot is reported, not hidden). After that, every child failure is the
  restart policy's business.
- **Name**: the manager is registered under ``register_as`` (a ``process.service`` entry's id)
  from its spawn; when another live process has that name, :func:`start_service` (or spawning
  the entry) raises :class:`~wippy.supervisors.AlreadyStartedError` and nothing starts.
- **Normal exit** (EXIT without error, or error kind ``shutdown``): not restarted; the service
  ends, its manager exits normally with the child's value.
- **Error exit**: a *failure*. ``n`` counts consecutive failures; it restarts from zero when the
  failed run lasted at least ``stable_threshold``. After ``max_attempts`` consecutive failures
  (0: never) the manager gives up and exits with error kind ``give_up`` naming the service and
  the last error. Otherwise it waits ``restart.delay(n)`` =
  ``min(max_delay, initial_delay * backoff_factor ** (n - 1))`` varied by ``±jitter`` and
  spawns the child again. A spawn that fails during a restart is a failure too.
- **CANCEL** (to the manager; also how hosts and apps stop it): at any time, including while
  waiting out a restart delay. The child gets CANCEL and ``stop_timeout`` seconds to exit
  before it is terminated; then the manager exits normally.

Every step is logged on ``wippy.supervisors`` and sent to the manager's monitors as
``Event(SUPERVISION, manager_pid, value=SupervisionReport(...))`` with actions ``started``,
``child_exit``, ``restarted``, ``restart_failed``, ``give_up`` and ``shutdown``.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wippy.actors import (
    CANCEL,
    EXIT,
    SHUTDOWN_KIND,
    SUPERVISION,
    Event,
    Launched,
    NameTakenError,
    Pid,
    Process,
    ProcessError,
    Received,
    Runtime,
    SpawnError,
    StartWatch,
    await_launched,
    process_role,
    waiting_process,
)
from wippy.actors.table import check_name
from wippy.config.service import ProcessService
from wippy.supervisors.children import spawn_child, stop_child
from wippy.supervisors.errors import AlreadyStartedError, SupervisorError
from wippy.supervisors.reports import Action, SupervisionReport, report

if TYPE_CHECKING:
    from wippy.config import Registry

__all__ = [
    "RestartSpec",
    "ServiceGaveUp",
    "ServiceSpec",
    "ServiceStartError",
    "service_order",
    "start_service",
]

logger = logging.getLogger("wippy.supervisors")


class ServiceStartError(SupervisorError, SpawnError):
    """The service ``service`` did not start: ``error`` says why (first spawn failed, first
    child exited before it started, manager could not run, or ``start_timeout`` passed). It is
    a SpawnError too: spawning a ``process.service`` entry raises it."""

    def __init__(self, service: str, error: ProcessError | str) -> None:
        super().__init__("start_failed", f"service {service} failed to start: {error}")
        self.service = service
        self.error = error


class ServiceGaveUp(Exception):
    """Raised inside a manager that reached ``max_attempts`` consecutive failures.

    Its EXIT error has kind ``give_up`` and a message naming the service and the last error.
    """

    kind = "give_up"

    def __init__(self, service: str, failures: int, error: ProcessError) -> None:
        self.message = (
            f"service {service} gave up after {failures} consecutive "
            f"failure{'s' if failures != 1 else ''}; last error: {error}"
        )
        super().__init__(self.message)
        self.service = service
        self.failures = failures
        self.error = error


class _StartFailed(Exception):
    """Raised inside a manager whose first spawn failed; EXIT error kind ``start_failed``."""

    kind = "start_failed"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RestartSpec:
    """When to restart a failed child; see :meth:`delay`. ``max_attempts`` 0 means no limit.

    Defaults are Wippy's: 1 s doubling up to 90 s, ±10 % jitter. Raises ValueError for negative
    delays, ``max_delay < initial_delay``, ``backoff_factor < 1``, ``jitter`` outside [0, 1] or
    negative ``max_attempts``.
    """

    initial_delay: float = 1.0
    max_delay: float = 90.0
    backoff_factor: float = 2.0
    jitter: float = 0.1
    max_attempts: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.initial_delay < math.inf:
            raise ValueError(f"initial_delay must be >= 0 s, got {self.initial_delay!r}")
        if not self.initial_delay <= self.max_delay < math.inf:
            raise ValueError(
                f"max_delay must be >= initial_delay ({self.initial_delay} s), "
                f"got {self.max_delay!r}"
            )
        if not 1.0 <= self.backoff_factor < math.inf:
            raise ValueError(f"backoff_factor must be >= 1, got {self.backoff_factor!r}")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError(f"jitter must be between 0 and 1, got {self.jitter!r}")
        if not isinstance(self.max_attempts, int) or self.max_attempts < 0:
            raise ValueError(f"max_attempts must be an int >= 0, got {self.max_attempts!r}")

    def base_delay(self, failures: int) -> float:
        """The delay before restarting after ``failures`` consecutive failures, without jitter:
        ``min(max_delay, initial_delay * backoff_factor ** (failures - 1))``.

        Raises ValueError when ``failures`` < 1.
        """
        if failures < 1:
            raise ValueError(f"failures must be >= 1, got {failures}")
        try:
            grown = self.initial_delay * self.backoff_factor ** (failures - 1)
        except OverflowError:
            grown = math.inf
        return min(self.max_delay, grown)

    def delay(self, failures: int, rng: random.Random | None = None) -> float:
        """:meth:`base_delay` varied uniformly by ``±jitter`` of itself, capped at ``max_delay``.

        ``rng`` (default: the ``random`` module's generator) draws the variation. Raises
        ValueError when ``failures`` < 1.
        """
        base = self.base_delay(failures)
        spread = (rng or random).uniform(-self.jitter, self.jitter) if self.jitter else 0.0
        return min(self.max_delay, max(0.0, base * (1.0 + spread)))


ServiceProcess = str | Callable[..., Any]
"""What a service runs: a process entry id or a Python function ``fn(proc, *input)``."""


@dataclass(frozen=True)
class ServiceSpec:
    """A service: ``process`` run with ``input`` on ``host``, kept running as the module
    documentation describes.

    ``name`` labels it in logs, reports and errors (the entry id when built from the registry);
    ``register_as`` names its manager process (the entry id when built from the registry).
    ``auto_start`` and ``requires`` matter to :func:`service_order` (the app), not to
    :func:`start_service`. Defaults are Wippy's. Raises ValueError for negative timeouts, a
    ``start_timeout`` that is not positive, an empty ``host``, a bad ``register_as`` or a
    ``process`` that is neither an entry id nor callable.
    """

    process: ServiceProcess
    host: str
    input: tuple[Any, ...] = ()
    name: str | None = None
    auto_start: bool = False
    start_timeout: float = 10.0
    stop_timeout: float = 10.0
    stable_threshold: float = 5.0
    requires: tuple[str, ...] = ()
    restart: RestartSpec = field(default_factory=RestartSpec)
    register_as: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "input", tuple(self.input))
        object.__setattr__(self, "requires", tuple(self.requires))
        label = self.label
        if not (isinstance(self.process, str) and self.process) and not callable(self.process):
            raise ValueError(f"service {label}: process must be an entry id or a function")
        if not isinstance(self.host, str) or not self.host:
            raise ValueError(f"service {label}: host must be a host id, got {self.host!r}")
        if not 0 < self.start_timeout < math.inf:
            raise ValueError(f"service {label}: start_timeout must be > 0 s")
        for name in ("stop_timeout", "stable_threshold"):
            value = getattr(self, name)
            if not 0 <= value < math.inf:
                raise ValueError(f"service {label}: {name} must be >= 0 s, got {value!r}")
        if self.register_as is not None:
            check_name(self.register_as)

    @property
    def describe_process(self) -> str:
        """What the service runs, for reports: the entry id or the function's name."""
        if isinstance(self.process, str):
            return self.process
        named = getattr(self.process, "__qualname__", None)
        return named if isinstance(named, str) else type(self.process).__qualname__

    @property
    def label(self) -> str:
        """``name``, else what the service runs."""
        return self.name or self.describe_process

    @classmethod
    def from_registry(cls, registry: Registry, entry_id: str) -> ServiceSpec:
        """Builds the spec of the ``process.service`` entry ``entry_id``.

        Raises KeyError for an unknown entry and TypeError for an entry of another kind.
        """
        entry = registry.get_as(entry_id, ProcessService)
        lifecycle = entry.lifecycle
        policy = lifecycle.restart
        return cls(
            process=str(entry.process),
            host=str(entry.host),
            input=tuple(entry.input),
            name=entry.id,
            auto_start=lifecycle.auto_start,
            start_timeout=lifecycle.start_timeout,
            stop_timeout=lifecycle.stop_timeout,
            stable_threshold=lifecycle.stable_threshold,
            requires=tuple(str(required) for required in lifecycle.requires),
            restart=RestartSpec(
                initial_delay=policy.initial_delay,
                max_delay=policy.max_delay,
                backoff_factor=policy.backoff_factor,
                jitter=policy.jitter,
                max_attempts=policy.max_attempts,
            ),
            register_as=entry.id,
        )


def service_order(registry: Registry) -> list[str]:
    """The ids of the services to start with the app, in start order.

    Those are the ``auto_start`` services and every service they require (directly or not),
    each after the services it requires, otherwise in load order. Stop them in reverse.
    Raises ValueError naming the cycle when ``requires`` loops (a loaded registry has none).
    """
    services = {entry.id: entry for entry in registry.of_kind(ProcessService)}
    order: list[str] = []
    done: set[str] = set()

    def visit(entry_id: str, path: list[str]) -> None:
        if entry_id in done:
            return
        if entry_id in path:
            cycle = [*path[path.index(entry_id) :], entry_id]
            raise ValueError(f"requires cycle: {' -> '.join(cycle)}")
        entry = services.get(entry_id)
        if entry is None:
            raise ValueError(f"{path[-1]} requires {entry_id}, which is not a process.service")
        for required in entry.lifecycle.requires:
            visit(str(required), [*path, entry_id])
        done.add(entry_id)
        order.append(entry_id)

    for entry_id, entry in services.items():
        if entry.lifecycle.auto_start:
            visit(entry_id, [])
    return order


def start_service(
    runtime: Runtime,
    spec: ServiceSpec,
    *,
    manager_host: str | None = None,
    owner: Process | None = None,
) -> Pid:
    """Starts the service's manager process and returns its pid once the service started.

    The manager runs on ``manager_host`` (default: the service's host), registered as
    ``spec.register_as``. With ``owner``, the manager is spawned by that process and monitored
    by it from the start, so none of its SUPERVISION reports after ``started`` nor its EXIT can
    be missed (its ``started`` report and what the wait itself needs are taken from the
    owner's mailbox). Waiting is a receive (of ``owner``, else of the calling function
    process, else of a temporary handle). Cancel the returned pid to stop the service (it
    needs ``stop_timeout`` at most: the child is terminated then). Raises
    :class:`ServiceStartError` when the manager cannot be spawned, the first child cannot be
    spawned or exits before it started, or ``start_timeout`` passes first (the manager is
    then terminated), and :class:`~wippy.supervisors.AlreadyStartedError` when its name is
    taken.
    """
    parent = owner.pid if owner is not None else None
    host = manager_host or spec.host
    with waiting_process(runtime, parent) as waiter:
        launched = launch_service(
            runtime, spec, host, parent=waiter.pid, monitor=True,
            watches=(StartWatch(waiter.pid, ack=True),),
        )
        pid = await_launched(runtime, waiter, launched, link=False, monitor=owner is not None)
    if owner is not None:
        owner.receive(0, match=lambda item: _is_report(item, pid, "started"))
    return pid


def launch_service(
    runtime: Runtime,
    spec: ServiceSpec,
    host: str,
    *,
    parent: Pid | None,
    monitor: bool,
    watches: tuple[StartWatch, ...] = (),
) -> Launched:
    """Spawns the manager of ``spec`` on ``host`` (registered as ``spec.register_as``,
    monitored by ``parent`` when ``monitor``, its start watched by ``watches``) and says how
    to wait for its start (see :func:`wippy.actors.await_launched`): at most
    ``start_timeout``.

    Raises :class:`AlreadyStartedError` when its name is taken, :class:`ServiceStartError`
    when the manager cannot be spawned.
    """
    name = spec.label
    try:
        pid = runtime.spawn_function_as(
            _manage, host, (spec,), parent=parent, monitor=monitor, link=False,
            name=spec.register_as, watches=watches,
        )
    except NameTakenError as exc:
        raise AlreadyStartedError(name, exc.owner) from exc
    except SpawnError as exc:
        raise ServiceStartError(name, f"cannot spawn its manager: {exc}") from exc

    def failed(event: Event | None) -> ServiceStartError:
        if event is None:
            return ServiceStartError(name, f"not started within {spec.start_timeout:g}s")
        return ServiceStartError(name, event.error or "its manager exited before starting")

    return Launched(pid, spec.start_timeout, failed)


def _is_report(item: Received, pid: Pid, action: str) -> bool:
    return (
        isinstance(item, Event)
        and item.pid == pid
        and item.type == SUPERVISION
        and isinstance(item.value, SupervisionReport)
        and item.value.action == action
    )


class _Manager:
    """The state of one service manager; runs in the manager's function process."""

    def __init__(self, proc: Process, spec: ServiceSpec) -> None:
        self.proc = proc
        self.spec = spec
        self.name = spec.label
        self.child: Pid | None = None
        self.started_at = 0.0
        self.failures = 0
        self.rng = random.Random()

    def report(self, action: Action, error: ProcessError | None = None, detail: str = "") -> None:
        report(
            self.proc,
            SupervisionReport(
                supervisor=self.name,
                action=action,
                child_id=self.spec.describe_process,
                child_pid=self.child,
                error=error,
                detail=detail,
            ),
        )

    def spawn(self) -> Pid:
        spec = self.spec
        pid = spawn_child(self.proc, spec.process, spec.host, spec.input)  # start watched
        self.child = pid
        self.started_at = time.monotonic()
        return pid

    def run(self) -> Any:
        self.proc.set_options(trap_links=True)
        what = f"{self.spec.describe_process} on {self.spec.host}"
        try:
            child = self.spawn()
        except SpawnError as exc:
            raise _StartFailed(f"cannot spawn {what}: {exc}") from exc
        started = self.proc.await_started(child)  # bounded by start_service's start_timeout
        if started is None or started.type == EXIT:
            error = started.error if started is not None else None
            raise _StartFailed(f"{what} exited before it started: {error or 'normally'}")
        self.report("started", detail=f"on {self.spec.host}")
        self.proc.ready()
        while True:
            item = self.proc.receive()
            if not isinstance(item, Event):
                logger.debug("service %s ignored message %r", self.name, item)
                continue
            if item.type == CANCEL:
                self.shutdown(item.reason)
                return None
            if item.type != EXIT or item.pid != self.child:
                continue  # LINK_DOWN of the child (its EXIT is what counts), stale events
            if item.error is None or item.error.kind == SHUTDOWN_KIND:
                how = "normally" if item.error is None else "with shutdown"
                self.report("child_exit", item.error, f"exited {how}; the service ends")
                return item.value
            if not self.restart_after(item.error):
                return None

    def restart_after(self, error: ProcessError) -> bool:
        """Handles a child failure: counts it, gives up or waits and respawns (again while the
        spawn fails). Returns False when CANCEL came first; raises ServiceGaveUp."""
        ran = time.monotonic() - self.started_at
        self.report("child_exit", error, f"failed after {ran:.3f}s")
        while True:
            if ran >= self.spec.stable_threshold:
                self.failures = 0
            self.failures += 1
            attempts = self.spec.restart.max_attempts
            if attempts and self.failures >= attempts:
                self.report("give_up", error, f"{self.failures} consecutive failures")
                raise ServiceGaveUp(self.name, self.failures, error)
            delay = self.spec.restart.delay(self.failures, self.rng)
            self.child = None
            if not self.wait(delay):
                return False
            try:
                self.spawn()
            except SpawnError as exc:
                error, ran = ProcessError("spawn", str(exc)), 0.0
                self.report("restart_failed", error, f"failure {self.failures} in a row")
                continue
            detail = f"after {delay:.3f}s (failure {self.failures} in a row)"
            self.report("restarted", detail=detail)
            return True

    def wait(self, delay: float) -> bool:
        """Sleeps ``delay`` s, staying responsive: False (after shutting down) on CANCEL."""
        deadline = time.monotonic() + delay
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            item = self.proc.receive(timeout=remaining)
            if isinstance(item, Event) and item.type == CANCEL:
                self.shutdown(item.reason)
                return False

    def shutdown(self, reason: str | None) -> None:
        """Stops the child (CANCEL, ``stop_timeout`` grace, then terminate) and reports it."""
        child = self.child
        if child is None or not self.proc.is_alive(child):
            self.report("shutdown", detail=f"cancelled ({reason}); no child running")
            return
        grace = self.spec.stop_timeout
        # The runtime terminates the child when the grace ends, so its EXIT always comes.
        event = stop_child(self.proc, child, grace, f"service {self.name} stopping: {reason}")
        if event.error is not None and event.error.kind == "terminated":
            how = f"terminated after stop_timeout {grace:g}s"
        else:
            how = "exited after CANCEL"
        self.report("shutdown", event.error, f"cancelled ({reason}); child {how}")


@process_role("service")
def _manage(proc: Process, spec: ServiceSpec) -> Any:
    proc.describe(spec.label)
    return _Manager(proc, spec).run()
