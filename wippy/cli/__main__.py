"""``python -m wippy.cli``."""

from __future__ import annotations

from .main import main

main()
