"""Helpers for the process runtime tests: receive-or-fail, polling, thread listing, fakes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from wippy.actors import Event, Pid, Process
from wippy.wasm.api import Instance, OutputSink, Program, Signature
from wippy.wasm.errors import ArgumentError, Terminated

HOST = "app:processes"


def wippy_threads() -> set[threading.Thread]:
    """Threads started by wippy (process actors and the timer thread)."""
    return {
        t
        for t in threading.enumerate()
        if t.name.startswith(("ProcessActor-", "wippy-")) and t.is_alive()
    }


def expect(proc: Process, timeout: float = 10.0, topic: str | None = None) -> Any:
    """Receives one item or fails the test after ``timeout`` seconds."""
    item = proc.receive(timeout=timeout, topic=topic)
    assert item is not None, f"{proc} received nothing within {timeout}s"
    return item


def expect_event(proc: Process, type_: str, pid: Pid | None = None, timeout: float = 10.0) -> Event:
    """Receives one item and checks it is an event of ``type_`` (about ``pid``)."""
    item = expect(proc, timeout)
    assert isinstance(item, Event), item
    assert item.type == type_, item
    if pid is not None:
        assert item.pid == pid, item
    return item


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Polls ``condition`` until true; fails the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


class FakeInstance(Instance):
    """An instance whose call runs ``behaviour(args, instance)``; interrupt raises Terminated."""

    def __init__(self, program: FakeProgram) -> None:
        self.program = program
        self.interrupted = threading.Event()
        self.closed = False

    def call(self, args: Sequence[Any]) -> Any:
        return self.program.behaviour(tuple(args), self)

    def interrupt(self, reason: str = "terminated") -> None:
        self.interrupted.set()

    def close(self) -> None:
        self.closed = True
        self.program.closed.append(self)

    def sleep(self, seconds: float) -> None:
        """Blocks like a long-running guest; raises Terminated once interrupted."""
        if self.interrupted.wait(seconds):
            raise Terminated("fake guest interrupted")


class FakeProgram(Program):
    """A Program taking ints only, running ``behaviour`` as its guest; records instances."""

    def __init__(
        self, behaviour: Callable[[tuple[Any, ...], FakeInstance], Any], entry_id: str = "t:fake"
    ) -> None:
        self.entry_id = entry_id
        self.signature = Signature("run", (("n", "i32"),), ("i32",))
        self.behaviour = behaviour
        self.instances: list[FakeInstance] = []
        self.closed: list[FakeInstance] = []
        self.fail_instantiate: Exception | None = None

    def convert_args(self, args: Sequence[Any]) -> tuple[Any, ...]:
        if not all(isinstance(a, int) for a in args):
            raise ArgumentError(f"{self.entry_id}: {self.signature} takes ints, got {args!r}")
        return tuple(args)

    def instantiate(
        self,
        *,
        stdout: OutputSink | None = None,
        stderr: OutputSink | None = None,
        stdin: bytes = b"",
        context: object = None,
    ) -> Instance:
        if self.fail_instantiate is not None:
            raise self.fail_instantiate
        instance = FakeInstance(self)
        self.instances.append(instance)
        if stdout is not None:
            stdout(b"started\n")
        return instance
