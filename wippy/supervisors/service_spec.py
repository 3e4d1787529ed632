"""What a service is: :class:`ServiceSpec` (or a ``process.service`` entry), and the order in
which an app starts its services (:func:`service_order`). How a service runs is
:mod:`wippy.supervisors.service`."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wippy.actors.table import check_name
from wippy.config.service import ProcessService
from wippy.supervisors.backoff import RestartSpec

if TYPE_CHECKING:
    from wippy.config import Registry

ServiceProcess = str | Callable[..., Any]
"""What a service runs: a process entry id or a Python function ``fn(proc, *input)``."""


@dataclass(frozen=True)
class ServiceSpec:
    """A service: ``process`` run with ``input`` on ``host``, kept running as the module
    documentation describes.

    ``name`` labels it in logs, reports and errors (the entry id when built from the registry);
    ``register_as`` names its manager process (the entry id when built from the registry).
    ``auto_start`` and ``requires`` matter to :func:`service_order` (the app), not to
    :func:`start_service`. Defaults are Wippy's. Raises ValueError for negative timeouts, a
    ``start_timeout`` that is not positive, an empty ``host``, a bad ``register_as`` or a
    ``process`` that is neither an entry id nor callable.
    """

    process: ServiceProcess
    host: str
    input: tuple[Any, ...] = ()
    name: str | None = None
    auto_start: bool = False
    start_timeout: float = 10.0
    stop_timeout: float = 10.0
    stable_threshold: float = 5.0
    requires: tuple[str, ...] = ()
    restart: RestartSpec = field(default_factory=RestartSpec)
    register_as: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "input", tuple(self.input))
        object.__setattr__(self, "requires", tuple(self.requires))
        label = self.label
        if not (isinstance(self.process, str) and self.process) and not callable(self.process):
            raise ValueError(f"service {label}: process must be an entry id or a function")
        if not isinstance(self.host, str) or not self.host:
            raise ValueError(f"service {label}: host must be a host id, got {self.host!r}")
        if not 0 < self.start_timeout < math.inf:
            raise ValueError(f"service {label}: start_timeout must be > 0 s")
        for name in ("stop_timeout", "stable_threshold"):
            value = getattr(self, name)
            if not 0 <= value < math.inf:
                raise ValueError(f"service {label}: {name} must be >= 0 s, got {value!r}")
        if self.register_as is not None:
            check_name(self.register_as)

    @property
    def describe_process(self) -> str:
        """What the service runs, for reports: the entry id or the function's name."""
        if isinstance(self.process, str):
            return self.process
        named = getattr(self.process, "__qualname__", None)
        return named if isinstance(named, str) else type(self.process).__qualname__

    @property
    def label(self) -> str:
        """``name``, else what the service runs."""
        return self.name or self.describe_process

    @classmethod
    def from_registry(cls, registry: Registry, entry_id: str) -> ServiceSpec:
        """Builds the spec of the ``process.service`` entry ``entry_id``.

        Raises KeyError for an unknown entry and TypeError for an entry of another kind.
        """
        entry = registry.get_as(entry_id, ProcessService)
        lifecycle = entry.lifecycle
        policy = lifecycle.restart
        return cls(
            process=str(entry.process),
            host=str(entry.host),
            input=tuple(entry.input),
            name=entry.id,
            auto_start=lifecycle.auto_start,
            start_timeout=lifecycle.start_timeout,
            stop_timeout=lifecycle.stop_timeout,
            stable_threshold=lifecycle.stable_threshold,
            requires=tuple(str(required) for required in lifecycle.requires),
            restart=RestartSpec(
                initial_delay=policy.initial_delay,
                max_delay=policy.max_delay,
                backoff_factor=policy.backoff_factor,
                jitter=policy.jitter,
                max_attempts=policy.max_attempts,
            ),
            register_as=entry.id,
        )


def service_order(registry: Registry) -> list[str]:
    """The ids of the services to start with the app, in start order.

    Those are the ``auto_start`` services and every service they require (directly or not),
    each after the services it requires, otherwise in load order. Stop them in reverse.
    Raises ValueError naming the cycle when ``requires`` loops (a loaded registry has none).
    """
    services = {entry.id: entry for entry in registry.of_kind(ProcessService)}
    order: list[str] = []
    done: set[str] = set()

    def visit(entry_id: str, path: list[str]) -> None:
        if entry_id in done:
            return
        if entry_id in path:
            cycle = [*path[path.index(entry_id) :], entry_id]
            raise ValueError(f"requires cycle: {' -> '.join(cycle)}")
        entry = services.get(entry_id)
        if entry is None:
            raise ValueError(f"{path[-1]} requires {entry_id}, which is not a process.service")
        for required in entry.lifecycle.requires:
            visit(str(required), [*path, entry_id])
        done.add(entry_id)
        order.append(entry_id)

    for entry_id, entry in services.items():
        if entry.lifecycle.auto_start:
            visit(entry_id, [])
    return order
