"""The operations of ``wippy:process`` on a guest's :class:`~wippy.actors.Process`, shared by
the core-module and the component forms: each raises :class:`~.codes.ApiError` with its code
for what the guest did wrong, and lets anything else (the process has exited) fail the guest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wippy.actors.errors import NameTakenError, SpawnError
from wippy.actors.events import Message, Received
from wippy.actors.pid import Pid
from wippy.actors.process import Process
from wippy.wasm.spec import HostCall

from . import codes
from .codes import ApiError
from .data import payload_from_guest, spawn_args

INTERFACE = "wippy:process"

MONITOR_FLAG = 1
LINK_FLAG = 2


class Session:
    """One guest's ``wippy:process`` state: the current item (and its data, encoded once) and
    the message of the last error."""

    __slots__ = ("current", "data", "last_error")

    def __init__(self) -> None:
        self.current: Received | None = None
        self.data: bytes | None = None
        self.last_error = ""

    def set_current(self, item: Received | None) -> None:
        """Makes ``item`` (None: nothing, after a timeout) the current item."""
        self.current = item
        self.data = None


def process_of(call: HostCall) -> Process:
    """The calling guest's process. Raises RuntimeError for a guest that is not a process (a
    ``function.wasm`` entry)."""
    proc = call.context
    if not isinstance(proc, Process):
        raise RuntimeError(
            "wippy:process is available to processes only (this guest is not running as one)"
        )
    return proc


def session_of(call: HostCall) -> Session:
    """The calling guest's session, created on its first call."""
    state = call.state.get(INTERFACE)
    if state is None:
        state = call.state[INTERFACE] = Session()
    return state  # type: ignore[no-any-return]


def target(proc: Process, text: str) -> Pid:
    """The pid ``text`` names: a pid string (``<host.17>``) or a registered name."""
    if text.startswith("<"):
        try:
            return Pid.parse(text)
        except ValueError:
            raise ApiError(codes.BAD_ARGUMENT, f"not a pid: {text!r}") from None
    if not text:
        raise ApiError(codes.BAD_ARGUMENT, "empty pid or name")
    pid = proc.lookup(text)
    if pid is None:
        raise ApiError(codes.NO_PROCESS, f"no process is registered as {text!r}")
    return pid


def send(proc: Process, to: str, topic: str, data: bytes) -> None:
    """Sends ``data`` (one MessagePack value, or nothing) to ``to`` as a message of ``topic``."""
    payload = payload_from_guest(data)
    pid = target(proc, to)
    if not proc.send_payload(pid, topic, payload):
        raise ApiError(codes.NO_PROCESS, f"no such process: {pid} (it has exited)")


def spawn(proc: Process, entry: str, host: str, args: bytes, flags: int) -> Pid:
    """Spawns ``entry`` on ``host`` (empty: the caller's own host) with the MessagePack array
    ``args``; ``flags``: bit 0 monitor, bit 1 link."""
    if flags & ~(MONITOR_FLAG | LINK_FLAG):
        raise ApiError(codes.BAD_ARGUMENT, f"unknown spawn flags {flags:#x} (known: 1 monitor, "
                       "2 link)")
    arguments = spawn_args(args)
    host_id = host or proc.self.host
    spawners: dict[int, Callable[..., Pid]] = {
        0: proc.spawn,
        MONITOR_FLAG: proc.spawn_monitored,
        LINK_FLAG: proc.spawn_linked,
        MONITOR_FLAG | LINK_FLAG: proc.spawn_linked_monitored,
    }
    try:
        return spawners[flags](entry, host_id, *arguments)
    except SpawnError as exc:
        raise ApiError(codes.SPAWN_FAILED, str(exc)) from None


def act(proc: Process, operation: str, text: str, *extra: Any) -> None:
    """``monitor``, ``unmonitor``, ``link``, ``unlink``, ``terminate`` or ``cancel`` of the
    process ``text`` names, as in Python; ``terminate``/``cancel`` of a gone pid is an error."""
    pid = target(proc, text)
    done = getattr(proc, operation)(pid, *extra)
    if done is False:
        raise ApiError(codes.NO_PROCESS, f"no such process: {pid} (it has exited)")


def register(proc: Process, name: str) -> None:
    """Registers the guest's process as ``name``."""
    try:
        proc.register(name)
    except NameTakenError as exc:
        raise ApiError(codes.NAME_TAKEN, str(exc)) from None
    except ValueError as exc:
        raise ApiError(codes.BAD_ARGUMENT, str(exc)) from None


def unregister(proc: Process, name: str) -> None:
    """Frees ``name``, which the guest's process must hold."""
    if not proc.unregister(name):
        raise ApiError(codes.NO_PROCESS, f"this process is not registered as {name!r}")


def match_topic(topic: str | None) -> Callable[[Received], bool] | None:
    """What a guest's receive takes: with a topic, messages of that topic and every event."""
    if not topic:
        return None
    wanted = topic

    def accept(item: Received) -> bool:
        return type(item) is not Message or item.topic == wanted

    return accept
