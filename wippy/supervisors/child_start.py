"""A supervisor's record of each child, and starting one child: on its host or a fallback
host, as a worker or a nested supervisor, waiting until it counts as started.

What "counts as started" means, and how a start failure is handled, is the start order of
:mod:`wippy.supervisors.supervisor`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wippy.actors import (
    Event,
    HostQueueFull,
    HostStoppedError,
    HostUnavailableError,
    Launched,
    NameTakenError,
    Pid,
    Process,
    ProcessError,
    SpawnError,
    await_launched,
)
from wippy.config.supervisor import ProcessSupervisor
from wippy.supervisors.children import spawn_child
from wippy.supervisors.spec import ChildSpec, SupervisorSpec

if TYPE_CHECKING:
    from wippy.actors import Runtime

logger = logging.getLogger("wippy.supervisors")

_UNAVAILABLE = (HostUnavailableError, HostStoppedError, HostQueueFull)
"""Spawn errors after which a child's ``fallback_hosts`` are tried."""

NestedLauncher = Callable[[SupervisorSpec, str], Pid]
"""Spawns a nested supervisor from its spec on a host and returns its pid (the supervisor
process passes one that links, monitors and watches the start with an ack)."""


@dataclass(eq=False)
class ChildRecord:
    """What a supervisor knows of one child: its spec and arguments, its pid while it runs,
    whether a failed restart waits to be retried, and how many times it was restarted."""

    spec: ChildSpec
    args: tuple[Any, ...]
    pid: Pid | None = None
    restarting: bool = False
    restarts: int = 0

    @property
    def id(self) -> str:
        return self.spec.id


class ChildStartFailed(Exception):
    """The child ``child_id`` did not start: ``error`` says why."""

    def __init__(self, child_id: str, error: ProcessError) -> None:
        super().__init__(f"{child_id}: {error}")
        self.child_id = child_id
        self.error = error


def start_child(
    proc: Process,
    runtime: Runtime,
    child: ChildRecord,
    supervisor_spec: SupervisorSpec,
    supervisor_name: str,
    launch_nested: NestedLauncher,
) -> Pid:
    """Starts ``child`` of the supervisor ``proc`` (of ``supervisor_spec``, named
    ``supervisor_name`` in logs) and waits until it counts as started; returns its pid.

    The child is spawned on its host (default: the supervisor's), then on each of its
    ``fallback_hosts`` while a host cannot take it; a nested supervisor (a SupervisorSpec or a
    ``process.supervisor`` entry) is spawned by ``launch_nested``. Raises ChildStartFailed with
    its id and the reason.
    """
    spec = child.spec
    hosts = (spec.host or supervisor_spec.host, *spec.fallback_hosts)
    process = spec.process
    try:
        if isinstance(process, str):
            nested = registry_supervisor(runtime, process)
            if nested is not None:
                process = nested
        for index, host in enumerate(hosts):
            try:
                if isinstance(process, SupervisorSpec):
                    nested_spec = process.as_child(spec.name, simple=supervisor_spec.is_simple)
                    pid, ack, supervisor = launch_nested(nested_spec, host), True, True
                else:
                    ack, supervisor = spec.ack, False
                    pid = spawn_child(proc, process, host, child.args, spec.name, ack)
                break
            except _UNAVAILABLE as exc:
                if index == len(hosts) - 1:
                    raise
                logger.info("%s: host %s cannot take child %r (%s); trying %s", supervisor_name,
                            host, child.id, exc, hosts[index + 1])
    except NameTakenError as exc:
        raise ChildStartFailed(child.id, ProcessError("name_taken", str(exc))) from exc
    except (SpawnError, ValueError, TypeError) as exc:
        raise ChildStartFailed(child.id, ProcessError.from_exception(exc)) from exc
    timeout = spec.start_time(supervisor)

    def failed(event: Event | None) -> ChildStartFailed:
        if event is None:
            waited = "its ready() ack" if ack else "its start"
            error = ProcessError("timeout", f"waited {timeout:g}s for {waited}; terminated")
        else:
            error = event.error or ProcessError("start_failed", "exited before it started")
        return ChildStartFailed(child.id, error)

    waiting = Launched(pid, None if math.isinf(timeout) else timeout, failed, ack=ack)
    await_launched(runtime, proc, waiting, link=False)  # linked from the spawn
    return pid


def is_registry_supervisor(runtime: Runtime, entry_id: str) -> bool:
    """True when ``entry_id`` is a ``process.supervisor`` entry of the runtime's registry."""
    registry = runtime.registry
    return (
        registry is not None
        and entry_id in registry
        and isinstance(registry.get(entry_id), ProcessSupervisor)
    )


def registry_supervisor(runtime: Runtime, entry_id: str) -> SupervisorSpec | None:
    """The spec of the ``process.supervisor`` entry ``entry_id``; None for any other id."""
    registry = runtime.registry
    if registry is None or not is_registry_supervisor(runtime, entry_id):
        return None
    return SupervisorSpec.from_registry(registry, entry_id)


def is_supervisor_child(runtime: Runtime, child: ChildRecord) -> bool:
    """True when ``child`` runs a supervisor (a SupervisorSpec or a supervisor entry)."""
    process = child.spec.process
    return isinstance(process, SupervisorSpec) or (
        isinstance(process, str) and is_registry_supervisor(runtime, process)
    )
