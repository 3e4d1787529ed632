"""Errors supervisors and services raise to their callers, and the one a service manager
that gives up exits with."""

from __future__ import annotations

from wippy.actors import Pid, SpawnError
from wippy.actors.events import ProcessError


class SupervisorError(Exception):
    """A supervisor refused a request (unknown child, child running, supervisor gone, ...).

    ``reason`` is a short machine-readable word, as in OTP: ``not_found``, ``running``,
    ``restarting``, ``already_present``, ``already_started``, ``simple_one_for_one``, ``noproc``,
    ``start_failed``, ``timeout``.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class SupervisorStartError(SupervisorError, SpawnError):
    """A supervisor could not start: ``child_id`` failed to start with ``error``.

    The children started before it were stopped again (in reverse order). It is a SpawnError
    too: spawning a ``process.supervisor`` entry raises it.
    """

    def __init__(self, supervisor: str, child_id: str | None, error: ProcessError | str) -> None:
        what = f"child {child_id!r}" if child_id is not None else "the supervisor"
        super().__init__(
            "start_failed", f"supervisor {supervisor} failed to start: {what}: {error}"
        )
        self.supervisor = supervisor
        self.child_id = child_id
        self.error = error


class AlreadyStartedError(SupervisorError, SpawnError):
    """The supervisor's or service's name (its entry id) is registered to the live process
    ``pid`` already: another instance runs (OTP's ``{already_started, Pid}``). Nothing was
    started."""

    kind = "already_started"

    def __init__(self, name: str, pid: Pid | object) -> None:
        self.message = f"{name} is already started as {pid}"
        super().__init__("already_started", self.message)
        self.name = name
        self.pid = pid


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
