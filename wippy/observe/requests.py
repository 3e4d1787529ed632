"""What the control socket of a running app answers: snapshots, stopping, terminating a
process and restarting a supervisor's child."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from wippy.actors import HANDLE_HOST, Pid, Runtime, UnknownNameError
from wippy.observe import snapshot
from wippy.observe.control import Handler, RequestError
from wippy.supervisors import Supervisor, SupervisorError

log = logging.getLogger(__name__)

SUPERVISOR_TIMEOUT = 10.0
"""Seconds a supervisor has to answer a ``restart_child`` step."""


def _text_arg(request: dict[str, Any], name: str) -> str:
    value = request.get(name)
    if not isinstance(value, str) or not value:
        raise RequestError(f"{request.get('op')} needs {name!r}, a non-empty string")
    return value


class AppRequests:
    """The request handlers of one app: ``snapshot``, ``stop``, ``terminate`` and
    ``restart_child``. ``stop`` calls ``request_stop`` (the app's ordered shutdown, run by the
    command that owns the app), which returns what to tell the client."""

    def __init__(self, rt: Runtime, app: str, request_stop: Callable[[], str]) -> None:
        self._rt = rt
        self._app = app
        self._request_stop = request_stop
        self._started_at = time.time()

    def handlers(self) -> dict[str, Handler]:
        """Request name -> handler, for :class:`~wippy.observe.control.ControlServer`."""
        return {
            "snapshot": self.snapshot,
            "stop": self.stop,
            "terminate": self.terminate,
            "restart_child": self.restart_child,
        }

    def snapshot(self, request: dict[str, Any]) -> dict[str, Any]:
        """The app now (see :mod:`wippy.observe.snapshot`); ``children: false`` skips the
        supervisors' child lists."""
        children = request.get("children", True) is not False
        return snapshot.take(
            self._rt, app=self._app, started_at=self._started_at, children=children
        )

    def stop(self, request: dict[str, Any]) -> dict[str, Any]:
        """Starts the app's ordered shutdown; answers at once (the client waits for the socket
        to go away)."""
        return {"stopping": self._request_stop()}

    def _pid(self, text: str) -> Pid:
        try:
            return self._rt.table.resolve(text)
        except UnknownNameError as exc:
            raise RequestError(str(exc)) from None

    def terminate(self, request: dict[str, Any]) -> dict[str, Any]:
        """Terminates the process ``pid`` (a pid or a registered name)."""
        pid = self._pid(_text_arg(request, "pid"))
        if pid.host == HANDLE_HOST:
            raise RequestError(f"{pid} is a handle of the wippy process itself, not a process "
                               "of the app; it cannot be terminated from here")
        if not self._rt.terminate(pid):
            raise RequestError(f"no process {pid} (it has exited)")
        log.info("terminated %s on request", pid)
        return {"terminated": str(pid)}

    def _supervisor(self, name: str) -> Supervisor:
        """The live supervisor ``name`` (its entry id or name, or its pid)."""
        supervisors = [p for p in self._rt.processes() if p.kind == "supervisor"]
        for info in supervisors:
            if str(info.pid) == name or info.entry == name or name in info.names:
                return Supervisor(self._rt, info.pid, info.entry or name)
        known = ", ".join(sorted({p.entry or str(p.pid) for p in supervisors})) or "none"
        raise RequestError(f"no supervisor {name!r} is running (supervisors: {known})")

    def restart_child(self, request: dict[str, Any]) -> dict[str, Any]:
        """Restarts the child ``child`` of supervisor ``supervisor``: a running child is
        terminated by its shutdown setting and started again, a stopped one started."""
        sup = self._supervisor(_text_arg(request, "supervisor"))
        child_id = _text_arg(request, "child")
        try:
            children = sup.which_children(timeout=SUPERVISOR_TIMEOUT)
            found = [c for c in children if c.id == child_id]
            if not found:
                known = ", ".join(c.id for c in children) or "none"
                raise RequestError(f"{sup.name} has no child {child_id!r} (children: {known})")
            child = found[0]
            old = child.pid
            if child.state == "restarting":
                raise RequestError(f"{sup.name}: child {child_id!r} is already restarting")
            if child.state == "running":
                sup.terminate_child(child_id, timeout=SUPERVISOR_TIMEOUT)
            pid = sup.restart_child(child_id, timeout=SUPERVISOR_TIMEOUT)
        except SupervisorError as exc:
            raise RequestError(f"{sup.name}: {exc}") from None
        log.info("restarted child %s of %s on request: %s -> %s", child_id, sup.name, old, pid)
        return {"supervisor": sup.name, "child": child_id, "old_pid": str(old) if old else None,
                "pid": str(pid)}
