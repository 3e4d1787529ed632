"""Which files of a folder make up an app: its registry YAML, not everything below it.

The rule (see the README's configuration reference):

- folders skipped on the way down: hidden ones (``.git``, ``.venv``), virtual environments (any
  folder holding ``pyvenv.cfg``), ``node_modules`` and ``__pycache__``; hidden files too;
- when the remaining tree has ``_index.yaml`` (or ``_index.yml``) files, Wippy's convention, only
  those are read;
- otherwise every ``*.yaml``/``*.yml`` file is read, and the loader skips the documents that are
  not registry documents (see :func:`is_registry_document`), noting each under ``-v``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["INDEX_NAMES", "SKIPPED_FOLDERS", "discover", "is_registry_document", "skipped_folder"]

INDEX_NAMES = ("_index.yaml", "_index.yml")
"""Wippy's registry files: when a tree has any, only they are read."""

SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__"})
"""Folder names never descended into (besides hidden folders and virtual environments)."""

_SUFFIXES = (".yaml", ".yml")


def skipped_folder(path: Path) -> str | None:
    """Why the folder ``path`` is not searched for YAML (a short reason), or None. Never raises."""
    name = path.name
    if name.startswith("."):
        return "hidden folder"
    if name in SKIPPED_FOLDERS:
        return f"{name} folder"
    if (path / "pyvenv.cfg").is_file():
        return "Python virtual environment"
    return None


def discover(root: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Returns the YAML files of the folder ``root`` that belong to the app, in sorted path order,
    and the folders skipped with why (``(path, reason)``).

    Symlinked folders are not followed. Never raises (unreadable folders are left out).
    """
    found: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        kept = []
        for name in sorted(dirs):
            reason = skipped_folder(here / name)
            if reason is None:
                kept.append(name)
            else:
                skipped.append((here / name, reason))
        dirs[:] = kept
        found.extend(
            here / name
            for name in files
            if name.endswith(_SUFFIXES) and not name.startswith(".") and (here / name).is_file()
        )
    indexes = [path for path in found if path.name in INDEX_NAMES]
    chosen = indexes or found
    return sorted(chosen, key=lambda path: path.relative_to(root).as_posix()), skipped


def is_registry_document(document: Any) -> bool:
    """Whether a parsed YAML document is meant as a registry document: a mapping with
    ``entries``, or with both ``version`` and ``namespace``. Never raises.

    Other documents (a ``docker-compose.yml``, a CI workflow) are not part of the app.
    """
    if not isinstance(document, Mapping):
        return False
    return "entries" in document or ("version" in document and "namespace" in document)
