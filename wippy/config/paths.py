"""Joining untrusted relative paths onto a directory without escaping it."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PathEscapeError", "resolve_inside"]


class PathEscapeError(ValueError):
    """A path given relative to an ``fs.directory`` entry would leave that directory."""


def _contains(base: str, candidate: str) -> bool:
    try:
        return os.path.commonpath([base, candidate]) == base
    except ValueError:  # different drives on Windows
        return False


def _climbs_out(relative: str) -> bool:
    """Whether some ``..`` component of ``relative`` goes above its starting folder."""
    depth = 0
    for part in relative.replace("\\", "/").split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


def resolve_inside(base: Path, relative: str, owner: str) -> Path:
    """Returns ``base / relative`` (normalised), refusing anything that escapes ``base``.

    A path starting with ``/`` is rooted at ``base``, as in Wippy: ``/worker.wasm`` and
    ``worker.wasm`` are the same file. ``owner`` (the entry id) names the directory in error
    messages. Raises PathEscapeError for a NUL byte, ``..`` components that leave ``base``, or a
    path whose real path (symlinks followed) lies outside the real path of ``base``. A ``..``
    that climbs above ``base`` is refused even when later components come back in
    (``../base/x``, ``/../base/x``).
    """
    if "\0" in relative:
        raise PathEscapeError(f"path {relative!r} in {owner} contains a NUL byte")
    inside = relative.lstrip("/\\")  # rooted at the directory
    base_text = os.path.normpath(os.path.abspath(base))
    if _climbs_out(inside):
        raise PathEscapeError(f"path {relative!r} escapes the directory of {owner} ({base_text})")
    candidate = os.path.normpath(os.path.join(base_text, inside))
    real_base = os.path.realpath(base_text)
    real_candidate = os.path.realpath(candidate)
    if not _contains(real_base, real_candidate):
        raise PathEscapeError(
            f"path {relative!r} escapes the directory of {owner}: it resolves through a symlink "
            f"to {real_candidate}, outside the directory {real_base}"
        )
    return Path(candidate)
