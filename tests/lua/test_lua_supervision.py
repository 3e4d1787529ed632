"""Lua supervising WASM workers under a crash storm, and Lua processes under supervisors."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.lua.lua_helpers import HOST, exit_of, lua_app, lua_entry

SUPERVISOR = lua_entry("sup", """
    -- Runs steps(1..n) in monitored WASM workers, restarting each crash up to `retries` times,
    -- while counting the "tick" messages that arrive meanwhile (and their order).
    local function main(n, retries, ticks_expected)
        local jobs, done, failed, restarts = {}, 0, {}, 0
        local ticks, in_order, running = 0, true, 0
        local function start(k, attempt)
            local pid, err = process.spawn_monitored("t:steps", "t:procs", k)
            assert(pid, tostring(err))
            jobs[pid] = {k = k, attempt = attempt}
            running = running + 1
        end
        for k = 1, n do start(k, 1) end
        while running > 0 or ticks < ticks_expected do
            local item = process.receive(10000)
            assert(item, "nothing arrived within 10 s")
            if item.topic == "tick" then
                ticks = ticks + 1
                in_order = in_order and item.payload == ticks
            elseif item.type == process.event.EXIT and jobs[item.from] then
                local job = jobs[item.from]
                jobs[item.from] = nil
                running = running - 1
                if item.error == nil then
                    done = done + 1
                elseif job.attempt <= retries then
                    restarts = restarts + 1
                    start(job.k, job.attempt + 1)
                else
                    failed[#failed + 1] = job.k
                end
            end
        end
        table.sort(failed)
        return {done = done, failed = failed, restarts = restarts, ticks = ticks,
                in_order = in_order}
    end
    return {main = main}
""", modules=["process"])


def test_a_lua_supervisor_survives_a_crash_storm_and_loses_no_message(tmp_path: Path) -> None:
    n, retries, ticks = 300, 2, 3000
    with lua_app(tmp_path, SUPERVISOR, workers=4) as rt, rt.process() as me:
        sup = me.spawn_monitored("t:sup", HOST, n, retries, ticks)

        def send_ticks() -> None:
            with rt.process() as sender:
                for i in range(1, ticks + 1):
                    assert sender.send(sup, "tick", i)

        sender = threading.Thread(target=send_ticks)
        sender.start()
        event = exit_of(me, sup, 60)
        sender.join(10)
    assert event.error is None, event.error
    crashing = [k for k in range(1, n + 1) if k % 7 == 0]
    assert event.value == {"done": n - len(crashing), "failed": crashing,
                           "restarts": retries * len(crashing), "ticks": ticks,
                           "in_order": True}


def test_a_lua_process_is_restarted_by_a_supervisor(tmp_path: Path) -> None:
    flaky = lua_entry("flaky", """
        -- Fails until it has been started `times` times (counted by a registered counter).
        local function main(times)
            local counter = process.registry.lookup("counter")
            process.send(counter, "started", process.pid())
            local reply = process.receive(5000)
            if reply.payload < times then error("not yet: start " .. reply.payload) end
            return reply.payload
        end
        return {main = main}
    """, modules=["process"])
    supervisor = {"name": "tree", "kind": "process.supervisor", "host": HOST,
                  "strategy": "one_for_one", "intensity": 5, "period": "10s",
                  "auto_shutdown": "any_significant",
                  "children": [{"id": "flaky", "process": "t:flaky", "args": [3],
                                "restart": "transient", "significant": True}]}
    with lua_app(tmp_path, flaky, supervisor) as rt, rt.process() as me:
        me.register("counter")
        from wippy.supervisors import start_supervisor

        sup = start_supervisor(rt, "t:tree", parent=None)
        starts = 0
        while starts < 3:
            item = me.receive(timeout=10)
            assert item is not None
            if getattr(item, "topic", None) == "started":
                starts += 1
                me.send(item.payload[0], "count", starts)
        me.monitor(sup.pid)
        exit_event = exit_of(me, sup.pid, 10)
    assert starts == 3
    assert exit_event.error is None or exit_event.error.kind == "shutdown"
