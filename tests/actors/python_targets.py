"""Functions that ``process.python`` entries in the tests point at."""

from __future__ import annotations

from wippy.actors import Process


def double(proc: Process, value: int) -> int:
    return value * 2


def echo_then_fail(proc: Process) -> None:
    message = proc.receive(timeout=10)
    assert message is not None
    proc.send(message.sender, "echo", *message.payload)
    raise RuntimeError("failed on purpose")
