"""Helpers shared by the wippy.config tests."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from wippy.config import ConfigError, Registry, load_registry

WriteYaml = Callable[..., Path]

VALID_HASH = "sha256:" + "ab" * 32


def doc(entries: str, namespace: str = "myns") -> str:
    """Returns a registry document whose ``entries`` list is the given (unindented) YAML text."""
    body = textwrap.indent(textwrap.dedent(entries).strip("\n"), "  ")
    return f'version: "1.0"\nnamespace: {namespace}\nentries:\n{body}\n'


def load_ok(path: Path) -> Registry:
    """Loads ``path``, failing the test with the problems when it does not load."""
    try:
        return load_registry(path)
    except ConfigError as exc:  # pragma: no cover - shows the problems on failure
        pytest.fail(str(exc))


def load_problems(path: Path) -> list[str]:
    """Loads ``path`` expecting a ConfigError and returns its problems as strings."""
    with pytest.raises(ConfigError) as info:
        load_registry(path)
    return [str(problem) for problem in info.value.problems]


def only_problem(path: Path) -> str:
    """Loads ``path`` expecting exactly one problem and returns it as a string."""
    problems = load_problems(path)
    assert len(problems) == 1, problems
    return problems[0]
