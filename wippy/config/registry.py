"""The loaded registry: entries by id, typed look-ups and environment resolution."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar, overload

from .entries import EnvVariable, FsDirectory
from .errors import ConfigError, Problem
from .kinds import Entry
from .process_wasm import WasmEntry, WasmFileEntry

__all__ = ["Registry", "near_matches"]

logger = logging.getLogger(__name__)

EntryT = TypeVar("EntryT", bound=Entry)


def near_matches(wanted: str, candidates: list[str] | Mapping[str, object]) -> str:
    """Returns `` (did you mean a, b?)`` for close matches of ``wanted``, else ``""``.

    Never raises.
    """
    close = difflib.get_close_matches(wanted, list(candidates), n=3, cutoff=0.6)
    return f" (did you mean {', '.join(close)}?)" if close else ""


class Registry:
    """Validated entries keyed by id (``ns:name``), in load order; ``root`` is what was loaded.

    Built by :func:`load_registry`; constructing it directly performs no validation.
    """

    def __init__(self, entries: Mapping[str, Entry], root: Path) -> None:
        self._entries: dict[str, Entry] = dict(entries)
        self.root = root

    @property
    def entries(self) -> Mapping[str, Entry]:
        """A read-only view of all entries by id, in load order. Never raises."""
        return MappingProxyType(self._entries)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._entries

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry(root={str(self.root)!r}, entries={len(self._entries)})"

    def get(self, entry_id: str) -> Entry:
        """Returns the entry with id ``entry_id``.

        Raises KeyError whose message names the id and suggests near matches.
        """
        try:
            return self._entries[entry_id]
        except KeyError:
            raise KeyError(
                f"no entry {entry_id!r} in the registry{near_matches(entry_id, self._entries)}"
            ) from None

    def get_as(self, entry_id: str, cls: type[EntryT]) -> EntryT:
        """Returns the entry ``entry_id`` typed as ``cls``.

        Raises KeyError when it is missing and TypeError when it is of another kind.
        """
        entry = self.get(entry_id)
        if not isinstance(entry, cls):
            expected = cls.KIND or cls.__name__
            raise TypeError(f"entry {entry_id} is a {entry.kind}, not a {expected}")
        return entry

    @overload
    def of_kind(self, kind: type[EntryT]) -> list[EntryT]: ...

    @overload
    def of_kind(self, kind: str) -> list[Entry]: ...

    def of_kind(self, kind: type[EntryT] | str) -> list[EntryT] | list[Entry]:
        """Returns the entries of a model class, or of a kind string (globs like ``process.*``
        allowed), in load order. Never raises."""
        if isinstance(kind, str):
            return [entry for entry in self._entries.values() if fnmatchcase(entry.kind, kind)]
        return [entry for entry in self._entries.values() if isinstance(entry, kind)]

    def directory(self, entry_id: str) -> FsDirectory:
        """Returns the ``fs.directory`` entry ``entry_id``. Raises KeyError/TypeError as get_as."""
        return self.get_as(entry_id, FsDirectory)

    def module_path(self, entry: WasmFileEntry) -> Path:
        """Returns the absolute host path of ``entry``'s module (``path`` inside its ``fs``).

        Raises KeyError/TypeError when ``fs`` is not a loaded ``fs.directory`` and PathEscapeError
        when ``path`` leaves it.
        """
        return self.directory(entry.fs).resolve(entry.path)

    def resolve_env(
        self, entry: WasmEntry, environ: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """Returns ``entry``'s guest environment (guest name -> value) from ``wasi.env``.

        Values come from ``environ`` (default ``os.environ``) or the variable's ``default``; a
        variable with neither is skipped unless ``required``. Raises ConfigError naming the
        process entry, ``wasi.env[i]`` and the variable for every required variable without a
        value (KeyError/TypeError when a referenced entry is not loaded or has another kind).
        """
        resolved: dict[str, str] = {}
        problems: list[Problem] = []
        for index, item in enumerate(entry.wasi.env):
            variable = self.get_as(item.id, EnvVariable)
            name = item.name or variable.variable
            value = variable.value(environ)
            if value is not None:
                resolved[name] = value
            elif item.required:
                problems.append(
                    Problem(
                        entry.source,
                        entry.id,
                        f"wasi.env[{index}]",
                        f"required variable {variable.id} (environment variable "
                        f"{variable.variable!r}, guest name {name!r}) is not set and has no "
                        "default",
                    )
                )
            else:
                logger.debug("%s: skipping unset optional variable %s", entry.id, variable.variable)
        if problems:
            raise ConfigError(problems)
        return resolved
