"""``wippy:process`` for components: the WIT interface ``wippy:process/process@0.1.0``
(``wit/process.wit``), with the operations of the core form.

Components run on a thread of their own, so ``receive`` simply blocks that thread
(:meth:`~wippy.actors.Process.receive`). Errors are ``result`` errors carrying the message
``last_error`` gives a core guest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wippy.actors.events import Message, Received
from wippy.wasm.spec import ComponentInterface, HostCall

from . import codes
from . import operations as ops
from .codes import ApiError
from .data import data_of, encode, error_map, event_data, kind_of

log = logging.getLogger(__name__)

WIT_PACKAGE = "wippy:process@0.1.0"
WIT_INTERFACE = "wippy:process/process@0.1.0"
WIT_PATH = Path(__file__).with_name("wit") / "process.wit"
"""The WIT file of the interface, shipped with the package for guest authors' binding tools."""

def _result(run: Callable[[], Any]) -> dict[str, Any]:
    try:
        return {"ok": run()}
    except ApiError as exc:
        return {"err": exc.message}


def _incoming(item: Received | None) -> dict[str, Any]:
    kind = kind_of(item)
    if item is None:
        return {"timeout": None}
    if isinstance(item, Message):
        return {"message": {"topic": item.topic, "sender": str(item.sender),
                            "data": data_of(item)}}
    if kind == codes.CANCEL:
        return {"cancel": item.reason or ""}
    if kind in (codes.EXIT, codes.LINK_DOWN):
        info = {"pid": str(item.pid), "value": encode(item.value, f"the {item.type} value"),
                "error": error_map(item.error)}
        return {"exit" if kind == codes.EXIT else "link-down": info}
    return {"other": {"kind": item.type, "pid": str(item.pid), "data": event_data(item)}}


def _self(call: HostCall) -> str:
    return str(ops.process_of(call).self)


def _send(call: HostCall, to: str, topic: str, data: bytes) -> dict[str, Any]:
    proc = ops.process_of(call)
    return _result(lambda: ops.send(proc, to, topic, bytes(data)))


def _receive(call: HostCall, topic: str | None, timeout_ms: int | None) -> dict[str, Any]:
    proc = ops.process_of(call)
    timeout = None if timeout_ms is None else timeout_ms / 1000
    while True:
        item = proc.receive(timeout, match=ops.match_topic(topic))
        try:
            return _incoming(item)
        except ApiError as exc:  # a Python value MessagePack cannot hold: skip it, loudly
            log.warning(
                "%s: dropped an item its component cannot receive: %s", proc.self, exc.message
            )


def _spawn(call: HostCall, entry: str, host: str | None, args: bytes,
           options: list[str]) -> dict[str, Any]:
    proc = ops.process_of(call)
    flags = (ops.MONITOR_FLAG if "monitor" in options else 0) | (
        ops.LINK_FLAG if "link" in options else 0
    )
    return _result(lambda: str(ops.spawn(proc, entry, host or "", bytes(args), flags)))


def _on_pid(operation: str) -> Callable[..., dict[str, Any]]:
    def run(call: HostCall, pid: str) -> dict[str, Any]:
        proc = ops.process_of(call)
        return _result(lambda: ops.act(proc, operation, pid))

    return run


def _cancel(call: HostCall, pid: str, reason: str) -> dict[str, Any]:
    proc = ops.process_of(call)
    return _result(lambda: ops.act(proc, "cancel", pid, reason or "cancelled"))


def _trap_links(call: HostCall, on: bool) -> None:
    ops.process_of(call).set_options(trap_links=bool(on))


def _register(call: HostCall, name: str) -> dict[str, Any]:
    proc = ops.process_of(call)
    return _result(lambda: ops.register(proc, name))


def _unregister(call: HostCall, name: str) -> dict[str, Any]:
    proc = ops.process_of(call)
    return _result(lambda: ops.unregister(proc, name))


COMPONENT_INTERFACE = ComponentInterface(
    name=WIT_INTERFACE,
    profile=ops.INTERFACE,
    functions={
        "self": _self,
        "send": _send,
        "receive": _receive,
        "spawn": _spawn,
        "monitor": _on_pid("monitor"),
        "unmonitor": _on_pid("unmonitor"),
        "link": _on_pid("link"),
        "unlink": _on_pid("unlink"),
        "terminate": _on_pid("terminate"),
        "cancel": _cancel,
        "trap-links": _trap_links,
        "register": _register,
        "unregister": _unregister,
    },
    observes_cancel=True,
)
"""``wippy:process`` for components (WIT interface ``wippy:process/process@0.1.0``)."""
