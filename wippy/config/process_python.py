"""The ``process.python`` kind: a Python function run as a process."""

from __future__ import annotations

from pydantic import Field

from .kinds import Entry, register_kind

__all__ = ["ProcessPython"]

_DOTTED = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"


@register_kind("process.python")
class ProcessPython(Entry):
    """``module`` (an importable dotted name) and ``method`` (a function in it).

    The function is called as ``method(proc, *args)`` with its process handle; its return value
    is the EXIT value and an exception the EXIT error.
    """

    module: str = Field(pattern=_DOTTED)
    method: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
