"""Lua errors, limits, terminate, preemption of busy loops and waiting inside coroutines."""

from __future__ import annotations

import time
from pathlib import Path

from tests.lua.lua_helpers import HOST, exit_of, lua_app, lua_entry, run_lua

BUSY = lua_entry("busy", """
    local function main()
        local n = 0
        while true do n = n + 1 end
    end
    return {main = main}
""", modules=[])


def test_a_lua_error_fails_the_process_with_the_message_and_traceback(tmp_path: Path) -> None:
    code = """
        local function helper(t)
            return t.missing.field
        end
        local function main()
            local value = helper({})
            return value
        end
        return {main = main}
    """
    event = run_lua(tmp_path, code)
    error = event.error
    assert error is not None and error.kind == "lua"
    assert error.message == "t:main:2: attempt to index a nil value (field 'missing')"
    assert "stack traceback:" in error.details and "in upvalue 'helper'" in error.details
    assert str(error) == "lua: t:main:2: attempt to index a nil value (field 'missing')"


def test_error_with_a_table_and_with_an_error_value(tmp_path: Path) -> None:
    assert run_lua(tmp_path, "return {main = function() error({code = 1}) end}").error.message \
        == "(error object is a table value)"
    code = """return {main = function()
        local _, err = process.spawn("t:nope", "t:procs")
        error(err)
    end}"""
    assert "no program entry 't:nope'" in run_lua(tmp_path, code).error.message


def test_a_missing_method_and_a_bad_module_value_are_clear(tmp_path: Path) -> None:
    event = run_lua(tmp_path, "return {other = function() end}")
    assert event.error.message == "t:main returns no function 'main' (method)"
    event = run_lua(tmp_path, "return 42")
    assert event.error.message == "t:main must return a table of functions (it returned number)"


def test_a_syntax_error_fails_the_spawn(tmp_path: Path) -> None:
    from wippy.actors import EntryLoadError

    with lua_app(tmp_path, lua_entry("main", "return {main = function( end}")) as rt, \
            rt.process() as me:
        try:
            me.spawn("t:main", HOST)
        except EntryLoadError as exc:
            assert "t:main:1: <name> or '...' expected near 'end'" in str(exc.__cause__)
        else:
            raise AssertionError("spawn did not fail")


def test_terminate_stops_a_busy_loop(tmp_path: Path) -> None:
    with lua_app(tmp_path, BUSY, workers=1) as rt, rt.process() as me:
        pid = me.spawn_monitored("t:busy", HOST)
        time.sleep(0.3)
        started = time.monotonic()
        assert me.terminate(pid)
        event = exit_of(me, pid, 5)
        assert event.error.kind == "terminated"
        # the worker is free again: another process runs on the single worker
        quick = me.spawn_monitored("t:compute", HOST, 6, 7)
        assert exit_of(me, quick, 5).value == 42
        assert time.monotonic() - started < 2.0
        assert rt.host_stats(HOST).running == 0


def test_max_execution_stops_a_busy_loop_and_a_waiting_process(tmp_path: Path) -> None:
    busy = {**BUSY, "limits": {"max_execution_ms": 200}}
    waiting = lua_entry("waiting", "return {main = function() process.receive() end}",
                        limits={"max_execution_ms": 200})
    with lua_app(tmp_path, busy, waiting) as rt, rt.process() as me:
        for name in ("t:busy", "t:waiting"):
            started = time.monotonic()
            event = exit_of(me, me.spawn_monitored(name, HOST), 5)
            took = time.monotonic() - started
            assert event.error.kind == "timeout", event.error
            assert event.error.message.endswith("execution time limit of 200 ms exceeded")
            assert 0.15 < took < 1.5, took


def test_max_memory_bounds_the_state(tmp_path: Path) -> None:
    code = """return {main = function()
        local t = {}
        for i = 1, 1e8 do t[i] = ("x"):rep(100) .. i end
    end}"""
    event = run_lua(tmp_path, code, limits={"max_memory": "4MiB"})
    assert event.error.kind == "memory"
    assert event.error.message == "t:main: Lua memory limit of 4194304 bytes exceeded"


def test_a_busy_loop_does_not_starve_the_other_processes_of_its_worker(tmp_path: Path) -> None:
    # One worker: the busy loop is preempted every time slice, so the others still run.
    ticker = lua_entry("ticker", """
        local time = require("time")
        return {main = function()
            local t0 = time.now()
            for i = 1, 5 do time.sleep(10) end
            return time.now() - t0
        end}
    """)
    with lua_app(tmp_path, BUSY, ticker, workers=1) as rt, rt.process() as me:
        busy = me.spawn_monitored("t:busy", HOST)
        time.sleep(0.05)
        event = exit_of(me, me.spawn_monitored("t:ticker", HOST), 10)
        assert event.error is None and event.value < 1000, event.value
        wasm = me.spawn_monitored("t:compute", HOST, 2, 21)
        assert exit_of(me, wasm, 5).value == 42
        me.terminate(busy)


def test_coroutines_of_the_code_may_wait_and_be_preempted(tmp_path: Path) -> None:
    code = """
        local time = require("time")
        local function main()
            local inner = coroutine.wrap(function()
                coroutine.yield("first")
                local msg = process.receive(2000)     -- a wait inside a coroutine
                time.sleep(1)
                local n = 0
                for i = 1, 3e6 do n = n + 1 end        -- long enough to be preempted
                coroutine.yield(msg.payload + n)
                return "end"
            end)
            local a = inner()
            process.send(process.pid(), "x", 1)
            local b = inner()
            local c = inner()
            return {a, b, c}
        end
        return {main = main}
    """
    assert run_lua(tmp_path, code).value == ["first", 3000001, "end"]


def test_yield_outside_a_coroutine_is_a_clear_error(tmp_path: Path) -> None:
    event = run_lua(tmp_path, "return {main = function() coroutine.yield(1) end}")
    assert "coroutine.yield was called outside a coroutine" in event.error.message


def test_cancel_reaches_a_lua_process_which_may_finish(tmp_path: Path) -> None:
    code = """return {main = function()
        local event = process.receive()
        return event.type == process.event.CANCEL and "clean exit" or "?"
    end}"""
    with lua_app(tmp_path, lua_entry("main", code)) as rt, rt.process() as me:
        pid = me.spawn_monitored("t:main", HOST)
        time.sleep(0.05)
        me.cancel(pid, grace=5)
        assert exit_of(me, pid).value == "clean exit"
