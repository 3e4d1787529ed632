"""examples/actors, run for real: the supervised key-value server, ping-pong between two WASM
processes (and 500 pairs at once: 1,000 guests, no message lost), the pool of WASM workers fed
by a Python dispatcher, and the commands `wippy run ping` and `wippy run pool`."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.actors.actor_helpers import expect, wait_until
from tests.conftest import EXAMPLES, ROOT
from tests.guest.guest_helpers import exit_of
from wippy.actors import Message, Pid, Process, Runtime
from wippy.config import load_registry
from wippy.wasm import WasmRuntime

APP = EXAMPLES / "actors"
HOST = "actors:processes"


@pytest.fixture
def art(no_thread_leak: None, wasm_runtime: WasmRuntime) -> Iterator[Runtime]:
    sys.path.insert(0, str(APP))
    try:
        import wippy

        with wippy.load(APP, wasm=wasm_runtime) as runtime:
            yield runtime
    finally:
        sys.path.remove(str(APP))
    assert runtime.stats().processes == 0


@pytest.fixture
def ame(art: Runtime) -> Iterator[Process]:
    with art.process() as proc:
        yield proc


def _kv(rt: Runtime, old: Pid | None = None) -> Pid:
    wait_until(lambda: rt.lookup("kv") not in (None, old))
    pid = rt.lookup("kv")
    assert pid is not None
    return pid


def _ask(me: Process, topic: str, *args: Any) -> Any:
    me.send("kv", topic, *args)
    reply = expect(me, topic="reply")
    assert isinstance(reply, Message) and reply.sender == me.lookup("kv")
    return reply.payload[0]


def test_the_kv_server_answers_get_put_delete(art: Runtime, ame: Process) -> None:
    _kv(art)
    assert _ask(ame, "get", "a") is None
    assert _ask(ame, "put", "a", {"nested": [1, b"\x02", None]}) is True
    assert _ask(ame, "put", "b", 2) is True
    assert _ask(ame, "get", "a") == {"nested": [1, b"\x02", None]}  # kept as sent
    assert _ask(ame, "put", "a", "replaced") is True
    assert _ask(ame, "get", "a") == "replaced"
    assert _ask(ame, "delete", "a") is True
    assert _ask(ame, "delete", "a") is False
    assert (_ask(ame, "get", "a"), _ask(ame, "get", "b")) == (None, 2)
    assert _ask(ame, "put", "k" * 65, 1) is False  # a key too long is refused, not stored


def test_a_crashed_kv_server_is_restarted_by_its_supervisor(art: Runtime, ame: Process) -> None:
    first = _kv(art)
    assert _ask(ame, "put", "x", 1) is True
    ame.monitor(first)
    ame.send("kv", "crash")
    event = exit_of(ame, first)
    assert event.error is not None and event.error.kind == "trap"
    second = _kv(art, first)
    assert second != first
    assert _ask(ame, "get", "x") is None  # a fresh server: the state died with the crash
    assert _ask(ame, "put", "x", 2) is True


def test_ping_pong_between_two_wasm_processes(ame: Process) -> None:
    pid = ame.spawn_monitored("actors:ping", HOST, 300)
    event = exit_of(ame, pid)
    assert event.error is None and event.value == 0  # no round trip failed


def test_a_thousand_guests_exchange_messages_and_none_is_lost(art: Runtime,
                                                              ame: Process) -> None:
    pairs, rounds = 500, 20
    started = time.monotonic()
    pings = [ame.spawn_monitored("actors:ping", HOST, rounds) for _ in range(pairs)]
    failed = [exit_of(ame, pid, timeout=120).value for pid in pings]
    assert failed == [0] * pairs  # 500 pings x 20 round trips = 20,000 messages, all back
    assert time.monotonic() - started < 120
    wait_until(lambda: art.stats().processes <= 3, timeout=30)  # the pongs were cancelled


def test_the_python_dispatcher_feeds_a_pool_of_wasm_workers(ame: Process) -> None:
    def collatz(n: int) -> int:
        steps = 0
        while n != 1:
            n = 3 * n + 1 if n % 2 else n // 2
            steps += 1
        return steps

    pid = ame.spawn_monitored("actors:pool", HOST, 4, 40)
    result = exit_of(ame, pid, timeout=60).value
    assert result["jobs"] == 40
    assert result["steps"] == [collatz(27 + i) for i in range(40)]
    assert len(result["per_worker"]) == 4 and sum(result["per_worker"].values()) == 40
    assert all(count > 0 for count in result["per_worker"].values())


def test_a_worker_answers_a_bad_job_with_an_error(ame: Process) -> None:
    worker = ame.spawn_monitored("actors:worker", HOST)
    ame.send(worker, "job", 7, -3)
    assert expect(ame, topic="failed").payload == ([7, "n must be a positive integer"],)
    ame.cancel(worker)
    assert exit_of(ame, worker).value == 0


@pytest.mark.parametrize(("args", "out"), [(["ping", "50"], ""), (["pool", "2", "4"], '"jobs": 4')])
def test_the_commands_run_from_the_cli(args: list[str], out: str) -> None:
    wippy = ROOT / ".venv" / "bin" / "wippy"
    command = [str(wippy)] if wippy.exists() else [sys.executable, "-m", "wippy.cli"]
    done = subprocess.run([*command, "-C", str(APP), "run", *args], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert out in done.stdout


def test_the_app_checks_clean() -> None:
    from wippy.cli.check import check_app
    from wippy.config import read_app

    with WasmRuntime(cache_dir=None) as runtime:
        report = check_app(read_app(APP), runtime)
    assert report.problems == [] and report.modules == 5
    assert load_registry(APP).get("actors:kv").imports == ["wippy:process"]
