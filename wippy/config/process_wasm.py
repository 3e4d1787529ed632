"""The ``process.wasm`` kind: a WebAssembly module run as a process, with WASI set-up and limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, Field, field_validator

from .common import ConfigModel
from .entries import EngineName, FsDirectory
from .hashes import HashStr, parse_hash
from .kinds import Entry, Ref, register_kind
from .paths import PathEscapeError
from .units import ByteSize, Duration

__all__ = [
    "IMPORT_PROFILES",
    "Limits",
    "ProcessWasm",
    "WasiEnv",
    "WasiMount",
    "WasiOptions",
    "WasmEntry",
    "WasmFileEntry",
]

IMPORT_PROFILES: frozenset[str] = frozenset(
    {
        "wasi:cli",
        "wasi:io",
        "wasi:poll",
        "wasi:clocks",
        "wasi:filesystem",
        "wasi:random",
        "wasi:sockets",
        "wasi:http",
        "wasi1",
        "wasi_snapshot_preview1",
        "wippy:process",
    }
)
"""Host-interface profiles an entry's ``imports`` may name (``wippy:process``: the process
API, see README "WASM processes that are actors")."""


def _check_profile(value: str) -> str:
    if value not in IMPORT_PROFILES:
        known = ", ".join(sorted(IMPORT_PROFILES))
        raise ValueError(f"unknown import profile {value!r} (known profiles: {known})")
    return value


def _check_absolute(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"must be an absolute path, got {value!r}")
    return value


def _check_not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _check_env_name(value: str) -> str:
    if not value or "=" in value or "\0" in value:
        raise ValueError(f"{value!r} is not an environment variable name (non-empty, no '=')")
    return value


GuestPath = Annotated[str, AfterValidator(_check_absolute)]


class WasiEnv(ConfigModel):
    """One guest environment variable taken from an ``env.variable`` entry.

    ``name`` is the guest-side name (default: the entry's ``variable``); when ``required`` a
    missing value is an error at :meth:`Registry.resolve_env` time, otherwise it is skipped.
    """

    id: Annotated[str, Ref("env.variable")]
    name: Annotated[str, AfterValidator(_check_env_name)] | None = None
    required: bool = False


class WasiMount(ConfigModel):
    """An ``fs.directory`` entry mounted at the absolute guest path ``guest``."""

    fs: Annotated[str, Ref("fs.directory")]
    guest: GuestPath
    read_only: bool = False


class WasiOptions(ConfigModel):
    """The ``wasi`` block: guest args, working directory, environment and mounts."""

    args: list[str] = []
    cwd: GuestPath | None = None
    env: list[WasiEnv] = []
    mounts: list[WasiMount] = []

    @field_validator("mounts")
    @classmethod
    def _unique_guests(cls, mounts: list[WasiMount]) -> list[WasiMount]:
        seen: dict[str, int] = {}
        for index, mount in enumerate(mounts):
            guest = mount.guest.rstrip("/") or "/"
            if guest in seen:
                raise ValueError(
                    f"guest path {mount.guest!r} is mounted twice (mounts[{seen[guest]}] and "
                    f"mounts[{index}])"
                )
            seen[guest] = index
        return mounts


class Limits(ConfigModel):
    """The ``limits`` block: wall-clock time, fuel and linear-memory caps (None: no limit)."""

    max_execution_ms: Duration | None = None
    fuel: int | None = Field(default=None, gt=0)
    max_memory: ByteSize | None = None


class WasmEntry(Entry):
    """What every WebAssembly entry has (``process.wasm``, ``function.wasm``, ``function.wat``):
    the exported ``method`` to call, the engine, the host interfaces it may import, its WASI view
    and its limits. Not a kind itself."""

    method: Annotated[str, AfterValidator(_check_not_blank)]
    engine: EngineName | None = None
    """The engine to run on; None: the host's ``engine``, else the runtime's default."""
    imports: list[Annotated[str, AfterValidator(_check_profile)]] = []
    wasi: WasiOptions = WasiOptions()
    limits: Limits = Limits()

    def on_load(self, entries: Mapping[str, Entry]) -> list[tuple[str | None, str]]:
        """Checks that guest env names are unique. Returns ``(field, message)`` problems."""
        problems: list[tuple[str | None, str]] = []
        seen: dict[str, int] = {}
        for index, item in enumerate(self.wasi.env):
            variable = entries.get(item.id)
            name = item.name or getattr(variable, "variable", None)
            if name is None:
                continue
            if name in seen:
                message = f"guest variable {name!r} is also set by wasi.env[{seen[name]}]"
                problems.append((f"wasi.env[{index}]", message))
            else:
                seen[name] = index
        return problems


class WasmFileEntry(WasmEntry):
    """A WebAssembly entry whose binary is the file ``path`` inside the ``fs`` directory, pinned
    by ``hash``. Not a kind itself."""

    fs: Annotated[str, Ref("fs.directory")]
    path: Annotated[str, AfterValidator(_check_not_blank)]
    hash: HashStr

    @property
    def hash_parts(self) -> tuple[str, str]:
        """The ``(algorithm, hexdigest)`` of ``hash``. Never raises (validated at load)."""
        return parse_hash(self.hash)

    def on_load(self, entries: Mapping[str, Entry]) -> list[tuple[str | None, str]]:
        """Checks ``path`` stays inside the ``fs`` directory (``..``, symlinks) and guest env
        names are unique.

        Returns ``(field, message)`` problems; never raises.
        """
        problems: list[tuple[str | None, str]] = []
        directory = entries.get(self.fs)
        if isinstance(directory, FsDirectory):
            try:
                directory.resolve(self.path)
            except PathEscapeError as exc:
                problems.append(("path", str(exc)))
        return problems + super().on_load(entries)


@register_kind("process.wasm")
class ProcessWasm(WasmFileEntry):
    """A WebAssembly module (``path`` inside the ``fs`` directory, pinned by ``hash``) whose
    exported ``method`` runs as a process."""

    pool: dict[str, Any] = {}
    """Accepted and ignored, as in Wippy: processes run on their host, not in a pool."""
