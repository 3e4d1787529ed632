"""What the process table counts: spawns, exits, messages and tagged notifications."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TableCounters:
    """What the table has counted since it was created: processes registered by ``(host,
    kind)``, exits by ``(host, kind, error kind or "normal")``, messages delivered, and
    counted monitor notifications by ``(source, event type, tag)`` (supervision reports)."""

    spawns: dict[tuple[str, str], int]
    exits: dict[tuple[str, str, str], int]
    messages: int
    notifications: dict[tuple[str, str, str], int]


NORMAL_EXIT = "normal"
"""The error-kind label of an exit without an error, in :class:`TableCounters`."""
