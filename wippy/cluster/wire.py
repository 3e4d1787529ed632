"""What crosses between nodes: items for one peer, each pickled on its own when it is queued.

Pickling when an item is queued checks that it can cross (``send`` raises
:class:`NotTransferableError` at once, nothing is lost later) and takes a snapshot of the payload
as Erlang copies a message. Messages, the hottest item, travel as tuples of plain values; plain
``pickle`` is tried first and Ray's ``cloudpickle`` (lambdas, local classes) when it fails.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
from dataclasses import dataclass, replace
from typing import Any

from wippy.actors.events import Event, Message, ProcessError
from wippy.actors.pid import Pid
from wippy.cluster.errors import NotTransferableError

logger = logging.getLogger(__name__)

# Operation codes: the first field of every item.
MSG = 0  # (MSG, host, number, topic, payload, sender host, sender number): a Message for a pid
EVENT = 1  # (EVENT, pid, Event): a non-EXIT event for a pid (SUPERVISION reports, CANCEL)
EXIT = 2  # (EXIT, watcher, Event): the EXIT of a process the watcher monitors
MONITOR = 3  # (MONITOR, watcher, target): watcher (sender's node) monitors target (ours)
DEMONITOR = 4  # (DEMONITOR, watcher, target)
LINK = 5  # (LINK, remote, local): link local (ours) to remote (sender's node)
UNLINK = 6  # (UNLINK, remote, local)
LINK_EXIT = 7  # (LINK_EXIT, local, remote, error | None): the linked remote exited
LINK_GONE = 8  # (LINK_GONE, local, remote, error): a link could not be made
CANCEL = 9  # (CANCEL, pid, reason, grace, sender)
TERMINATE = 10  # (TERMINATE, pid)
NAME_ADDED = 11  # (NAME_ADDED, name, pid)
NAME_REMOVED = 12  # (NAME_REMOVED, name, pid)
REQUEST = 13  # (REQUEST, request id, op, args)
REPLY = 14  # (REPLY, request id, ok, value or (error class name, message))
OUTPUT = 15  # (OUTPUT, pid, stream, bytes): guest output for the node that loaded the app
NODE_DOWN = 16  # (NODE_DOWN, node): the sender declared that node lost
LOG = 17  # (LOG, level, logger name, text): a node's log record for the node that loaded the app
WATCH_START = 18  # (WATCH_START, watcher, target, ack): STARTED of target (ours) to watcher
UNWATCH_START = 19  # (UNWATCH_START, watcher, target, ack)


@dataclass(frozen=True)
class NotSent:
    """Stands in for a value that could not cross nodes in an EXIT or an event (which, unlike
    ``send``, cannot refuse it): its ``repr`` and why it could not be pickled."""

    text: str
    why: str


def dumps(item: tuple[Any, ...]) -> bytes:
    """Pickles ``item``: plain pickle, else Ray's cloudpickle. Raises NotTransferableError."""
    try:
        return pickle.dumps(item, pickle.HIGHEST_PROTOCOL)
    except Exception as first:
        try:
            from ray import cloudpickle
        except ImportError:  # pragma: no cover - a cluster always has Ray
            raise NotTransferableError(_why(first)) from first
        try:
            data: bytes = cloudpickle.dumps(item, pickle.HIGHEST_PROTOCOL)
            return data
        except Exception as exc:
            raise NotTransferableError(_why(exc)) from exc


def loads(blob: bytes) -> tuple[Any, ...]:
    """Unpickles an item. Raises what unpickling raises (the item is then skipped)."""
    item: tuple[Any, ...] = pickle.loads(blob)
    return item


def _why(exc: BaseException) -> str:
    return f"cannot be pickled: {type(exc).__name__}: {exc}"


def message(pid: Pid, msg: Message) -> bytes:
    """A message for ``pid`` (its payload pickled apart, so a payload the other node cannot
    unpickle still arrives, as a :class:`NotSent`). Raises NotTransferableError naming the pid
    and the reason."""
    sender = msg.sender
    try:
        payload = dumps(msg.payload)
    except NotTransferableError as exc:
        raise NotTransferableError(
            f"cannot send {msg.topic!r} to {pid} on another node: its payload {exc}"
        ) from exc.__cause__
    return pickle.dumps((MSG, pid.host, pid.number, msg.topic, payload, sender.host,
                         sender.number), pickle.HIGHEST_PROTOCOL)


def read_message(item: tuple[Any, ...]) -> tuple[Pid, Message]:
    """The pid and Message of a :data:`MSG` item."""
    _, host, number, topic, payload, sender_host, sender_number = item
    return Pid(host, number), Message(topic, _value(payload), Pid(sender_host, sender_number))


def _value(blob: bytes) -> Any:
    """Unpickles a payload or a value; a :class:`NotSent` (logged) when it cannot be."""
    try:
        return pickle.loads(blob)
    except Exception as exc:
        logger.error("a value from another node cannot be unpickled here: %s: %s",
                     type(exc).__name__, exc)
        why = f"cannot be unpickled on this node: {type(exc).__name__}: {exc}"
        return (NotSent(f"<{len(blob)} bytes>", why),)


def portable_error(error: ProcessError | None) -> ProcessError | None:
    """``error`` with its Python exception replaced by the formatted traceback (an exception
    and its frames do not cross nodes; the text does)."""
    if error is None or isinstance(error.trace, str):
        return error
    return ProcessError(error.kind, error.message, error.details, error.status)


def portable_event(event: Event) -> Event:
    """``event`` ready to cross: its error portable (and a report's error inside its value)."""
    error = portable_error(event.error)
    value = event.value
    inner = getattr(value, "error", None)
    if isinstance(inner, ProcessError) and not isinstance(inner.trace, str):
        with contextlib.suppress(TypeError):  # not a dataclass: keep it as it is
            value = replace(value, error=portable_error(inner))
    if error is event.error and value is event.value:
        return event
    return Event(event.type, event.pid, value, error, event.reason, event.at)


def event_item(op: int, pid: Pid, event: Event) -> bytes:
    """An EXIT or another event for ``pid``, its value pickled apart; never raises: a value
    that cannot be pickled is replaced by a :class:`NotSent` (logged), as an exit cannot be
    refused."""
    event = portable_event(event)
    try:
        value = dumps((event.value,))
    except NotTransferableError as exc:
        logger.warning("the value of %s of %s for %s cannot cross nodes (%s); sending its repr",
                       event.type, event.pid, pid, exc)
        value = dumps((NotSent(_short_repr(event.value), str(exc)),))
    bare = Event(event.type, event.pid, None, event.error, event.reason, event.at)
    return dumps((op, pid, bare, value))


def read_event(item: tuple[Any, ...]) -> tuple[Pid, Event]:
    """The pid and Event of an :data:`EXIT` or :data:`EVENT` item."""
    _, pid, bare, value = item
    (unpacked,) = _value(value)
    return pid, Event(bare.type, bare.pid, unpacked, bare.error, bare.reason, bare.at)


def _short_repr(value: Any, limit: int = 200) -> str:
    try:
        text = repr(value)
    except Exception as exc:
        text = f"<unrepresentable {type(value).__name__}: {exc}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def error_reply(request_id: int, exc: BaseException) -> bytes:
    """A :data:`REPLY` carrying ``exc`` as its class name and message."""
    return dumps((REPLY, request_id, False, (type(exc).__name__, str(exc))))


def rebuild_error(name: str, message: str) -> BaseException:
    """The exception a failed request raised on the other node, rebuilt here: the wippy error
    class of that name (without running its constructor), else a ClusterError."""
    import builtins

    from wippy.actors import errors as actor_errors
    from wippy.cluster import errors as cluster_errors

    cls = (getattr(actor_errors, name, None) or getattr(cluster_errors, name, None)
           or getattr(builtins, name, None))
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls = cluster_errors.ClusterError
        message = f"{name}: {message}"
    exc: Exception = cls.__new__(cls)
    Exception.__init__(exc, message)
    return exc
