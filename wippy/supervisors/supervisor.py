"""The supervisor process: starts children, restarts them by strategy, stops them in order.

A supervisor is a function process. It links to and monitors every child and traps links, so a
child's exit reaches it as an EXIT event and a killed supervisor takes its children down with it.
Requests from :class:`~wippy.supervisors.Supervisor` clients arrive as messages carrying a
:class:`~concurrent.futures.Future` for the answer. The restart rules are OTP's
(``supervisor.erl``); see the README's Supervision section.

Starting, as OTP's ``supervisor:start_link`` and ``proc_lib:start_link``/``init_ack``:

- The supervisor is registered under its ``register_as`` name (an entry's id) from its spawn,
  before it runs; a name another live process has fails the spawn with
  :class:`~wippy.supervisors.AlreadyStartedError` naming that process, and nothing starts.
- Children start one at a time, in order. Starting one spawns it linked and monitored
  (registered under its child spec's ``name``, when it has one, before it runs), then waits
  until it counts as started: its Init completed (a WebAssembly guest instantiated, a Python
  function entered), or, when its spec says ``ack``, it called ``proc.ready(value)``; a nested
  supervisor acks once its own children started. Only then does the next child start, so
  child 2 can rely on child 1 (its name, its service).
- The wait is a receive: the supervisor's permit is given back, and events and requests that
  arrive meanwhile stay queued until the start is over.
- The child exiting first (failing its Init, say) is a start failure with its exit error. The
  child's start timeout (``start_timeout``: 5 s for workers, infinity for supervisors) passing
  first terminates it: a start failure of kind ``timeout``. An ack after that is ignored.
- A start failure while the supervisor starts stops the children started so far in reverse
  order; the supervisor exits (kind ``start_failed``) and whoever started it gets
  :class:`~wippy.supervisors.SupervisorStartError` naming the child. During a restart it is a
  failed restart (retried, counting toward the intensity), and in ``start_child`` or
  ``restart_child`` a ``start_failed`` refusal.
- Once every child started, the supervisor reports ``started`` and acks its own start
  (``proc.ready()``): that is when its spawner's ``spawn``/``start_supervisor`` returns.

A child's name is registered again each time it is started: the supervisor only starts a
child again after it received the EXIT of the old instance, which freed the name, so there is
no race between them; a name taken by some other process makes the start fail.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from wippy.actors import (
    CANCEL,
    EXIT,
    LINK_DOWN,
    SHUTDOWN_KIND,
    Event,
    HostQueueFull,
    HostStoppedError,
    HostUnavailableError,
    Launched,
    Message,
    NameTakenError,
    Pid,
    Process,
    ProcessError,
    Shutdown,
    SpawnError,
    StartWatch,
    await_launched,
    process_role,
)
from wippy.config.supervisor import ProcessSupervisor
from wippy.supervisors.children import await_exit, request_stop, spawn_child, stop_child
from wippy.supervisors.errors import AlreadyStartedError, SupervisorError, SupervisorStartError
from wippy.supervisors.reports import Action, SupervisionReport, report
from wippy.supervisors.spec import ChildSpec, SupervisorSpec

if TYPE_CHECKING:
    from wippy.actors import Runtime

logger = logging.getLogger("wippy.supervisors")

_UNAVAILABLE = (HostUnavailableError, HostStoppedError, HostQueueFull)
"""Spawn errors after which a child's ``fallback_hosts`` are tried."""

CALL_TOPIC = "$supervisor"
"""Topic of request messages: payload ``(request name, args tuple, Future)``."""

ChildState = Literal["running", "restarting", "stopped"]


@dataclass(frozen=True)
class ChildInfo:
    """One row of :meth:`Supervisor.which_children`.

    The child's ``id``, its ``pid`` (None unless running), its ``state``, whether it is a
    ``"worker"`` or a ``"supervisor"``, what it runs (``process``), and how many times this
    supervisor has restarted it (``restarts``, for operators: ``wippy ps`` shows it).
    """

    id: str
    pid: Pid | None
    state: ChildState
    type: Literal["worker", "supervisor"]
    process: str
    restarts: int = 0


@dataclass(frozen=True)
class ChildCounts:
    """:meth:`Supervisor.count_children`: child ``specs``, ``active`` (running) children, and
    how many of the specs are ``supervisors`` and ``workers``."""

    specs: int
    active: int
    supervisors: int
    workers: int


@dataclass(eq=False)
class _Child:
    spec: ChildSpec
    args: tuple[Any, ...]
    pid: Pid | None = None
    restarting: bool = False
    restarts: int = 0

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass(eq=False)
class _Stop(Exception):
    """Ends the supervisor: children are stopped, then it exits with ``error`` (None: normally)."""

    error: BaseException | None
    action: Action = "shutdown"
    detail: str = ""


class _StartFailed(Exception):
    def __init__(self, child_id: str, error: ProcessError) -> None:
        super().__init__(f"{child_id}: {error}")
        self.child_id = child_id
        self.error = error


@dataclass(eq=False)
class StartOutcome:
    """Why a supervisor failed to start, filled in by the supervisor process before it exits
    (so that its starter can raise :class:`SupervisorStartError` with the child and error)."""

    name: str
    child_id: str | None = None
    error: ProcessError | str | None = None

    def failure(self, event: Event | None) -> SupervisorStartError:
        """The error for a start that ended with ``event`` (the EXIT; None: a timeout)."""
        if self.error is not None:
            return SupervisorStartError(self.name, self.child_id, self.error)
        if event is None:
            return SupervisorStartError(self.name, None, "did not start in time")
        return SupervisorStartError(
            self.name, None, event.error or "exited before it finished starting"
        )


class SupervisorProcess:
    """The state of one running supervisor; :meth:`run` is its whole life."""

    def __init__(
        self, proc: Process, runtime: Runtime, spec: SupervisorSpec, parent: Pid | None
    ) -> None:
        self._proc = proc
        self._runtime = runtime
        self._spec = spec
        self._parent = parent
        self._name = spec.name or f"supervisor {proc.pid}"
        self._children: list[_Child] = []
        self._by_pid: dict[Pid, _Child] = {}
        self._restarts: deque[float] = deque()
        self._retry: list[_Child] = []
        """Children whose restart failed, to try again (in order) once the mailbox is empty."""

    # -- life -------------------------------------------------------------------------------

    def run(self, outcome: StartOutcome | None) -> None:
        """Starts the children, acks its own start (``ready``), then serves until stopped;
        a start failure is written to ``outcome`` before the process exits."""
        proc = self._proc
        proc.set_options(trap_links=True)
        try:
            if not self._spec.is_simple:
                for child_spec in self._spec.children:
                    child = _Child(child_spec, child_spec.args)
                    self._children.append(child)
                    self._start(child)
        except _StartFailed as exc:
            self._children = [c for c in self._children if c.pid is not None]
            self._stop_all()
            error = SupervisorStartError(self._name, exc.child_id, exc.error)
            if outcome is not None:
                outcome.child_id, outcome.error = exc.child_id, exc.error
            raise _StartFailedExit(str(error)) from None
        except BaseException as exc:
            if outcome is not None and outcome.error is None:
                outcome.error = repr(exc)
            raise
        self._report("started", detail=f"{len(self._children)} children")
        proc.ready(proc.pid)
        try:
            self._serve()
        except _Stop as stop:
            self._report(stop.action, detail=stop.detail or str(stop.error or ""))
            self._stop_all()
            if stop.error is not None:
                raise stop.error from None

    def _serve(self) -> None:
        proc = self._proc
        while True:
            timeout = 0.0 if self._retry else None
            item = proc.receive(timeout)
            if item is None:
                self._run_retry()
            elif isinstance(item, Event):
                self._on_event(item)
            elif isinstance(item, Message) and item.topic == CALL_TOPIC:
                self._on_call(item)

    def _on_event(self, event: Event) -> None:
        if event.type == EXIT:
            child = self._by_pid.pop(event.pid, None)
            if child is not None:
                child.pid = None
                self._on_child_exit(child, event)
        elif event.type == CANCEL:
            raise _Stop(None, "shutdown", f"cancelled: {event.reason}")
        elif event.type == LINK_DOWN and event.pid == self._parent:
            raise _Stop(Shutdown(f"parent {event.pid} failed: {event.error}"))

    # -- exits and restarts -------------------------------------------------------------------

    def _on_child_exit(self, child: _Child, event: Event) -> None:
        error = event.error
        self._report("child_exit", child, event.pid, error, "" if error else "normal exit")
        if self._wants_restart(child.spec, error):
            self._restart(child)
            return
        if child.spec.restart == "temporary" or self._spec.is_simple:
            self._children.remove(child)
        if child.spec.significant:
            self._auto_shutdown(child)

    @staticmethod
    def _wants_restart(spec: ChildSpec, error: ProcessError | None) -> bool:
        if spec.restart == "permanent":
            return True
        if spec.restart == "transient":
            return error is not None and error.kind != SHUTDOWN_KIND
        return False

    def _auto_shutdown(self, child: _Child) -> None:
        mode = self._spec.auto_shutdown
        if mode == "any_significant" or (
            mode == "all_significant"
            and not any(c.spec.significant and c.pid is not None for c in self._children)
        ):
            reason = f"significant child {child.id!r} ended ({mode})"
            raise _Stop(Shutdown(f"auto_shutdown: {reason}"), "auto_shutdown", reason)

    def _add_restart(self) -> None:
        now = time.monotonic()
        restarts = self._restarts
        restarts.append(now)
        while restarts and restarts[0] < now - self._spec.period:
            restarts.popleft()
        if len(restarts) > self._spec.intensity:
            detail = (
                f"reached max restart intensity ({self._spec.intensity} restarts "
                f"in {self._spec.period:g}s)"
            )
            raise _Stop(Shutdown(detail), "give_up", detail)

    def _restart(self, child: _Child) -> None:
        self._add_restart()
        strategy = self._spec.strategy
        if strategy in ("one_for_one", "simple_one_for_one"):
            todo = [child]
        else:
            index = self._children.index(child)
            affected = list(self._children if strategy == "one_for_all" else self._children[index:])
            for other in reversed(affected):
                if other is not child:
                    self._stop_child(other)
            todo = [c for c in affected if c is child or c.spec.restart != "temporary"]
            for other in affected:
                if other not in todo:
                    self._children.remove(other)
        self._start_in_order(todo)

    def _start_in_order(self, todo: list[_Child]) -> None:
        for position, child in enumerate(todo):
            try:
                self._start(child)
            except _StartFailed as exc:
                for waiting in todo[position:]:
                    waiting.restarting = True
                    if waiting not in self._retry:
                        self._retry.append(waiting)
                self._report("restart_failed", child, None, exc.error, "will retry")
                return
            child.restarts += 1
            self._report("restarted", child, child.pid)

    def _run_retry(self) -> None:
        retry, self._retry = self._retry, []
        todo = [c for c in retry if c.restarting and c in self._children]
        if todo:
            self._add_restart()
            self._start_in_order(todo)

    # -- starting and stopping children ---------------------------------------------------

    def _start(self, child: _Child) -> None:
        """Starts ``child`` and waits until it counts as started (see the module
        documentation); raises _StartFailed with its id and the reason."""
        child.restarting = False
        spec = child.spec
        hosts = (spec.host or self._spec.host, *spec.fallback_hosts)
        process = spec.process
        proc = self._proc
        try:
            if isinstance(process, str):
                nested = self._registry_supervisor(process)
                if nested is not None:
                    process = nested
            for index, host in enumerate(hosts):
                try:
                    if isinstance(process, SupervisorSpec):
                        nested_spec = process.as_child(spec.name, simple=self._spec.is_simple)
                        launched = launch_supervisor(
                            self._runtime, nested_spec, host, parent=proc.pid, monitor=True,
                            link=True, watches=(StartWatch(proc.pid, ack=True),),
                        )
                        pid, ack, supervisor = launched.pid, True, True
                    else:
                        ack, supervisor = spec.ack, False
                        pid = spawn_child(proc, process, host, child.args, spec.name, ack)
                    break
                except _UNAVAILABLE as exc:
                    if index == len(hosts) - 1:
                        raise
                    logger.info("%s: host %s cannot take child %r (%s); trying %s", self._name,
                                host, child.id, exc, hosts[index + 1])
        except NameTakenError as exc:
            raise _StartFailed(child.id, ProcessError("name_taken", str(exc))) from exc
        except (SpawnError, ValueError, TypeError) as exc:
            raise _StartFailed(child.id, ProcessError.from_exception(exc)) from exc
        timeout = spec.start_time(supervisor)

        def failed(event: Event | None) -> _StartFailed:
            if event is None:
                waited = "its ready() ack" if ack else "its start"
                error = ProcessError("timeout", f"waited {timeout:g}s for {waited}; terminated")
            else:
                error = event.error or ProcessError("start_failed", "exited before it started")
            return _StartFailed(child.id, error)

        waiting = Launched(pid, None if math.isinf(timeout) else timeout, failed, ack=ack)
        await_launched(self._runtime, proc, waiting, link=False)  # linked from the spawn
        child.pid = pid
        self._by_pid[pid] = child

    def _is_registry_supervisor(self, entry_id: str) -> bool:
        registry = self._runtime.registry
        return (
            registry is not None
            and entry_id in registry
            and isinstance(registry.get(entry_id), ProcessSupervisor)
        )

    def _registry_supervisor(self, entry_id: str) -> SupervisorSpec | None:
        registry = self._runtime.registry
        if registry is None or not self._is_registry_supervisor(entry_id):
            return None
        return SupervisorSpec.from_registry(registry, entry_id)

    def _stop_child(self, child: _Child) -> None:
        pid = child.pid
        if pid is None:
            return
        stop_child(self._proc, pid, child.spec.shutdown_time)
        self._by_pid.pop(pid, None)
        child.pid = None

    def _stop_all(self) -> None:
        """Stops every running child: in reverse start order, or all at once when simple."""
        running = [c for c in self._children if c.pid is not None]
        if self._spec.is_simple:
            for child in running:
                assert child.pid is not None
                request_stop(self._proc, child.pid, child.spec.shutdown_time)
            for child in running:
                assert child.pid is not None
                await_exit(self._proc, child.pid)
                self._by_pid.pop(child.pid, None)
                child.pid = None
        else:
            for child in reversed(running):
                self._stop_child(child)

    # -- requests -----------------------------------------------------------------------------

    def _on_call(self, message: Message) -> None:
        try:
            name, args, future = message.payload
        except ValueError:
            return
        if not isinstance(future, Future) or not future.set_running_or_notify_cancel():
            return
        handler: Callable[..., Any] | None = getattr(self, f"_call_{name}", None)
        try:
            if handler is None:
                raise SupervisorError("badarg", f"unknown supervisor request {name!r}")
            future.set_result(handler(*args))
        except _Stop:
            raise
        except SupervisorError as exc:
            future.set_exception(exc)
        except Exception as exc:  # a malformed request must not take the supervisor down
            future.set_exception(SupervisorError("badarg", f"{name}: {type(exc).__name__}: {exc}"))

    def _find(self, key: str | Pid) -> _Child:
        for child in self._children:
            if (isinstance(key, Pid) and child.pid == key) or child.id == key:
                return child
        raise SupervisorError("not_found", f"{self._name}: no child {key!r}")

    def _not_simple(self, request: str) -> None:
        if self._spec.is_simple:
            raise SupervisorError(
                "simple_one_for_one", f"{request} is not supported by simple_one_for_one"
            )

    def _call_which_children(self) -> list[ChildInfo]:
        return [self._info(child) for child in self._children]

    def _info(self, child: _Child) -> ChildInfo:
        state: ChildState = (
            "running" if child.pid is not None else "restarting" if child.restarting else "stopped"
        )
        kind: Literal["worker", "supervisor"] = "supervisor" if self._is_sup(child) else "worker"
        return ChildInfo(child.id, child.pid, state, kind, child.spec.describe(), child.restarts)

    def _is_sup(self, child: _Child) -> bool:
        process = child.spec.process
        return isinstance(process, SupervisorSpec) or (
            isinstance(process, str) and self._is_registry_supervisor(process)
        )

    def _call_count_children(self) -> ChildCounts:
        supervisors = sum(1 for c in self._children if self._is_sup(c))
        active = sum(1 for c in self._children if c.pid is not None)
        specs = 1 if self._spec.is_simple else len(self._children)
        return ChildCounts(specs, active, supervisors, len(self._children) - supervisors)

    def _call_start_child(self, spec_or_args: ChildSpec | tuple[Any, ...]) -> Pid:
        if self._spec.is_simple:
            if isinstance(spec_or_args, ChildSpec):
                raise SupervisorError(
                    "simple_one_for_one", "start_child of simple_one_for_one takes arguments"
                )
            template = self._spec.children[0]
            child = _Child(template, template.args + tuple(spec_or_args))
        else:
            if not isinstance(spec_or_args, ChildSpec):
                raise SupervisorError("badarg", "start_child needs a ChildSpec")
            if spec_or_args.significant and self._spec.auto_shutdown == "never":
                raise SupervisorError(
                    "badarg", f"child {spec_or_args.id!r} is significant but auto_shutdown is never"
                )
            for existing in self._children:
                if existing.id == spec_or_args.id:
                    reason = "already_started" if existing.pid is not None else "already_present"
                    raise SupervisorError(reason, f"child {existing.id!r} is {reason}")
            child = _Child(spec_or_args, spec_or_args.args)
        try:
            self._start(child)
        except _StartFailed as exc:
            raise SupervisorError("start_failed", f"child {exc.child_id!r}: {exc.error}") from None
        self._children.append(child)
        return _pid_of(child)

    def _call_terminate_child(self, key: str | Pid) -> None:
        if self._spec.is_simple and not isinstance(key, Pid):
            raise SupervisorError("simple_one_for_one", "terminate_child takes a pid here")
        child = self._find(key)
        self._stop_child(child)
        child.restarting = False
        if child.spec.restart == "temporary" or self._spec.is_simple:
            self._children.remove(child)

    def _call_restart_child(self, child_id: str) -> Pid:
        self._not_simple("restart_child")
        child = self._find(child_id)
        self._check_stopped(child)
        try:
            self._start(child)
        except _StartFailed as exc:
            raise SupervisorError("start_failed", f"child {exc.child_id!r}: {exc.error}") from None
        return _pid_of(child)

    def _call_delete_child(self, child_id: str) -> None:
        self._not_simple("delete_child")
        child = self._find(child_id)
        self._check_stopped(child)
        self._children.remove(child)

    @staticmethod
    def _check_stopped(child: _Child) -> None:
        if child.pid is not None:
            raise SupervisorError("running", f"child {child.id!r} is running")
        if child.restarting:
            raise SupervisorError("restarting", f"child {child.id!r} is restarting")

    # -- reports ------------------------------------------------------------------------------

    def _report(
        self,
        action: Action,
        child: _Child | None = None,
        pid: Pid | None = None,
        error: ProcessError | None = None,
        detail: str = "",
    ) -> None:
        item = SupervisionReport(
            self._name, action, child.id if child else None, pid, error, detail
        )
        report(self._proc, item)


class _StartFailedExit(Exception):
    kind = "start_failed"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _pid_of(child: _Child) -> Pid:
    assert child.pid is not None
    return child.pid


@process_role("supervisor")
def supervisor_main(
    proc: Process,
    runtime: Runtime,
    spec: SupervisorSpec,
    parent: Pid | None,
    outcome: StartOutcome | None,
) -> None:
    """The function a supervisor process runs (see :func:`launch_supervisor`)."""
    proc.describe(spec.name or "supervisor")
    SupervisorProcess(proc, runtime, spec, parent).run(outcome)


def launch_supervisor(
    runtime: Runtime,
    spec: SupervisorSpec,
    host: str,
    *,
    parent: Pid | None,
    monitor: bool,
    link: bool = False,
    watches: tuple[StartWatch, ...] = (),
) -> Launched:
    """Spawns the supervisor process of ``spec`` on ``host`` (registered as
    ``spec.register_as``; monitored by and linked to ``parent`` as asked; its start watched by
    ``watches``) and says how to wait for its start (see :func:`wippy.actors.await_launched`):
    no time limit, as OTP's supervisors, since each child's start is bounded.

    Raises :class:`AlreadyStartedError` when its name is taken, or the spawn's SpawnError.
    """
    label = spec.name or "supervisor"
    outcome = StartOutcome(label)
    try:
        pid = runtime.spawn_function_as(
            supervisor_main,
            host,
            (runtime, spec, parent, outcome),
            parent=parent,
            monitor=monitor,
            link=link,
            name=spec.register_as,
            watches=watches,
        )
    except NameTakenError as exc:
        raise AlreadyStartedError(label, exc.owner) from exc
    return Launched(pid, None, outcome.failure)
