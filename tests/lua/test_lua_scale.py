"""10,000 Lua processes suspended in receive: no thread each, bounded memory, none lost."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tests.lua.lua_helpers import HOST, lua_app, lua_entry
from wippy.actors import Event

COUNT = 10_000

WAITER = lua_entry("waiter", """
    local function main(i)
        local msg = process.receive()
        return msg.payload + i
    end
    return {main = main}
""", modules=[])


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_ten_thousand_lua_processes_wait_in_receive_holding_no_thread(tmp_path: Path) -> None:
    with lua_app(tmp_path, WAITER, workers=4, queue_size=COUNT) as rt, rt.process() as me:
        threads = threading.active_count()
        before = _rss_kib()
        started = time.monotonic()
        pids = [me.spawn_monitored("t:waiter", HOST, i) for i in range(COUNT)]
        while rt.host_stats(HOST).running or rt.host_stats(HOST).queued:
            assert time.monotonic() - started < 120, rt.host_stats(HOST)
            time.sleep(0.05)
        spawn_seconds = time.monotonic() - started
        per_process = (_rss_kib() - before) / COUNT
        print(f"\n{COUNT} suspended Lua processes: {per_process:.1f} KiB each, spawned in "
              f"{spawn_seconds:.1f} s")
        assert rt.stats().processes >= COUNT
        assert threading.active_count() <= threads + 8  # the host's workers, not one each
        assert per_process < 200, per_process
        for i, pid in enumerate(pids):
            assert me.send(pid, "go", 1000 * i)
        values = {}
        deadline = time.monotonic() + 120
        while len(values) < COUNT:
            item = me.receive(timeout=max(0.1, deadline - time.monotonic()))
            assert item is not None, f"{len(values)} of {COUNT} exited"
            assert isinstance(item, Event) and item.error is None, item
            values[item.pid] = item.value
        assert [values[pid] for pid in pids] == [1001 * i for i in range(COUNT)]


def test_a_lua_process_is_listed_as_lua_suspended_in_receive(tmp_path: Path) -> None:
    with lua_app(tmp_path, WAITER) as rt, rt.process() as me:
        pid = me.spawn_monitored("t:waiter", HOST, 1)

        def listed() -> tuple[str, str, str | None] | None:
            info = {p.pid: p for p in rt.processes()}.get(pid)
            return None if info is None else (info.kind, info.state, info.on)

        deadline = time.monotonic() + 10
        while listed() != ("lua", "suspended", "receive"):
            assert time.monotonic() < deadline, listed()
            time.sleep(0.01)
        assert rt.counters().spawns.get((HOST, "lua")) == 1
        assert me.send(pid, "go", 41)
        event = me.receive(timeout=10)
        assert isinstance(event, Event) and event.pid == pid and event.value == 42, event
