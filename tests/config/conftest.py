"""Fixtures for wippy.config tests: writing registry YAML into a temporary folder."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[..., Path]:
    """Writes dedented YAML text to ``tmp_path / name`` (folders created) and returns the path."""

    def write(text: str, name: str = "main.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write
