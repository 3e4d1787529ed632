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
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wippy.actors import Launched, Pid, SpawnArgumentError, StartWatch, register_starter
from wippy.config import ProcessService, ProcessSupervisor
from wippy.supervisors.service import ServiceSpec, launch_service
from wippy.supervisors.spec import SupervisorSpec
from wippy.supervisors.supervisor import launch_supervisor

if TYPE_CHECKING:
    from wippy.actors import Runtime
    from wippy.config import Registry


class _TreeStarter:
    """Starts one kind of tree entry (``kind``) as its process: the spec is read from the
    registry (``from_registry``) and handed to ``launcher`` (launch_supervisor or
    launch_service)."""

    def __init__(self, kind: str, from_registry: Callable[[Registry, str], Any],
                 launcher: Callable[..., Launched]) -> None:
        self._kind = kind
        self._from_registry = from_registry
        self._launcher = launcher

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
        """Spawns the supervisor or service manager of ``entry_id`` on ``host_id``.

        Raises SpawnArgumentError for arguments, AlreadyStartedError when its name is taken,
        ServiceStartError when a service's manager cannot be spawned.
        """
        if args:
            raise SpawnArgumentError(
                f"cannot spawn {entry_id!r}: a {self._kind} takes no arguments, got {len(args)}"
            )
        registry = runtime.registry
        assert registry is not None  # the entry was found in it
        spec = self._from_registry(registry, entry_id)
        if name is not None:
            spec = dataclasses.replace(spec, register_as=name)
        return self._launcher(
            runtime, spec, host_id, parent=parent, monitor=monitor, watches=watches
        )


register_starter(
    ProcessSupervisor,
    _TreeStarter("process.supervisor", SupervisorSpec.from_registry, launch_supervisor),
)
register_starter(
    ProcessService, _TreeStarter("process.service", ServiceSpec.from_registry, launch_service)
)
