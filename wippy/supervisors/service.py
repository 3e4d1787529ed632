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
import time
from typing import Any

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
from wippy.supervisors.backoff import Backoff, RestartSpec
from wippy.supervisors.children import spawn_child, stop_child
from wippy.supervisors.errors import AlreadyStartedError, ServiceGaveUp, ServiceStartError
from wippy.supervisors.reports import Action, SupervisionReport, report
from wippy.supervisors.service_spec import ServiceProcess as ServiceProcess
from wippy.supervisors.service_spec import ServiceSpec, service_order

__all__ = [
    "RestartSpec",
    "ServiceGaveUp",
    "ServiceSpec",
    "ServiceStartError",
    "service_order",
    "start_service",
]

logger = logging.getLogger("wippy.supervisors")


class _StartFailed(Exception):
    """Raised inside a manager whose first spawn failed; EXIT error kind ``start_failed``."""

    kind = "start_failed"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
        self.backoff = Backoff(spec.restart, spec.stable_threshold)

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
        backoff = self.backoff
        while True:
            backoff.fail(ran)
            if backoff.exhausted:
                self.report("give_up", error, f"{backoff.failures} consecutive failures")
                raise ServiceGaveUp(self.name, backoff.failures, error)
            delay = backoff.delay()
            self.child = None
            if not self.wait(delay):
                return False
            try:
                self.spawn()
            except SpawnError as exc:
                error, ran = ProcessError("spawn", str(exc)), 0.0
                self.report("restart_failed", error, f"failure {backoff.failures} in a row")
                continue
            detail = f"after {delay:.3f}s (failure {backoff.failures} in a row)"
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
