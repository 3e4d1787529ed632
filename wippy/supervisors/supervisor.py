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

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wippy.actors import (
    CANCEL,
    EXIT,
    LINK_DOWN,
    Event,
    Launched,
    Message,
    NameTakenError,
    Pid,
    Process,
    ProcessError,
    Shutdown,
    StartWatch,
    process_role,
)
from wippy.supervisors.child_start import ChildRecord, ChildStartFailed, start_child
from wippy.supervisors.children import await_exit, request_stop, stop_child
from wippy.supervisors.errors import AlreadyStartedError, SupervisorError, SupervisorStartError
from wippy.supervisors.protocol import CALL_TOPIC, ChildCounts, ChildInfo, ChildState
from wippy.supervisors.reports import Action, SupervisionReport, report
from wippy.supervisors.requests import SupervisorRequests
from wippy.supervisors.restarts import RestartIntensity, wants_restart
from wippy.supervisors.spec import SupervisorSpec

if TYPE_CHECKING:
    from wippy.actors import Runtime

__all__ = [
    "CALL_TOPIC",
    "ChildCounts",
    "ChildInfo",
    "ChildState",
    "StartOutcome",
    "SupervisorProcess",
    "launch_supervisor",
    "supervisor_main",
]


@dataclass(eq=False)
class _Stop(Exception):
    """Ends the supervisor: children are stopped, then it exits with ``error`` (None: normally)."""

    error: BaseException | None
    action: Action = "shutdown"
    detail: str = ""


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


class SupervisorProcess(SupervisorRequests):
    """The state of one running supervisor; :meth:`run` is its whole life (the requests it
    answers are those of :class:`~wippy.supervisors.requests.SupervisorRequests`)."""

    def __init__(
        self, proc: Process, runtime: Runtime, spec: SupervisorSpec, parent: Pid | None
    ) -> None:
        self._proc = proc
        self._runtime = runtime
        self._spec = spec
        self._parent = parent
        self._name = spec.name or f"supervisor {proc.pid}"
        self._children: list[ChildRecord] = []
        self._by_pid: dict[Pid, ChildRecord] = {}
        self._intensity = RestartIntensity(spec.intensity, spec.period)
        self._retry: list[ChildRecord] = []
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
                    child = ChildRecord(child_spec, child_spec.args)
                    self._children.append(child)
                    self._start(child)
        except ChildStartFailed as exc:
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

    def _on_child_exit(self, child: ChildRecord, event: Event) -> None:
        error = event.error
        self._report("child_exit", child, event.pid, error, "" if error else "normal exit")
        if wants_restart(child.spec, error):
            self._restart(child)
            return
        if child.spec.restart == "temporary" or self._spec.is_simple:
            self._children.remove(child)
        if child.spec.significant:
            self._auto_shutdown(child)

    def _auto_shutdown(self, child: ChildRecord) -> None:
        mode = self._spec.auto_shutdown
        if mode == "any_significant" or (
            mode == "all_significant"
            and not any(c.spec.significant and c.pid is not None for c in self._children)
        ):
            reason = f"significant child {child.id!r} ended ({mode})"
            raise _Stop(Shutdown(f"auto_shutdown: {reason}"), "auto_shutdown", reason)

    def _add_restart(self) -> None:
        if self._intensity.add():
            detail = self._intensity.describe()
            raise _Stop(Shutdown(detail), "give_up", detail)

    def _restart(self, child: ChildRecord) -> None:
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

    def _start_in_order(self, todo: list[ChildRecord]) -> None:
        for position, child in enumerate(todo):
            try:
                self._start(child)
            except ChildStartFailed as exc:
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

    def _start(self, child: ChildRecord) -> None:
        """Starts ``child`` and waits until it counts as started (see the module
        documentation); raises ChildStartFailed with its id and the reason."""
        child.restarting = False
        pid = start_child(
            self._proc, self._runtime, child, self._spec, self._name, self._launch_nested
        )
        child.pid = pid
        self._by_pid[pid] = child

    def _launch_nested(self, spec: SupervisorSpec, host: str) -> Pid:
        """Spawns a nested supervisor on ``host``: linked to and monitored by this one, its
        start watched with an ack."""
        proc = self._proc
        launched = launch_supervisor(
            self._runtime, spec, host, parent=proc.pid, monitor=True,
            link=True, watches=(StartWatch(proc.pid, ack=True),),
        )
        return launched.pid

    def _stop_child(self, child: ChildRecord) -> None:
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

    # -- reports ------------------------------------------------------------------------------

    def _report(
        self,
        action: Action,
        child: ChildRecord | None = None,
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
