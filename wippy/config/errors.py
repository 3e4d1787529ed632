"""Configuration errors: a :class:`Problem` per mistake, all raised in one :class:`ConfigError`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ConfigError", "Problem", "display_path"]


def display_path(path: Path) -> str:
    """Returns ``path`` relative to the current directory when it lies inside it, else as given.

    Never raises; an unreadable current directory falls back to the path itself.
    """
    try:
        cwd = Path.cwd()
    except OSError:
        return str(path)
    try:
        if path.is_absolute():
            return str(path.relative_to(cwd))
    except ValueError:
        pass
    return str(path)


@dataclass(frozen=True)
class Problem:
    """One mistake in the configuration: where it is (file, entry id, field path) and what it is.

    ``entry`` is the full entry id (``ns:name``) when the problem belongs to one entry, ``field``
    the dotted/indexed field path inside that entry (``wasi.mounts[0].guest``), else None.
    Its ``str`` reads
    ``app/main.yaml: entry myns:worker: field wasi.cwd: must be an absolute path``.
    Never raises.
    """

    file: Path
    entry: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        parts = [display_path(self.file)]
        if self.entry is not None:
            parts.append(f"entry {self.entry}")
        if self.field is not None:
            parts.append(f"field {self.field}")
        parts.append(self.message)
        return ": ".join(parts)


class ConfigError(Exception):
    """The configuration is invalid; ``problems`` lists every mistake found (at least one).

    ``str()`` gives a count header then one problem per line.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"{count} configuration {noun}:"]
        lines.extend(f"  {problem}" for problem in self.problems)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._render()

    def __reduce__(self) -> tuple[type[ConfigError], tuple[list[Problem]]]:
        return (type(self), (self.problems,))
