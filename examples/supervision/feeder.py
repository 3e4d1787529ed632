"""The supervision example's driver: feeds numbers to WASM workers, one process per number.

``feed`` runs as the ``process.python`` entry ``sup_demo:feeder``, a child of the
``sup_demo:pipeline`` supervisor. For each input it spawns the WASM worker and waits for its
EXIT. When a worker crashes (it traps on multiples of 7), the feeder crashes too, by raising:
the supervisor restarts it, and it resumes after the input that crashed, because its position
is kept outside the process (in this module, like an Erlang ETS table that outlives its user).
"""

from __future__ import annotations

import sys
from typing import Any

from wippy.actors import CANCEL, EXIT, Event, Pid, Process

_position: dict[str, int] = {}
"""Next input per feed (keyed by worker and range); survives restarts of the feeder."""


def feed(proc: Process, worker: str, host: str, first: int, last: int, pause_ms: int) -> str:
    """Runs ``worker`` on every number from ``first`` to ``last``, ``pause_ms`` apart.

    Returns a summary when done (a normal exit, which ends the pipeline) or when cancelled;
    raises RuntimeError naming the input when a worker fails.
    """
    key = f"{worker}:{first}..{last}"
    n = _position.get(key, first)
    if n != first:
        _say(f"feeder: restarted, resuming at {n}")
    while n <= last:
        _position[key] = n + 1  # move past n first: a crash on n is not retried
        pid = proc.spawn_monitored(worker, host, n)
        event = _wait(proc, pid)
        if event is None or event.type == CANCEL:
            return f"cancelled at {n}"
        if event.error is not None:
            raise RuntimeError(f"worker crashed on input {n}: {event.error}")
        _say(f"feeder: steps({n}) = {event.value}")
        if _wait(proc, None, timeout=pause_ms / 1000) is not None:
            return f"cancelled after {n}"
        n += 1
    del _position[key]
    return f"fed {last - first + 1} inputs"


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")  # one write: other threads print to the same terminal
    sys.stdout.flush()


def _wait(proc: Process, pid: Pid | None, timeout: float | None = None) -> Event | None:
    """The EXIT of ``pid`` or a CANCEL, whichever comes first; None after ``timeout`` s."""

    def wanted(item: Any) -> bool:
        return isinstance(item, Event) and (
            item.type == CANCEL or (item.type == EXIT and item.pid == pid)
        )

    item = proc.receive(timeout=timeout, match=wanted)
    assert item is None or isinstance(item, Event)
    return item
