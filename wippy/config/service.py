"""The ``process.service`` kind: one process kept running with a restart policy and dependencies.

Defaults follow Wippy's Go runtime (``api/supervisor.LifecycleConfig``): ``auto_start`` false,
``start_timeout`` 10s, ``stop_timeout`` 10s, ``stable_threshold`` 5s, ``restart.initial_delay``
1s, ``restart.max_delay`` 90s, ``restart.backoff_factor`` 2.0, ``restart.jitter`` 0.1 and
``restart.max_attempts`` 0 (unlimited).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator

from .common import ConfigModel
from .kinds import Entry, Ref, register_kind
from .units import Duration

__all__ = ["ProcessService", "RestartPolicy", "ServiceLifecycle", "requires_cycle"]

SERVICE_KIND = "process.service"


def _check_factor(value: float) -> float:
    if not math.isfinite(value) or value < 1.0:
        raise ValueError(
            f"must be a number >= 1 (1 keeps the delay constant, 2 doubles it), got {value}"
        )
    return value


def _check_jitter(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(
            f"must be a fraction between 0 and 1 (0.1 = delay varies by ±10%), got {value}"
        )
    return value


def _check_positive(value: float) -> float:
    if value <= 0:
        raise ValueError("must be greater than zero")
    return value


class RestartPolicy(ConfigModel):
    """The ``lifecycle.restart`` block: how long to wait before restarting a failed process.

    The delay before the restart after the n-th consecutive failure is
    ``min(max_delay, initial_delay * backoff_factor ** (n - 1))``, varied by ``±jitter`` (a
    fraction) and never above ``max_delay``. ``max_attempts`` consecutive failures end the
    service (0: never give up).
    """

    initial_delay: Duration = 1.0
    max_delay: Duration = 90.0
    backoff_factor: Annotated[float, AfterValidator(_check_factor)] = 2.0
    jitter: Annotated[float, AfterValidator(_check_jitter)] = 0.1
    max_attempts: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _delays_ordered(self) -> RestartPolicy:
        if self.max_delay < self.initial_delay:
            raise ValueError(
                f"max_delay ({self.max_delay:g}s) must not be less than initial_delay "
                f"({self.initial_delay:g}s)"
            )
        return self


class ServiceLifecycle(ConfigModel):
    """The ``lifecycle`` block of a service: start/stop timeouts, dependencies and restarts.

    ``requires`` lists services that start before this one and stop after it.
    """

    auto_start: bool = False
    start_timeout: Annotated[Duration, AfterValidator(_check_positive)] = 10.0
    stop_timeout: Duration = 10.0
    stable_threshold: Duration = 5.0
    requires: list[Annotated[str, Ref(SERVICE_KIND)]] = []
    restart: RestartPolicy = RestartPolicy()


def requires_cycle(start: str, entries: Mapping[str, Entry]) -> list[str] | None:
    """Returns the shortest ``requires`` path from service ``start`` back to itself, else None.

    The path starts and ends with ``start`` (``[a, b, a]``). Entries that are not services are
    ignored. Never raises.
    """
    first = entries.get(start)
    if not isinstance(first, ProcessService):
        return None
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for current in frontier:
            entry = entries.get(current)
            if not isinstance(entry, ProcessService):
                continue
            for required in entry.lifecycle.requires:
                if required == start:
                    path = [current]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [*reversed(path), start]
                if required not in parents:
                    parents[required] = current
                    following.append(required)
        frontier = following
    return None


@register_kind(SERVICE_KIND)
class ProcessService(Entry):
    """A process (``process``, a ``process.wasm``, ``process.python`` or ``process.lua``
    entry) spawned on ``host`` with ``input`` as its arguments and kept running according to
    ``lifecycle``."""

    process: Annotated[str, Ref("process.wasm", "process.python", "process.lua")]
    host: Annotated[str, Ref("process.host", "terminal.host")]
    input: list[Any] = []
    lifecycle: ServiceLifecycle = ServiceLifecycle()

    def on_load(self, entries: Mapping[str, Entry]) -> list[tuple[str | None, str]]:
        """Checks ``lifecycle.requires``: no service listed twice, none requiring itself through
        a chain (a cycle is reported once, on its first-loaded service, as ``a -> b -> a``).

        Returns ``(field, message)`` problems; never raises.
        """
        problems: list[tuple[str | None, str]] = []
        seen: dict[str, int] = {}
        for index, required in enumerate(self.lifecycle.requires):
            if required in seen:
                problems.append(
                    (
                        f"lifecycle.requires[{index}]",
                        f"{required} is already listed at lifecycle.requires[{seen[required]}]",
                    )
                )
            else:
                seen[required] = index
        cycle = requires_cycle(self.id, entries)
        if cycle is not None and self._first_loaded(cycle, entries):
            index = seen.get(cycle[1], 0)
            problems.append(
                (f"lifecycle.requires[{index}]", f"requires cycle: {' -> '.join(cycle)}")
            )
        return problems

    def _first_loaded(self, cycle: list[str], entries: Mapping[str, Entry]) -> bool:
        members = set(cycle)
        for entry_id in entries:
            if entry_id in members:
                return entry_id == self.id
        return False
