"""The requests a supervisor process answers for :class:`~wippy.supervisors.Supervisor`
clients: which_children, count_children, start_child, terminate_child, restart_child and
delete_child, with OTP's refusals.

The supervisor process's loop hands each request ``name`` of a
:data:`~wippy.supervisors.protocol.CALL_TOPIC` message to the method ``_call_<name>``; its
result or :class:`~wippy.supervisors.SupervisorError` answers the request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from wippy.actors import Pid
from wippy.supervisors.child_start import ChildRecord, ChildStartFailed, is_supervisor_child
from wippy.supervisors.errors import SupervisorError
from wippy.supervisors.protocol import ChildCounts, ChildInfo, ChildState
from wippy.supervisors.spec import ChildSpec, SupervisorSpec

if TYPE_CHECKING:
    from wippy.actors import Runtime


class SupervisorRequests:
    """The request handlers of a supervisor process, a base of
    :class:`~wippy.supervisors.supervisor.SupervisorProcess`, which holds the children and
    knows how to start and stop one."""

    _runtime: Runtime
    _spec: SupervisorSpec
    _name: str
    _children: list[ChildRecord]

    def _start(self, child: ChildRecord) -> None:
        """Starts ``child`` and waits until it started; raises ChildStartFailed."""
        raise NotImplementedError

    def _stop_child(self, child: ChildRecord) -> None:
        """Stops ``child`` if it runs, with its shutdown setting."""
        raise NotImplementedError

    def _find(self, key: str | Pid) -> ChildRecord:
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

    def _info(self, child: ChildRecord) -> ChildInfo:
        state: ChildState = (
            "running" if child.pid is not None else "restarting" if child.restarting else "stopped"
        )
        kind: Literal["worker", "supervisor"] = (
            "supervisor" if is_supervisor_child(self._runtime, child) else "worker"
        )
        return ChildInfo(child.id, child.pid, state, kind, child.spec.describe(), child.restarts)

    def _call_count_children(self) -> ChildCounts:
        supervisors = sum(1 for c in self._children if is_supervisor_child(self._runtime, c))
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
            child = ChildRecord(template, template.args + tuple(spec_or_args))
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
            child = ChildRecord(spec_or_args, spec_or_args.args)
        try:
            self._start(child)
        except ChildStartFailed as exc:
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
        except ChildStartFailed as exc:
            raise SupervisorError("start_failed", f"child {exc.child_id!r}: {exc.error}") from None
        return _pid_of(child)

    def _call_delete_child(self, child_id: str) -> None:
        self._not_simple("delete_child")
        child = self._find(child_id)
        self._check_stopped(child)
        self._children.remove(child)

    @staticmethod
    def _check_stopped(child: ChildRecord) -> None:
        if child.pid is not None:
            raise SupervisorError("running", f"child {child.id!r} is running")
        if child.restarting:
            raise SupervisorError("restarting", f"child {child.id!r} is restarting")


def _pid_of(child: ChildRecord) -> Pid:
    assert child.pid is not None
    return child.pid
