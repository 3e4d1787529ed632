"""The ``process.lua`` and ``function.lua`` kinds: Lua code run as a process or called.

Both have Wippy's fields: ``source`` (the code, inline or ``file://name.lua`` beside the YAML
file; stored as :attr:`LuaEntry.code`), ``method`` (the function of the table the code returns),
``modules`` (what the code may ``require``) and ``limits``. ``function.lua`` adds a ``pool``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, Field, field_validator

from .common import ConfigModel
from .function import Pool
from .kinds import Entry, register_kind
from .units import ByteSize, Duration

__all__ = [
    "LUA_MODULES",
    "LUA_PROCESS_MODULES",
    "SANDBOX_REFUSED",
    "FunctionLua",
    "LuaEntry",
    "LuaLimits",
    "ProcessLua",
]

LUA_PROCESS_MODULES: frozenset[str] = frozenset({"process"})
"""Modules only a ``process.lua`` has: a function has no pid or mailbox."""

LUA_MODULES: frozenset[str] = frozenset({"process", "time", "funcs"})
"""Modules wippy provides to Lua code, by the name ``modules`` lists and ``require`` takes."""

SANDBOX_REFUSED: frozenset[str] = frozenset({"os", "io", "debug", "package", "ffi", "jit"})
"""Standard Lua libraries the sandbox never gives: files, the OS, the debug and loader APIs."""

_FILE_PREFIX = "file://"
_IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"


def _check_module(name: str) -> str:
    if name in SANDBOX_REFUSED:
        raise ValueError(f"module {name!r} is not available to Lua code (the sandbox has no "
                         "files, OS, debug or loader access)")
    if name not in LUA_MODULES:
        known = ", ".join(sorted(LUA_MODULES))
        raise ValueError(f"unknown module {name!r} (wippy provides: {known})")
    return name


class LuaLimits(ConfigModel):
    """The ``limits`` block of a Lua entry (None: no limit): ``max_execution_ms``, the
    wall-clock time of a whole run (computing and waiting), and ``max_memory``, the bytes the
    Lua state may allocate."""

    max_execution_ms: Duration | None = None
    max_memory: ByteSize | None = None


class LuaEntry(Entry):
    """What ``process.lua`` and ``function.lua`` share. Not a kind itself."""

    YAML_FIELDS: ClassVar[Mapping[str, str]] = {"source": "code"}

    code: str = Field(min_length=1)
    """The Lua code (YAML ``source``): inline, or ``file://name.lua`` relative to the YAML
    file's folder."""
    method: str = Field(pattern=_IDENTIFIER)
    """The function, in the table the code returns, that runs (or is called)."""
    modules: list[Annotated[str, AfterValidator(_check_module)]] = []
    limits: LuaLimits = LuaLimits()

    @field_validator("modules")
    @classmethod
    def _unique(cls, modules: list[str]) -> list[str]:
        seen: set[str] = set()
        for name in modules:
            if name in seen:
                raise ValueError(f"module {name!r} is listed twice")
            seen.add(name)
        return modules

    @property
    def lua_file(self) -> Path | None:
        """The file ``source`` names (``file://...``), absolute; None for inline code."""
        if not self.code.startswith(_FILE_PREFIX):
            return None
        return Path(os.path.normpath(self.source.parent / self.code[len(_FILE_PREFIX):]))

    @property
    def chunk_name(self) -> str:
        """The name Lua gives the code in messages and tracebacks: the file's name, or the
        entry id for inline code."""
        path = self.lua_file
        return path.name if path is not None else self.id

    def lua_text(self) -> str:
        """The Lua code: ``source`` itself, or the file it names. Raises OSError (and
        UnicodeDecodeError, a ValueError) when that file cannot be read."""
        path = self.lua_file
        return self.code if path is None else path.read_text(encoding="utf-8")

    def on_load(self, entries: Mapping[str, Entry]) -> list[tuple[str | None, str]]:
        """Checks that a ``file://`` source exists."""
        del entries
        path = self.lua_file
        if path is not None and not path.is_file():
            what = "is not a file" if path.exists() else "does not exist"
            return [("source", f"{path} {what}")]
        return []


@register_kind("process.lua")
class ProcessLua(LuaEntry):
    """Lua code whose ``method`` runs as a process (with the ``process`` global: pid, mailbox,
    spawn, monitors, links)."""

    pool: dict[str, Any] = {}
    """Accepted and ignored, as for ``process.wasm``: a process runs on its host."""


@register_kind("function.lua")
class FunctionLua(LuaEntry):
    """Lua code whose ``method`` is called as a function, through a ``pool`` of Lua states."""

    pool: Pool = Pool()

    def check_fields(self) -> list[tuple[str | None, str]]:
        """Refuses ``process`` in ``modules``: a function has no process."""
        if LUA_PROCESS_MODULES & set(self.modules):
            return [("modules", "module 'process' is for process.lua entries: a function has no "
                                "pid or mailbox (spawn from a process instead)")]
        return []
