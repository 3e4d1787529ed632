"""Message throughput to one process from 1 and from 100 senders, against Pykka's ``tell``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial

import pykka

from wippy.actors import Message, Pid, Process, Runtime

from .apps import HOST
from .erlang import ErlangNode
from .harness import ERLANG, PYKKA, WIPPY, BenchmarkError, Goal, Scenario, Sizes, expect, measure

SENDERS = (1, 100)
TIMEOUT = 120.0  # seconds a round may take before it counts as failed


def receive_all(proc: Process, parent: Pid, total: int) -> int:
    """Receives ``total`` messages, then tells ``parent`` "done"."""
    for _ in range(total):
        proc.receive()
    proc.send(parent, "done")
    return total


def flood(proc: Process, target: Pid, count: int) -> None:
    """Waits for "go", then sends ``count`` messages to ``target``."""
    proc.receive(topic="go")
    for i in range(count):
        proc.send(target, "m", i)


def _wippy_round(rt: Runtime, senders: int, total: int) -> float:
    per_sender = total // senders
    total = per_sender * senders
    with rt.process() as me:
        receiver = me.spawn_function(receive_all, HOST, me.self, total)
        if senders == 1:
            started = time.perf_counter()
            for i in range(total):
                me.send(receiver, "m", i)
        else:
            pids = [me.spawn_function(flood, HOST, receiver, per_sender) for _ in range(senders)]
            started = time.perf_counter()
            for pid in pids:
                me.send(pid, "go")
        done = me.receive(timeout=TIMEOUT, topic="done")
        elapsed = time.perf_counter() - started
        expect(isinstance(done, Message), f"the receiver did not get {total:,} messages in time")
    return total / elapsed


class _Counter(pykka.ThreadingActor):
    """Counts messages; sets ``done`` after ``total``."""

    def __init__(self, total: int, done: threading.Event) -> None:
        super().__init__()
        self._left = total
        self._done = done

    def on_receive(self, message: object) -> None:
        self._left -= 1
        if self._left == 0:
            self._done.set()
            self.stop()


def _pykka_round(senders: int, total: int) -> float:
    per_sender = total // senders
    total = per_sender * senders
    done = threading.Event()
    ref = _Counter.start(total, done)
    go = threading.Event()

    def send() -> None:
        go.wait()
        for i in range(per_sender):
            ref.tell(i)

    threads = [threading.Thread(target=send) for _ in range(senders)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    go.set()
    finished = done.wait(TIMEOUT)
    elapsed = time.perf_counter() - started
    for thread in threads:
        thread.join()
    if not finished:  # a baseline that did not do its work is an error, not a low number
        ref.stop(block=False)
        raise BenchmarkError(f"the Pykka counter did not get {total:,} messages in {TIMEOUT:g} s")
    return total / elapsed


def messages(rt: Runtime, sizes: Sizes, erl: ErlangNode | None) -> list[Scenario]:
    """One row per sender count: messages per second into one receiving process."""
    result = []
    n = sizes.messages
    for senders in SENDERS:
        scenario = Scenario(
            f"msgs_{senders}",
            f"messages, {senders} sender{'s' if senders > 1 else ''} -> 1 process",
            "msgs/s",
            "higher",
            Goal("at least 2x raw Pykka tell (issue #12)", lambda m: m[WIPPY] >= 2 * m[PYKKA]),
        )
        columns: dict[str, Callable[[], float]] = {
            WIPPY: partial(_wippy_round, rt, senders, n),
            PYKKA: partial(_pykka_round, senders, n),
        }
        if erl is not None:
            columns[ERLANG] = erl.column(f"msgs_{senders}", n)
        measure(scenario, columns, sizes.rounds)
        scenario.notes.append(
            "wippy: send() from a handle (1) or from function processes (100) to a function "
            "process that receive()s them all; Pykka: tell() from threads to a counting actor; "
            "Erlang: ! from processes to a receiving process"
        )
        result.append(scenario)
    return result
