"""Process identifiers."""

from __future__ import annotations

import itertools
import threading
from typing import NamedTuple


class Pid(NamedTuple):
    """Identifies one process of a runtime: the host it runs on and a number unique per runtime.

    Pids are immutable, hashable and ordered by creation (their ``number``). They print as
    ``<host.number>``, e.g. ``<app:processes.17>``. (A named tuple: hashing and comparing for
    equality happen in C on every message delivered.)
    """

    host: str
    number: int

    def __str__(self) -> str:
        return f"<{self.host}.{self.number}>"

    def __repr__(self) -> str:
        return str(self)

    @classmethod
    def parse(cls, text: str) -> Pid:
        """The pid printed as ``text`` (``<app:processes.17>``). Raises ValueError."""
        if not (text.startswith("<") and text.endswith(">")) or "." not in text:
            raise ValueError(f"not a pid: {text!r}")
        host, _, number = text[1:-1].rpartition(".")
        if not host or not number.isdigit():
            raise ValueError(f"not a pid: {text!r}")
        return cls(host, int(number))

    def __lt__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, Pid):
            return NotImplemented
        return (self.number, self.host) < (other.number, other.host)

    def __gt__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, Pid):
            return NotImplemented
        return (self.number, self.host) > (other.number, other.host)

    def __le__(self, other: object) -> bool:  # type: ignore[override]
        return self == other or self < other

    def __ge__(self, other: object) -> bool:  # type: ignore[override]
        return self == other or self > other


class PidAllocator:
    """Hands out pids with numbers that are never reused within one runtime, from ``start``
    (1; a cluster node that was restarted starts above the numbers it used before); thread-safe.
    """

    def __init__(self, start: int = 1) -> None:
        self._numbers = itertools.count(start)
        self._lock = threading.Lock()

    def allocate(self, host: str) -> Pid:
        """Returns a fresh pid on ``host``."""
        with self._lock:
            return Pid(host, next(self._numbers))


Target = Pid | str
"""A process to act on: its pid, its pid as printed (``<app:processes.17>``) or a name it
registered."""
