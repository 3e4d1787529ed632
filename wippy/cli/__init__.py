"""The ``wippy`` command line."""

from __future__ import annotations

from .main import execute, main

__all__ = ["execute", "main"]
