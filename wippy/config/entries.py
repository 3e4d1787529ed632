"""Entry kinds for resources and hosts: ``fs.directory``, ``env.variable``, ``process.host``,
``terminal.host``."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from .cluster import CLUSTER_KIND, NodeField, check_node_field
from .common import ConfigModel, Lifecycle
from .kinds import Entry, register_kind
from .paths import resolve_inside
from .units import Duration

__all__ = [
    "EngineName",
    "EnvVariable",
    "FsDirectory",
    "HostOptions",
    "ProcessHost",
    "TerminalHost",
    "parse_mode",
]

EngineName = Literal["wasmtime", "wasmer"]
"""A WebAssembly engine an entry or a host may select."""

logger = logging.getLogger(__name__)

_OCTAL = re.compile(r"(?:0o?)?([0-7]{1,4})", re.IGNORECASE)


def parse_mode(value: Any) -> int:
    """Parses a permission mode: an octal string (``"0755"``, ``"755"``, ``"0o755"``) or an int.

    An int is taken as the numeric mode (YAML reads unquoted ``0755`` as octal) and must be at most
    ``0o777``, which catches an unquoted decimal ``755``. Raises ValueError for anything else.
    """
    if isinstance(value, bool):
        raise ValueError("mode must be an octal string like '0755', got a boolean")
    if isinstance(value, int):
        if not 0 <= value <= 0o777:
            raise ValueError(
                f"mode {value} is not a permission value; "
                "write it as a quoted octal string like '0755'"
            )
        return value
    if isinstance(value, str):
        match = _OCTAL.fullmatch(value.strip())
        if match is None:
            raise ValueError(f"mode {value!r} is not valid octal; expected e.g. '0755' or '0700'")
        return int(match.group(1), 8)
    raise ValueError(f"mode must be an octal string like '0755', got {type(value).__name__}")


def _check_variable_name(value: str) -> str:
    if not value or "=" in value or "\0" in value:
        raise ValueError(f"{value!r} is not an environment variable name (non-empty, no '=')")
    return value


@register_kind("fs.directory")
class FsDirectory(Entry):
    """A host directory, ``directory`` relative to the YAML file's folder (see :attr:`path`).

    At load a missing directory is created with ``mode`` when ``auto_init`` is true, otherwise
    reported as a configuration problem.
    """

    directory: str = Field(min_length=1)
    auto_init: bool = False
    mode: Annotated[int, BeforeValidator(parse_mode)] = 0o755

    @property
    def path(self) -> Path:
        """The absolute, normalised directory path. Never raises."""
        return Path(os.path.normpath(self.source.parent / self.directory))

    def resolve(self, relative: str) -> Path:
        """Returns ``relative`` joined inside this directory (a leading ``/`` is rooted here).

        Raises PathEscapeError (a ValueError) for ``..`` that leaves the directory, or symlinks
        whose target lies outside it.
        """
        return resolve_inside(self.path, relative, self.id)

    def on_load(self, entries: Mapping[str, Entry]) -> list[tuple[str | None, str]]:
        """Checks the directory exists, creating it (with ``mode``) when ``auto_init`` is set.

        Returns a problem on ``directory`` when it is missing without ``auto_init``, is not a
        directory, or cannot be created.
        """
        del entries
        path = self.path
        if path.is_dir():
            return []
        if path.exists():
            return [("directory", f"{path} exists but is not a directory")]
        if not self.auto_init:
            message = f"directory {path} does not exist (create it or set auto_init: true)"
            return [("directory", message)]
        try:
            path.mkdir(parents=True, exist_ok=True)
            os.chmod(path, self.mode)
        except OSError as exc:
            return [("directory", f"cannot create directory {path}: {exc.strerror or exc}")]
        logger.info("created directory %s (mode %o) for %s", path, self.mode, self.id)
        return []


@register_kind("env.variable")
class EnvVariable(Entry):
    """A variable of the process environment (``variable``), with an optional ``default``."""

    variable: Annotated[str, AfterValidator(_check_variable_name)]
    default: str | None = None

    def value(self, environ: Mapping[str, str] | None = None) -> str | None:
        """Returns the variable from ``environ`` (default ``os.environ``), else ``default``.

        Never raises.
        """
        source = os.environ if environ is None else environ
        found = source.get(self.variable)
        return self.default if found is None else found


class HostOptions(ConfigModel):
    """The ``host`` block of ``process.host``: worker threads, how many spawned processes may
    wait for their first Step, the stop grace time and a running guest's time slice."""

    workers: int = Field(default=16, ge=1)
    queue_size: int = Field(default=1024, ge=1)
    stop_timeout: Duration = 5.0
    slice: Duration = 0.01


@register_kind("process.host")
class ProcessHost(Entry):
    """A host that runs process entries on a pool of workers; ``engine`` is the WebAssembly
    engine of the ``process.wasm`` entries spawned on it that name none themselves; ``node``
    is the cluster node it runs on (see :mod:`wippy.config.cluster`; None: the loading node)."""

    host: HostOptions = HostOptions()
    lifecycle: Lifecycle = Lifecycle()
    engine: EngineName | None = None
    node: Annotated[NodeField, BeforeValidator(check_node_field)] = None

    def on_load(self, entries: Mapping[str, Entry]) -> list[tuple[str | None, str]]:
        """Reports a ``node`` other than 0 in an app without a ``cluster.ray`` entry."""
        if self.node in (None, 0) or any(e.kind == CLUSTER_KIND for e in entries.values()):
            return []
        return [("node", f"node {self.node!r} needs a {CLUSTER_KIND} entry in the app "
                         "(without one, every host runs in this process)")]


@register_kind("terminal.host")
class TerminalHost(Entry):
    """A host bound to the terminal (stdin/stdout) for command-style processes."""

    lifecycle: Lifecycle = Lifecycle()
