"""The ``process.supervisor`` kind: a restart tree of process entries, with OTP's semantics."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from .common import ConfigModel, Lifecycle
from .kinds import Entry, Ref, register_kind
from .units import Duration, duration_validator

__all__ = [
    "AUTO_SHUTDOWNS",
    "RESTART_TYPES",
    "STRATEGIES",
    "ChildEntry",
    "ChildStart",
    "ProcessSupervisor",
    "check_child_names",
    "check_supervisor",
]

STRATEGIES = ("one_for_one", "one_for_all", "rest_for_one", "simple_one_for_one")
RESTART_TYPES = ("permanent", "transient", "temporary")
AUTO_SHUTDOWNS = ("never", "any_significant", "all_significant")

BRUTAL_KILL = 0.0
"""``shutdown: brutal_kill`` is stored as 0 s: terminate at once, no CANCEL."""

ShutdownTime = Annotated[
    float, BeforeValidator(duration_validator({"infinity": math.inf, "brutal_kill": BRUTAL_KILL}))
]

_CHILD_KINDS = ("process.wasm", "process.python", "process.lua", "process.supervisor")

def _check_process_name(name: str) -> str:
    if not name or name.startswith("<") or any(c.isspace() for c in name):
        raise ValueError(
            f"a process name is a non-empty word that does not start with '<' (which reads as "
            f"a pid), got {name!r}"
        )
    return name


StartTime = Annotated[float, BeforeValidator(duration_validator({"infinity": math.inf}))]


class ChildStart(ConfigModel):
    """The ``start`` block of a child: when it counts as started.

    Without ``ack``, once its Init completed (a WebAssembly guest instantiated, a Python
    function entered, a supervisor's children started); with ``ack``, once it called
    ``ready()`` itself (OTP's ``proc_lib:init_ack``). ``timeout`` bounds the wait (default
    5 s for workers, ``infinity`` for supervisors); then the child is terminated and its start
    has failed.
    """

    ack: bool = False
    timeout: StartTime | None = None

    @model_validator(mode="after")
    def _positive(self) -> ChildStart:
        if self.timeout is not None and not self.timeout > 0:
            raise ValueError("timeout must be greater than zero")
        return self


class ChildEntry(ConfigModel):
    """One child of a supervisor: which ``process`` entry to run, with what, and how to restart.

    ``shutdown`` defaults to 5 s for workers and ``infinity`` for supervisor children (OTP's
    defaults); ``brutal_kill`` is stored as ``0.0``. ``host`` defaults to the supervisor's host;
    ``fallback_hosts`` are tried in order when it cannot take the child (its node is down).
    ``name`` registers the child under that name from its spawn (again on each restart);
    ``start`` says when it counts as started (:class:`ChildStart`).
    """

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    process: Annotated[str, Ref(*_CHILD_KINDS)]
    args: list[Any] = []
    restart: Literal["permanent", "transient", "temporary"] = "permanent"
    shutdown: ShutdownTime | None = None
    significant: bool = False
    host: Annotated[str, Ref("process.host", "terminal.host")] | None = None
    fallback_hosts: list[Annotated[str, Ref("process.host", "terminal.host")]] = []
    name: Annotated[str, AfterValidator(_check_process_name)] | None = None
    start: ChildStart = ChildStart()

    @model_validator(mode="after")
    def _significant_not_permanent(self) -> ChildEntry:
        if self.significant and self.restart == "permanent":
            raise ValueError(
                f"child {self.id!r}: a significant child must be transient or temporary "
                "(a permanent child is always restarted, so it can never end the supervisor)"
            )
        return self


@register_kind("process.supervisor")
class ProcessSupervisor(Entry):
    """A supervisor process on ``host`` that starts ``children`` in order and restarts them.

    ``intensity`` restarts are allowed within ``period``; one more stops the supervisor.
    """

    host: Annotated[str, Ref("process.host", "terminal.host")]
    strategy: Literal["one_for_one", "one_for_all", "rest_for_one", "simple_one_for_one"] = (
        "one_for_one"
    )
    intensity: int = Field(default=1, ge=0)
    period: Duration = 5.0
    auto_shutdown: Literal["never", "any_significant", "all_significant"] = "never"
    children: list[ChildEntry] = []
    lifecycle: Lifecycle = Lifecycle()

    @model_validator(mode="after")
    def _check_children(self) -> ProcessSupervisor:
        check_supervisor(
            self.strategy,
            self.auto_shutdown,
            self.period,
            [(child.id, child.significant) for child in self.children],
            duplicates=False,  # reported by check_fields, so child references are still checked
        )
        check_child_names(self.strategy, [child.name for child in self.children])
        return self

    def check_fields(self) -> list[tuple[str | None, str]]:
        """Reports each child whose ``id`` an earlier child already has."""
        problems: list[tuple[str | None, str]] = []
        seen: dict[str, int] = {}
        for index, child in enumerate(self.children):
            if child.id in seen:
                problems.append((f"children[{index}].id", f"duplicate child id {child.id!r} "
                                 f"(also children[{seen[child.id]}])"))
            else:
                seen[child.id] = index
        return problems

    def on_load(self, entries: Mapping[str, Entry]) -> list[tuple[str | None, str]]:
        """Reports a supervisor that contains itself, directly or through nested supervisors."""
        path = _find_cycle(self.id, self.id, entries, [self.id])
        if path is None:
            return []
        return [("children", "supervisor tree contains itself: " + " -> ".join(path))]


def check_supervisor(
    strategy: str,
    auto_shutdown: str,
    period: float,
    children: Sequence[tuple[str, bool]],
    *,
    duplicates: bool = True,
) -> None:
    """Applies OTP's rules to a supervisor's flags and ``(child id, significant)`` pairs.

    Raises ValueError for a period of 0, duplicate child ids (unless ``duplicates`` is false), a
    ``simple_one_for_one`` without exactly one child or with ``auto_shutdown``, and significant
    children under ``auto_shutdown: never``.
    """
    if not period > 0:
        raise ValueError("period must be greater than zero")
    ids = [child_id for child_id, _ in children]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates and repeated:
        raise ValueError(f"duplicate child id {repeated[0]!r}")
    if strategy == "simple_one_for_one":
        if len(children) != 1:
            raise ValueError(
                "a simple_one_for_one supervisor needs exactly one child (the template "
                f"for start_child), got {len(children)}"
            )
        if auto_shutdown != "never":
            raise ValueError("auto_shutdown must be 'never' for simple_one_for_one (as in OTP)")
    if auto_shutdown == "never":
        for child_id, significant in children:
            if significant:
                raise ValueError(
                    f"child {child_id!r} is significant but auto_shutdown is 'never' "
                    "(set auto_shutdown to any_significant or all_significant)"
                )


def check_child_names(strategy: str, names: Sequence[str | None]) -> None:
    """Raises ValueError when two children have the same ``name`` (the second could never
    start) or a ``simple_one_for_one`` template has one (its dynamic children are many)."""
    given = [name for name in names if name is not None]
    repeated = sorted({name for name in given if given.count(name) > 1})
    if repeated:
        raise ValueError(f"two children are named {repeated[0]!r}: a name is one process's")
    if strategy == "simple_one_for_one" and given:
        raise ValueError(
            "the child of a simple_one_for_one supervisor cannot have a name: each dynamic "
            "child would be registered under it"
        )


def _find_cycle(
    start: str, current: str, entries: Mapping[str, Entry], path: list[str]
) -> list[str] | None:
    entry = entries.get(current)
    if not isinstance(entry, ProcessSupervisor):
        return None
    for child in entry.children:
        target = str(child.process)
        if target == start:
            return [*path, target]
        if target in path:
            continue  # another supervisor's cycle; reported on that entry
        found = _find_cycle(start, target, entries, [*path, target])
        if found is not None:
            return found
    return None
