"""Reads the hosts a runtime should create from a loaded :class:`~wippy.config.Registry`."""

from __future__ import annotations

from dataclasses import dataclass

from wippy.actors.host import HostConfig
from wippy.config import ProcessHost, Registry, TerminalHost


@dataclass(frozen=True)
class HostEntry:
    """A host declared in the registry and whether it starts with the runtime."""

    config: HostConfig
    auto_start: bool


def registry_hosts(registry: Registry) -> list[HostEntry]:
    """The ``process.host`` and ``terminal.host`` entries as host configs, in load order.

    A ``terminal.host`` gets the default worker and queue settings. Never raises for a valid
    registry (``HostConfig`` re-checks the bounds and raises ValueError).
    """
    hosts: list[HostEntry] = []
    for entry in registry:
        if isinstance(entry, ProcessHost):
            options = entry.host
            config = HostConfig(
                entry.id,
                workers=options.workers,
                queue_size=options.queue_size,
                stop_timeout=float(options.stop_timeout),
                slice=float(options.slice),
            )
            hosts.append(HostEntry(config, entry.lifecycle.auto_start))
        elif isinstance(entry, TerminalHost):
            config = HostConfig(entry.id, terminal=True)
            hosts.append(HostEntry(config, entry.lifecycle.auto_start))
    return hosts
