"""Message throughput to one process from 1 and from 100 senders, against Pykka's ``tell``."""

from __future__ import annotations

import threading
import time

import pykka

from wippy.actors import Message, Pid, Process, Runtime

from .apps import HOST
from .harness import PYKKA, WIPPY, Goal, Scenario, Sizes, rounds

SENDERS = (1, 100)


def _receiver(proc: Process, parent: Pid, total: int) -> int:
    for _ in range(total):
        proc.receive()
    proc.send(parent, "done")
    return total


def _sender(proc: Process, target: Pid, count: int) -> None:
    proc.receive(topic="go")
    for i in range(count):
        proc.send(target, "m", i)


def _wippy_round(rt: Runtime, senders: int, total: int) -> float:
    per_sender = total // senders
    total = per_sender * senders
    with rt.process() as me:
        receiver = me.spawn_function(_receiver, HOST, me.self, total)
        if senders == 1:
            started = time.perf_counter()
            for i in range(total):
                me.send(receiver, "m", i)
        else:
            pids = [me.spawn_function(_sender, HOST, receiver, per_sender) for _ in range(senders)]
            started = time.perf_counter()
            for pid in pids:
                me.send(pid, "go")
        done = me.receive(timeout=120, topic="done")
        elapsed = time.perf_counter() - started
        assert isinstance(done, Message), done
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
    done.wait(120)
    elapsed = time.perf_counter() - started
    for thread in threads:
        thread.join()
    return total / elapsed


def messages(rt: Runtime, sizes: Sizes) -> list[Scenario]:
    """One row per sender count: messages per second into one receiving process."""
    result = []
    n = sizes.messages
    for senders in SENDERS:
        scenario = Scenario(
            f"msgs_{senders}",
            f"messages, {senders} sender{'s' if senders > 1 else ''} -> 1 process",
            "msgs/s",
            "higher",
            Goal("at least raw Pykka tell throughput", lambda m: m[WIPPY] >= m[PYKKA]),
        )
        scenario.samples[WIPPY] = rounds(lambda s=senders: _wippy_round(rt, s, n), sizes)
        scenario.samples[PYKKA] = rounds(lambda s=senders: _pykka_round(s, n), sizes)
        scenario.notes.append(
            "wippy: send() from a handle (1) or from function processes (100) to a function "
            "process that receive()s them all; Pykka: tell() from threads to a counting actor"
        )
        result.append(scenario)
    return result
