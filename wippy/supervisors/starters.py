"""Spawning ``process.supervisor`` and ``process.service`` entries like any process.

Registered with :func:`wippy.actors.register_starter` when ``wippy.supervisors`` is imported,
so ``proc.spawn("app:workers", host)`` (and ``spawn_monitored``, ``spawn_linked``,
``rt.spawn``) starts the supervisor or service of that entry on ``host`` and returns once it
has started: every child started, or the service's first child. The entry's own ``host``
stays the default host of its children (a service's child runs there). The process is
registered under the entry id (or the spawn's ``name``), so a second instance fails as OTP's
``{already_started, Pid}``. Such entries take no spawn arguments (their children's are in the
entry).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from wippy.actors import Launched, Pid, SpawnArgumentError, StartWatch, register_starter
from wippy.config import ProcessService, ProcessSupervisor
from wippy.supervisors.service import ServiceSpec, launch_service
from wippy.supervisors.spec import SupervisorSpec
from wippy.supervisors.supervisor import launch_supervisor

if TYPE_CHECKING:
    from wippy.actors import Runtime


def _no_args(kind: str, entry_id: str, args: tuple[Any, ...]) -> None:
    if args:
        raise SpawnArgumentError(
            f"cannot spawn {entry_id!r}: a {kind} takes no arguments, got {len(args)}"
        )


class SupervisorStarter:
    """Starts a ``process.supervisor`` entry as its supervisor process."""

    def launch(
        self,
        runtime: Runtime,
        entry_id: str,
        host_id: str,
        args: tuple[Any, ...],
        *,
        parent: Pid | None,
        monitor: bool,
        name: str | None,
        watches: tuple[StartWatch, ...],
    ) -> Launched:
        """Spawns the supervisor (see :func:`~wippy.supervisors.supervisor.launch_supervisor`).

        Raises SpawnArgumentError for arguments, AlreadyStartedError when its name is taken.
        """
        _no_args("process.supervisor", entry_id, args)
        registry = runtime.registry
        assert registry is not None  # the entry was found in it
        spec = SupervisorSpec.from_registry(registry, entry_id)
        if name is not None:
            spec = dataclasses.replace(spec, register_as=name)
        return launch_supervisor(
            runtime, spec, host_id, parent=parent, monitor=monitor, watches=watches
        )


class ServiceStarter:
    """Starts a ``process.service`` entry as its service manager."""

    def launch(
        self,
        runtime: Runtime,
        entry_id: str,
        host_id: str,
        args: tuple[Any, ...],
        *,
        parent: Pid | None,
        monitor: bool,
        name: str | None,
        watches: tuple[StartWatch, ...],
    ) -> Launched:
        """Spawns the manager (see :func:`~wippy.supervisors.service.launch_service`).

        Raises SpawnArgumentError for arguments, AlreadyStartedError when its name is taken,
        ServiceStartError when the manager cannot be spawned.
        """
        _no_args("process.service", entry_id, args)
        registry = runtime.registry
        assert registry is not None
        spec = ServiceSpec.from_registry(registry, entry_id)
        if name is not None:
            spec = dataclasses.replace(spec, register_as=name)
        return launch_service(
            runtime, spec, host_id, parent=parent, monitor=monitor, watches=watches
        )


register_starter(ProcessSupervisor, SupervisorStarter())
register_starter(ProcessService, ServiceStarter())
