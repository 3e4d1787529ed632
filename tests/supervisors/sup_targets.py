"""Functions that ``process.python`` entries of the supervisor tests point at."""

from __future__ import annotations

import threading

from wippy.actors import CANCEL, Event, Process

JOURNAL: list[tuple[str, str]] = []
_LOCK = threading.Lock()


def member(proc: Process, name: str) -> str:
    """Records its start and its CANCEL in :data:`JOURNAL`; runs until cancelled."""
    with _LOCK:
        JOURNAL.append(("start", name))
    while True:
        item = proc.receive()
        if isinstance(item, Event) and item.type == CANCEL:
            with _LOCK:
                JOURNAL.append(("stop", name))
            return name


def slow_starter(proc: Process, delay: float) -> None:
    """Takes ``delay`` s to start, then registers ``slow-ready`` and acks; runs until
    cancelled."""
    proc.receive(timeout=delay, topic="never")
    proc.register("slow-ready")
    proc.ready()
    while True:
        item = proc.receive()
        if isinstance(item, Event) and item.type == CANCEL:
            return
