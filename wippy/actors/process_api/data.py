"""What crosses the guest boundary: MessagePack data, and items as a guest sees them.

- A guest's ``send`` data is one MessagePack value (or nothing). A Python receiver gets it
  decoded as the payload tuple: ``(value,)``, or ``()`` for no data. The tuple is a
  :class:`GuestPayload`, which keeps the bytes as sent, so a guest receiver gets them unchanged.
- A Python ``send(pid, topic, *values)`` reaches a guest as the encoding of its one value, of
  the list of its values when there are several, and of nil when there are none. Python
  ``bytes`` become MessagePack bin, tuples and sets arrays, pids their string (``<h.17>``),
  dataclasses maps of their fields, enums their value.
- EXIT and LINK_DOWN data is the map ``{value, error: {kind, message} | nil}``; CANCEL data
  the reason string; any other event (SUPERVISION) the same map as EXIT.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

import msgpack

from wippy.actors.events import CANCEL, EXIT, LINK_DOWN, Event, Message, ProcessError, Received
from wippy.actors.pid import Pid

from . import codes
from .codes import ApiError


class GuestPayload(tuple):  # type: ignore[type-arg]
    """The payload of a message a guest sent: its decoded value as a one-tuple (empty when it
    sent no data), with :attr:`msgpack`, the bytes as sent."""

    msgpack: bytes

    def __new__(cls, values: tuple[Any, ...], data: bytes) -> GuestPayload:
        payload = super().__new__(cls, values)
        payload.msgpack = data
        return payload


def decode(data: bytes, what: str = "data") -> Any:
    """The one MessagePack value ``data`` holds. Raises :class:`ApiError` (bad argument) for
    bytes that are not exactly one valid MessagePack value."""
    try:
        return msgpack.unpackb(data, raw=False, strict_map_key=False)
    except msgpack.ExtraData as exc:
        extra = len(exc.extra) if isinstance(exc.extra, (bytes, bytearray)) else "some"
        raise ApiError(
            codes.BAD_ARGUMENT,
            f"{what} is not one MessagePack value: {extra} bytes follow the first value",
        ) from None
    except (ValueError, TypeError, msgpack.UnpackException) as exc:
        reason = str(exc) or type(exc).__name__
        raise ApiError(codes.BAD_ARGUMENT, f"{what} is not MessagePack: {reason}") from None


def payload_from_guest(data: bytes) -> GuestPayload:
    """A guest's message data as the payload tuple Python receivers see."""
    if not data:
        return GuestPayload((), b"")
    return GuestPayload((decode(data),), data)


def spawn_args(data: bytes) -> tuple[Any, ...]:
    """A guest's spawn ``args``: a MessagePack array (no data: no arguments)."""
    if not data:
        return ()
    value = decode(data, "args")
    if not isinstance(value, list):
        raise ApiError(
            codes.BAD_ARGUMENT, f"args must be a MessagePack array, got {type(value).__name__}"
        )
    return tuple(value)


def _default(obj: Any) -> Any:
    if isinstance(obj, Pid):  # a named tuple: packed as its printed form, not as an array
        return str(obj)
    if isinstance(obj, tuple):  # with strict types, tuples (and named tuples) come here,
        return list(obj)  # and so do subclasses of the other packable types:
    if isinstance(obj, dict):
        return dict(obj)
    if isinstance(obj, list):
        return list(obj)
    if isinstance(obj, str):
        return str(obj)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return bytes(obj)
    if isinstance(obj, bool):
        return bool(obj)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj)
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    raise TypeError(f"cannot encode a {type(obj).__name__} as MessagePack")


def encode(value: Any, what: str = "value") -> bytes:
    """``value`` as MessagePack. Raises :class:`ApiError` (not encodable) when it holds
    something MessagePack cannot represent."""
    try:
        return msgpack.packb(  # type: ignore[no-any-return]
            value, default=_default, use_bin_type=True, strict_types=True
        )
    except (TypeError, ValueError, OverflowError) as exc:
        raise ApiError(codes.NOT_ENCODABLE, f"{what} cannot be sent to a guest: {exc}") from None


def error_map(error: ProcessError | None) -> dict[str, str] | None:
    """An EXIT error as guests see it: ``{kind, message}``, or None."""
    return None if error is None else {"kind": error.kind, "message": error.message}


def kind_of(item: Received | None) -> int:
    """What ``receive`` returns for ``item``: timeout, message, EXIT, LINK_DOWN, CANCEL, other."""
    if item is None:
        return codes.TIMEOUT
    if isinstance(item, Message):
        return codes.MESSAGE
    return {EXIT: codes.EXIT, LINK_DOWN: codes.LINK_DOWN, CANCEL: codes.CANCEL}.get(
        item.type, codes.OTHER_EVENT
    )


def topic_of(item: Received) -> str:
    """A message's topic, or an event's type."""
    return item.topic if isinstance(item, Message) else item.type


def sender_of(item: Received) -> str:
    """A message's sender, or the pid an event is about, as a pid string."""
    return str(item.sender if isinstance(item, Message) else item.pid)


def data_of(item: Received) -> bytes:
    """The MessagePack data of ``item`` as a guest receives it (see the module docstring).
    Raises :class:`ApiError` (not encodable) for a Python value MessagePack cannot hold."""
    if isinstance(item, Message):
        payload = item.payload
        if isinstance(payload, GuestPayload):
            return payload.msgpack
        if len(payload) == 1:
            return encode(payload[0], "the message's payload")
        return encode(list(payload) if payload else None, "the message's payload")
    return event_data(item)


def event_data(event: Event) -> bytes:
    """The data of an event: ``{value, error}``, or a CANCEL's reason string."""
    if event.type == CANCEL:
        return encode(event.reason or "")
    return encode({"value": event.value, "error": error_map(event.error)}, f"the {event.type}")
