"""``wippy:process`` for core modules: the host functions a guest imports from the module
``wippy:process``, over ``(ptr, len)`` strings and MessagePack data in its ``memory``.

Guest memory errors (a pointer or length outside the memory, a negative length) make the guest
trap with a message naming the function and the argument; what the guest asked that cannot be
done returns a negative code (:mod:`.codes`) and sets ``last_error``. ``receive`` that has to
wait suspends the guest (a :class:`~wippy.wasm.spec.Wait`), holding no thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wippy.wasm.spec import GuestMemoryError, HostCall, HostFunc, HostInterface, Wait

from . import codes
from . import operations as ops
from .codes import ApiError
from .data import data_of, kind_of, sender_of, topic_of


def _read(call: HostCall, ptr: int, length: int, what: str) -> bytes:
    try:
        return call.memory.read(ptr, length)
    except GuestMemoryError as exc:
        raise GuestMemoryError(f"argument `{what}`: {exc}") from None


def _text(call: HostCall, ptr: int, length: int, what: str) -> str:
    data = _read(call, ptr, length, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(codes.BAD_ARGUMENT, f"{what} is not UTF-8: {exc}") from None


def _out(call: HostCall, buf: int, cap: int, data: bytes) -> int:
    """Writes ``data`` at ``buf`` when it fits in ``cap`` bytes; returns its length either way."""
    if len(data) <= cap:
        try:
            call.memory.write(buf, data)
        except GuestMemoryError as exc:
            raise GuestMemoryError(f"argument `buf`: {exc}") from None
    return len(data)


# -- the functions -------------------------------------------------------------------------


def _self(call: HostCall, buf: int, cap: int) -> int:
    return _out(call, buf, cap, str(ops.process_of(call).self).encode())


def _send(call: HostCall, to: int, to_len: int, topic: int, topic_len: int, data: int,
          data_len: int) -> int:
    proc = ops.process_of(call)
    ops.send(
        proc,
        _text(call, to, to_len, "to"),
        _text(call, topic, topic_len, "topic"),
        _read(call, data, data_len, "data"),
    )
    return 0


def _receive(call: HostCall, topic: int, topic_len: int, timeout_ms: int) -> int | Wait:
    proc = ops.process_of(call)
    session = ops.session_of(call)
    wanted = _text(call, topic, topic_len, "topic") if topic_len else None
    if timeout_ms < -1:
        raise ApiError(codes.BAD_ARGUMENT, f"timeout_ms must be -1 (forever) or >= 0, got "
                       f"{timeout_ms}")
    timeout = None if timeout_ms == -1 else timeout_ms / 1000
    inner = proc.receive_later(timeout, match=ops.match_topic(wanted))
    if inner.done:  # something was there: no need to suspend
        item = inner.outcome()
        session.set_current(item)
        return kind_of(item)
    outer = Wait(on_cancel=inner.cancel)

    def arrived() -> None:
        try:
            item = inner.outcome()
        except BaseException as exc:  # the process exited meanwhile
            outer.fail(exc)
            return
        session.set_current(item)
        outer.complete(kind_of(item))

    inner.bind(arrived)
    return outer


def _current(session: ops.Session) -> Any:
    item = session.current
    if item is None:
        raise ApiError(codes.NO_ITEM, "there is no current item (nothing received, or the last "
                       "receive timed out)")
    return item


def _current_topic(call: HostCall, buf: int, cap: int) -> int:
    return _out(call, buf, cap, topic_of(_current(ops.session_of(call))).encode())


def _current_from(call: HostCall, buf: int, cap: int) -> int:
    return _out(call, buf, cap, sender_of(_current(ops.session_of(call))).encode())


def _current_data(call: HostCall, buf: int, cap: int) -> int:
    session = ops.session_of(call)
    item = _current(session)
    if session.data is None:
        session.data = data_of(item)
    return _out(call, buf, cap, session.data)


PID_DIGITS = 20
"""The most digits a pid's number has: spawn needs ``len(host) + 3 + PID_DIGITS`` bytes."""


def _spawn(call: HostCall, entry: int, entry_len: int, host: int, host_len: int, args: int,
           args_len: int, flags: int, buf: int, cap: int) -> int:
    proc = ops.process_of(call)
    entry_id = _text(call, entry, entry_len, "entry")
    host_id = _text(call, host, host_len, "host") or proc.self.host
    room = len(host_id) + 3 + PID_DIGITS  # "<" host "." number ">"
    if cap < room:
        return room  # nothing spawned: the guest retries with a buffer this large
    pid = ops.spawn(proc, entry_id, host_id, _read(call, args, args_len, "args"), flags)
    return _out(call, buf, cap, str(pid).encode())


def _on_pid(operation: str) -> Callable[..., int]:
    def run(call: HostCall, pid: int, pid_len: int) -> int:
        ops.act(ops.process_of(call), operation, _text(call, pid, pid_len, "pid"))
        return 0

    return run


def _cancel(call: HostCall, pid: int, pid_len: int, reason: int, reason_len: int) -> int:
    proc = ops.process_of(call)
    text = _text(call, pid, pid_len, "pid")
    ops.act(proc, "cancel", text, _text(call, reason, reason_len, "reason") or "cancelled")
    return 0


def _trap_links(call: HostCall, on: int) -> int:
    ops.process_of(call).set_options(trap_links=bool(on))
    return 0


def _register(call: HostCall, name: int, name_len: int) -> int:
    ops.register(ops.process_of(call), _text(call, name, name_len, "name"))
    return 0


def _unregister(call: HostCall, name: int, name_len: int) -> int:
    ops.unregister(ops.process_of(call), _text(call, name, name_len, "name"))
    return 0


def _last_error(call: HostCall, buf: int, cap: int) -> int:
    return _out(call, buf, cap, ops.session_of(call).last_error.encode())


def _guarded(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with its ApiError as the negative return (and ``last_error``), and its guest
    memory errors naming the function."""

    def call_fn(call: HostCall, *args: Any) -> Any:
        try:
            return fn(call, *args)
        except ApiError as exc:
            ops.session_of(call).last_error = exc.message
            return exc.code
        except GuestMemoryError as exc:
            raise GuestMemoryError(f"wippy:process.{name}: {exc}") from None

    return call_fn


_I32 = "i32"
_BUF = (_I32, _I32)
_PID = (_I32, _I32)
_SIGNATURES: dict[str, tuple[tuple[str, ...], Callable[..., Any]]] = {
    "self": (_BUF, _self),
    "send": ((_I32,) * 6, _send),
    "receive": ((_I32, _I32, "i64"), _receive),
    "current_topic": (_BUF, _current_topic),
    "current_from": (_BUF, _current_from),
    "current_data": (_BUF, _current_data),
    "spawn": ((_I32,) * 9, _spawn),
    "monitor": (_PID, _on_pid("monitor")),
    "unmonitor": (_PID, _on_pid("unmonitor")),
    "link": (_PID, _on_pid("link")),
    "unlink": (_PID, _on_pid("unlink")),
    "terminate": (_PID, _on_pid("terminate")),
    "cancel": ((_I32,) * 4, _cancel),
    "trap_links": ((_I32,), _trap_links),
    "register": ((_I32, _I32), _register),
    "unregister": ((_I32, _I32), _unregister),
    "last_error": (_BUF, _last_error),
}

CORE_INTERFACE = HostInterface(
    name=ops.INTERFACE,
    profile=ops.INTERFACE,
    functions={
        name: HostFunc(params, (_I32,), _guarded(name, fn))
        for name, (params, fn) in _SIGNATURES.items()
    },
    observes_cancel=True,
)
"""``wippy:process`` for core modules (import module ``wippy:process``)."""
