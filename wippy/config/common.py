"""Shared building blocks of entry models: the strict base model and the ``lifecycle`` block."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

__all__ = ["ID_PATTERN", "NAME_PATTERN", "ConfigModel", "Lifecycle"]

NAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]+")
"""Entry names and namespaces: letters, digits, ``_``, ``-`` and ``.``."""

ID_PATTERN = re.compile(r"[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+")
"""Full entry ids: ``namespace:name``."""


class ConfigModel(BaseModel):
    """Base of every configuration model: frozen, strict types, unknown fields rejected.

    Validation raises ``pydantic.ValidationError``; the loader turns it into problems.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Lifecycle(ConfigModel):
    """How the runtime starts an entry: ``auto_start`` starts it when the application boots."""

    auto_start: bool = False
