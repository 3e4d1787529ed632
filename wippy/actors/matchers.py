"""The ``match`` predicates of selective receives: messages of a topic, the event about a pid."""

from __future__ import annotations

from collections.abc import Callable

from wippy.actors.events import Event, Message, Received
from wippy.actors.pid import Pid


def receive_matcher(
    topic: str | None, match: Callable[[Received], bool] | None
) -> Callable[[Received], bool] | None:
    """The ``match`` of a receive: only messages of ``topic`` (and that ``match`` accepts)."""
    if topic is None:
        return match
    wanted, accept = topic, match

    def by_topic(item: Received) -> bool:
        return (
            isinstance(item, Message)
            and item.topic == wanted
            and (accept is None or accept(item))
        )

    return by_topic


def event_about(pid: Pid, event_type: str) -> Callable[[Received], bool]:
    """A ``match`` for the event of ``event_type`` about ``pid``."""

    def match(item: Received) -> bool:
        return isinstance(item, Event) and item.type == event_type and item.pid == pid

    return match
