"""The ``wippy`` command."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """Runs the ``wippy`` command line; returns the exit status."""
    raise SystemExit("wippy: the command line is not built yet")
