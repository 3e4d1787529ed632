"""What a supervisor supervises: child specs and supervisor specs, from Python or the registry."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, Union

from wippy.actors.table import check_name
from wippy.config.supervisor import (
    AUTO_SHUTDOWNS,
    RESTART_TYPES,
    STRATEGIES,
    ProcessSupervisor,
    check_child_names,
    check_supervisor,
)

if TYPE_CHECKING:
    from wippy.config import Registry

Strategy = Literal["one_for_one", "one_for_all", "rest_for_one", "simple_one_for_one"]
RestartType = Literal["permanent", "transient", "temporary"]
AutoShutdown = Literal["never", "any_significant", "all_significant"]

BRUTAL_KILL: float = 0.0
"""``shutdown=BRUTAL_KILL`` terminates the child at once (no CANCEL)."""

INFINITY: float = math.inf
"""``shutdown=INFINITY`` sends CANCEL and waits for the child however long it takes."""

DEFAULT_WORKER_SHUTDOWN = 5.0
DEFAULT_WORKER_START = 5.0

ChildProcess = Union[str, Callable[..., Any], "SupervisorSpec"]
"""What a child runs: a process entry id, a Python function ``fn(proc, *args)``, or a nested
supervisor."""


@dataclass(frozen=True)
class ChildSpec:
    """One child: ``process`` run with ``args`` on ``host`` (default: the supervisor's host).

    ``restart``: ``permanent`` children are always restarted, ``transient`` ones only after an
    error exit other than ``shutdown``, ``temporary`` ones never (and are forgotten when they exit).
    ``shutdown`` is the grace in seconds between CANCEL and termination when the supervisor stops
    the child (``BRUTAL_KILL``: terminate at once; ``INFINITY``: wait); ``None`` means 5 s for
    workers and ``INFINITY`` for supervisors, as in OTP. A ``significant`` child that ends by itself
    can shut its supervisor down (see :attr:`SupervisorSpec.auto_shutdown`). When ``host``
    cannot take the child (its cluster node is down, it is stopped or full), each of
    ``fallback_hosts`` is tried in order.

    ``name``: the child is registered under it from its spawn (each restart registers it
    again, once the old instance has exited). The child counts as started once its Init
    completed (a WebAssembly guest instantiated, a function entered; a supervisor: once its
    children started) or, with ``ack``, once it called ``proc.ready()``; ``start_timeout`` s
    bound that wait (``None``: 5 s for workers, ``INFINITY`` for supervisors), after which the
    child is terminated and its start has failed.

    Raises ValueError for an invalid combination.
    """

    id: str
    process: ChildProcess
    args: tuple[Any, ...] = ()
    restart: RestartType = "permanent"
    shutdown: float | None = None
    significant: bool = False
    host: str | None = None
    fallback_hosts: tuple[str, ...] = ()
    name: str | None = None
    ack: bool = False
    start_timeout: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError(f"child id must be a non-empty string, got {self.id!r}")
        if self.restart not in RESTART_TYPES:
            raise ValueError(
                f"child {self.id!r}: restart must be one of {', '.join(RESTART_TYPES)}, "
                f"got {self.restart!r}"
            )
        if self.shutdown is not None and not self.shutdown >= 0:
            raise ValueError(f"child {self.id!r}: shutdown must be >= 0 s, got {self.shutdown}")
        if self.significant and self.restart == "permanent":
            raise ValueError(f"child {self.id!r}: a significant child cannot be permanent")
        if self.start_timeout is not None and not self.start_timeout > 0:
            raise ValueError(
                f"child {self.id!r}: start_timeout must be > 0 s, got {self.start_timeout}"
            )
        if self.name is not None:
            check_name(self.name)
        if not (isinstance(self.process, (str, SupervisorSpec)) or callable(self.process)):
            raise ValueError(
                f"child {self.id!r}: process must be an entry id, a function or a SupervisorSpec"
            )
        object.__setattr__(self, "args", tuple(self.args))
        object.__setattr__(self, "fallback_hosts", tuple(self.fallback_hosts))

    @property
    def is_supervisor(self) -> bool:
        """True when the child is itself a supervisor."""
        return isinstance(self.process, SupervisorSpec)

    def start_time(self, supervisor: bool) -> float:
        """The effective start timeout in seconds, for a child that is a ``supervisor`` or not
        (an entry id's kind is known only to the supervisor)."""
        if self.start_timeout is not None:
            return self.start_timeout
        return INFINITY if supervisor else DEFAULT_WORKER_START

    @property
    def shutdown_time(self) -> float:
        """The effective shutdown grace in seconds (defaults applied)."""
        if self.shutdown is not None:
            return self.shutdown
        return INFINITY if self.is_supervisor else DEFAULT_WORKER_SHUTDOWN

    def describe(self) -> str:
        """What the child runs, for reports: an entry id, a function name, or ``supervisor``."""
        process = self.process
        if isinstance(process, str):
            return process
        if isinstance(process, SupervisorSpec):
            return process.name or "supervisor"
        return getattr(process, "__qualname__", repr(process))


@dataclass(frozen=True)
class SupervisorSpec:
    """A supervisor running on ``host``: its ``children`` (started in order), ``strategy`` and
    restart intensity (more than ``intensity`` restarts within ``period`` s stops it).

    ``auto_shutdown`` (``any_significant``/``all_significant``) stops the supervisor when
    significant children end by themselves. ``name`` labels it in logs (the entry id when it
    comes from the registry). ``register_as``: the supervisor process is registered under it
    from its spawn (the entry id when it comes from the registry); a second instance then
    fails to start (:class:`~wippy.supervisors.AlreadyStartedError`). Raises ValueError for
    settings OTP would reject.
    """

    host: str
    children: tuple[ChildSpec, ...] = ()
    strategy: Strategy = "one_for_one"
    intensity: int = 1
    period: float = 5.0
    auto_shutdown: AutoShutdown = "never"
    name: str | None = None
    register_as: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "children", tuple(self.children))
        if self.strategy not in STRATEGIES:
            raise ValueError(
                f"strategy must be one of {', '.join(STRATEGIES)}, got {self.strategy!r}"
            )
        if self.auto_shutdown not in AUTO_SHUTDOWNS:
            raise ValueError(
                f"auto_shutdown must be one of {', '.join(AUTO_SHUTDOWNS)}, "
                f"got {self.auto_shutdown!r}"
            )
        if not isinstance(self.intensity, int) or self.intensity < 0:
            raise ValueError(f"intensity must be an int >= 0, got {self.intensity!r}")
        check_supervisor(
            self.strategy,
            self.auto_shutdown,
            self.period,
            [(child.id, child.significant) for child in self.children],
        )
        check_child_names(self.strategy, [child.name for child in self.children])
        if self.register_as is not None:
            check_name(self.register_as)

    def as_child(self, child_name: str | None, *, simple: bool) -> SupervisorSpec:
        """This spec as a nested supervisor: registered as the child spec's ``child_name`` when
        given, else as its own ``register_as``, except under a ``simple_one_for_one`` parent
        (whose dynamic children are many instances of one spec: unnamed)."""
        register_as = child_name or (None if simple else self.register_as)
        return self if register_as == self.register_as else replace(self, register_as=register_as)

    @property
    def is_simple(self) -> bool:
        """True for ``simple_one_for_one``."""
        return self.strategy == "simple_one_for_one"

    @classmethod
    def from_registry(cls, registry: Registry, entry_id: str) -> SupervisorSpec:
        """Builds the spec of a ``process.supervisor`` entry, nested supervisors included
        (named as :meth:`as_child` says), registered as ``entry_id``.

        Raises KeyError for an unknown entry and TypeError for an entry of another kind.
        """
        entry = registry.get_as(entry_id, ProcessSupervisor)
        children = []
        for child in entry.children:
            target = registry.get(str(child.process))
            process: ChildProcess = (
                cls.from_registry(registry, target.id).as_child(
                    child.name, simple=entry.strategy == "simple_one_for_one"
                )
                if isinstance(target, ProcessSupervisor)
                else target.id
            )
            children.append(
                ChildSpec(
                    id=child.id,
                    process=process,
                    args=tuple(child.args),
                    restart=child.restart,
                    shutdown=child.shutdown,
                    significant=child.significant,
                    host=str(child.host) if child.host is not None else None,
                    fallback_hosts=tuple(str(h) for h in child.fallback_hosts),
                    name=child.name,
                    ack=child.start.ack,
                    start_timeout=child.start.timeout,
                )
            )
        return cls(
            host=str(entry.host),
            children=tuple(children),
            strategy=entry.strategy,
            intensity=entry.intensity,
            period=entry.period,
            auto_shutdown=entry.auto_shutdown,
            name=entry.id,
            register_as=entry.id,
        )
