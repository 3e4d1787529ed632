"""Starting supervisors and talking to them from Python."""

from __future__ import annotations

import math
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from wippy.actors import (
    Event,
    Pid,
    Process,
    StartWatch,
    UnknownNameError,
    await_launched,
    waiting_process,
)
from wippy.actors.function_body import current_process
from wippy.supervisors.children import exit_of
from wippy.supervisors.errors import SupervisorError
from wippy.supervisors.protocol import CALL_TOPIC, ChildCounts, ChildInfo
from wippy.supervisors.spec import ChildSpec, SupervisorSpec
from wippy.supervisors.supervisor import launch_supervisor

if TYPE_CHECKING:
    from wippy.actors import Runtime

_POLL = 0.05
_FIRST_STEP = 0.001


def start_supervisor(
    runtime: Runtime, spec: SupervisorSpec | str, *, parent: Process | None = None
) -> Supervisor:
    """Starts a supervisor process for ``spec`` (or a ``process.supervisor`` entry id, then
    registered under that id) on ``spec.host``.

    Returns once every child has started. With ``parent``, the supervisor is monitored by that
    process from its spawn and linked to it once started (it then stops, children first, when
    the parent fails). Waiting is a receive of ``parent`` (else of the calling function
    process, else of a temporary handle), so a waiting function process gives its permit back.
    Raises :class:`~wippy.supervisors.SupervisorStartError` naming the child that failed to
    start (the ones started before it are stopped again),
    :class:`~wippy.supervisors.AlreadyStartedError` when its name is taken, a SpawnError when
    the supervisor itself cannot be spawned, and KeyError/TypeError for an unknown or
    non-supervisor entry id.
    """
    if isinstance(spec, str):
        registry = runtime.registry
        if registry is None:
            raise KeyError(f"no registry to find supervisor entry {spec!r} in")
        spec = SupervisorSpec.from_registry(registry, spec)
    owner = parent.pid if parent is not None else None
    with waiting_process(runtime, owner) as waiter:
        launched = launch_supervisor(
            runtime, spec, spec.host, parent=waiter.pid, monitor=True,
            watches=(StartWatch(waiter.pid, ack=True),),
        )
        pid = await_launched(
            runtime, waiter, launched, link=owner is not None, monitor=owner is not None
        )
    return Supervisor(runtime, pid, spec.name or "supervisor")


class Supervisor:
    """A client for one supervisor process: OTP's supervisor API on its pid or its name.

    ``supervisor`` is a pid, a pid string or a registered name (``"app:workers"``: a
    supervisor started from an entry is registered under its id). A name is looked up at each
    call, as OTP does, so the client follows the name to a restarted supervisor. Every method
    sends a request the supervisor answers between its other work; it raises
    :class:`~wippy.supervisors.SupervisorError` (``reason`` ``noproc`` once the supervisor is
    gone or no process has the name, ``timeout`` when ``timeout`` s pass first, or the
    supervisor's refusal). Thread-safe.
    """

    def __init__(
        self, runtime: Runtime, supervisor: Pid | str, name: str | None = None
    ) -> None:
        self.runtime = runtime
        self.target = supervisor
        self.name = name or (supervisor if isinstance(supervisor, str) else "supervisor")

    def __repr__(self) -> str:
        return f"<Supervisor {self.name} {self.target}>"

    @property
    def pid(self) -> Pid:
        """The supervisor's pid (for a name: the process registered under it now).

        Raises SupervisorError ``noproc`` when no process has the name.
        """
        try:
            return self.runtime.table.resolve(self.target)
        except UnknownNameError as exc:
            raise SupervisorError("noproc", f"{self.name}: {exc}") from None

    @property
    def alive(self) -> bool:
        """True while the supervisor process runs (for a name: while a process has it)."""
        return self.runtime.is_alive(self.target)

    def which_children(self, timeout: float | None = None) -> list[ChildInfo]:
        """Every child in start order: id, pid (None unless running), state, type, process."""
        result: list[ChildInfo] = self._call("which_children", timeout=timeout)
        return result

    def count_children(self, timeout: float | None = None) -> ChildCounts:
        """How many child specs, running children, supervisors and workers there are."""
        result: ChildCounts = self._call("count_children", timeout=timeout)
        return result

    def start_child(self, spec_or_args: ChildSpec | Any = (), timeout: float | None = None) -> Pid:
        """Adds and starts a child (a :class:`ChildSpec`); for ``simple_one_for_one``, starts
        the template child with its args plus ``spec_or_args`` (a tuple or list of extra args).

        Refusals: ``already_started``/``already_present`` (id in use), ``start_failed``.
        """
        if not isinstance(spec_or_args, ChildSpec):
            if not isinstance(spec_or_args, (tuple, list)):
                raise SupervisorError(
                    "badarg", f"start_child needs a ChildSpec or args, got {spec_or_args!r}"
                )
            spec_or_args = tuple(spec_or_args)
        pid: Pid = self._call("start_child", spec_or_args, timeout=timeout)
        return pid

    def terminate_child(self, child: str | Pid, timeout: float | None = None) -> None:
        """Stops a child by id (by pid for ``simple_one_for_one``) with its shutdown setting.

        Its spec stays (``restart_child`` starts it again) unless it is temporary or dynamic.
        Refusals: ``not_found``.
        """
        self._call("terminate_child", child, timeout=timeout)

    def restart_child(self, child_id: str, timeout: float | None = None) -> Pid:
        """Starts a stopped child again. Refusals: ``running``, ``restarting``, ``not_found``."""
        pid: Pid = self._call("restart_child", child_id, timeout=timeout)
        return pid

    def delete_child(self, child_id: str, timeout: float | None = None) -> None:
        """Forgets a stopped child's spec. Refusals: ``running``, ``restarting``, ``not_found``."""
        self._call("delete_child", child_id, timeout=timeout)

    def stop(self, timeout: float | None = None) -> Event | None:
        """Stops the supervisor: it stops its children in reverse order, then exits.

        Waits up to ``timeout`` s (None: until it is done) and returns its EXIT event, or None
        when it had already exited. The supervisor is terminated when ``timeout`` expires.
        Called from a function process, that process waits (giving its permit back) and its
        mailbox keeps nothing of it (the EXIT is returned, also when it monitors the
        supervisor).
        """
        try:
            pid = self.pid
        except SupervisorError:
            return None
        with waiting_process(self.runtime, None) as me:
            monitoring = self.runtime.table.is_monitoring(me.pid, pid)
            if monitoring is None:  # gone already
                first = me.receive(0, match=exit_of(pid))
                return first if isinstance(first, Event) else None
            if not monitoring:
                me.monitor(pid)
            grace = math.inf if timeout is None else timeout
            me.cancel(pid, reason="shutdown", grace=grace)
            event = me.receive(None, match=exit_of(pid))
            assert isinstance(event, Event)
            return None if event.error is not None and event.error.kind == "noproc" else event

    def _call(self, name: str, *args: Any, timeout: float | None) -> Any:
        future: Future[Any] = Future()
        pid = self.pid
        if not self.runtime.send(pid, CALL_TOPIC, name, args, future):
            raise SupervisorError("noproc", f"{self.name} ({pid}) is not running")
        caller = current_process()
        in_process = isinstance(caller, Process) and caller.runs_on(self.runtime)
        deadline = None if timeout is None else time.monotonic() + timeout
        step = _FIRST_STEP
        while True:
            if in_process:
                # A function process must not hold its worker while the supervisor (maybe on
                # the same host) answers: wait in a receive that takes nothing.
                caller.receive(step, match=_nothing)
                step = min(2 * step, _POLL)
                if future.done():
                    return future.result()
            else:
                try:
                    return future.result(timeout=_POLL)
                except FutureTimeout:
                    pass
            if not self.runtime.is_alive(pid) and not future.done():
                raise SupervisorError(
                    "noproc", f"{self.name} ({pid}) exited before answering {name}"
                )
            if deadline is not None and time.monotonic() >= deadline and not future.done():
                future.cancel()
                raise SupervisorError(
                    "timeout", f"{self.name} did not answer {name} within {timeout}s"
                )


def _nothing(item: object) -> bool:
    return False
