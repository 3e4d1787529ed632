"""Every function of the Lua process, time and funcs modules, and the error values they return."""

from __future__ import annotations

from pathlib import Path

from tests.lua.lua_helpers import HOST, exit_of, lua_app, lua_entry, run_lua
from wippy.actors import Event, Message

ECHO = lua_entry("echo", """
    -- Sends back every message it gets (topic, payload) until it gets "stop".
    local function main()
        while true do
            local msg = process.receive()
            if msg.topic == "stop" then return "stopped" end
            if msg.topic == "crash" then return msg.payload.x.y end
            if msg.topic then process.send(msg.from, msg.topic, msg.payload) end
        end
    end
    return {main = main}
""")


def test_pid_spawn_send_receive_and_the_fields_of_messages_and_events(tmp_path: Path) -> None:
    event = _run_with_echo(tmp_path, """
        local function main()
            local me = process.pid()
            local echo, err = process.spawn_monitored("t:echo", "t:procs")
            assert(err == nil and echo:match("^<t:procs%.%d+>$"), tostring(err))
            assert(process.send(echo, "ping", {n = 1, list = {1, 2, "x"}}) == true)
            local msg = process.receive(5000)
            assert(msg.topic == "ping" and msg.from == echo, msg.topic)
            process.send(echo, "stop")
            local exit = process.receive("5s")
            return {me = me, payload = msg.payload, type = exit.type, kind = exit.kind,
                    from = exit.from == echo, value = exit.value, error = exit.error == nil,
                    constants = {process.event.EXIT, process.event.LINK_DOWN,
                                 process.event.CANCEL}}
        end
        return {main = main}
    """)
    assert event.error is None, event.error
    value = event.value
    assert value["me"] == str(event.pid)
    assert value["payload"] == {"n": 1, "list": [1, 2, "x"]}
    assert value["type"] == value["kind"] == "EXIT" and value["from"] is True
    assert value["value"] == "stopped" and value["error"] is True
    assert value["constants"] == ["EXIT", "LINK_DOWN", "CANCEL"]


def _run_with_echo(folder: Path, code: str, *args: object) -> Event:
    with lua_app(folder, lua_entry("main", code), ECHO) as rt, rt.process() as me:
        pid = me.spawn_monitored("t:main", HOST, *args)
        return exit_of(me, pid)


def test_every_spawn_variant_returns_a_pid_or_nil_and_an_error_value(tmp_path: Path) -> None:
    event = run_lua(tmp_path, """
        local function main()
            local out = {}
            for _, name in ipairs({"spawn", "spawn_monitored", "spawn_linked",
                                   "spawn_linked_monitored"}) do
                local pid, err = process[name]("t:compute", "t:procs", 6, 7)
                out[name] = type(pid) == "string" and err == nil
            end
            local function failure(...)
                local pid, err = process.spawn(...)
                return {pid = pid == nil, kind = err.kind, message = err.message,
                        text = "spawn failed: " .. err}
            end
            out.entry = failure("t:nope", "t:procs")
            out.host = failure("t:compute", "t:nohost")
            out.args = failure("t:compute", "t:procs", "six", 7)
            out.fn = failure("t:compute", "t:procs", print)
            local cyclic = {}; cyclic.me = cyclic
            out.cycle = failure("t:main", "t:procs", cyclic)
            out.missing = failure()
            return out
        end
        return {main = main}
    """, modules=["process"])
    assert event.error is None, event.error
    out = event.value
    for name in ("spawn", "spawn_monitored", "spawn_linked", "spawn_linked_monitored"):
        assert out[name] is True
    assert out["entry"]["pid"] and out["entry"]["kind"] == "unknown_entry"
    assert "t:nope" in out["entry"]["message"]
    assert out["entry"]["text"] == "spawn failed: " + out["entry"]["message"]
    assert out["host"]["kind"] == "unknown_host" and "t:nohost" in out["host"]["message"]
    assert out["args"]["kind"] == "spawn_argument" and "six" in out["args"]["message"]
    assert out["fn"]["kind"] == "args" and "argument 3 is a Lua function" in out["fn"]["message"]
    assert out["cycle"]["kind"] == "args" and "contains itself" in out["cycle"]["message"]
    assert out["missing"]["kind"] == "args" and "entry id" in out["missing"]["message"]


def test_send_errors_are_values(tmp_path: Path) -> None:
    event = run_lua(tmp_path, """
        local function main()
            local pid = process.spawn("t:compute", "t:procs", 1, 1)
            local gone = "<t:procs.9999>"
            local ok1, e1 = process.send(gone, "x")
            local ok2, e2 = process.send("nobody", "x")
            local ok3, e3 = process.send(pid, "x", {f = function() end})
            local t = {}; t[1] = t
            local ok4, e4 = process.send(pid, "x", t)
            local ok5, e5 = process.send(pid, 42)
            return {ok1, e1.kind, ok2, e2.kind, ok3, e3.message, ok4, e4.message, ok5, e5.kind}
        end
        return {main = main}
    """, modules=["process"])
    out = event.value
    assert out[0:4] == [False, "noproc", False, "unknown_name"]
    assert out[4] is False and out[5] == ("payload[1].f is a Lua function, which cannot leave "
                                          "its process (only nil, booleans, numbers, strings "
                                          "and tables of them can)")
    assert out[6] is False and out[7].startswith("payload[1][1] is the table payload[1] itself")
    assert out[8] is False and out[9] == "args"


def test_receive_timeout_and_channels_inbox_events_listen(tmp_path: Path) -> None:
    code = """
        local time = require("time")
        local function main()
            local out = {}
            local t0 = time.now()
            out.timeout = process.receive(50) == nil
            out.waited = time.now() - t0
            local jobs = process.listen("job")
            process.send(process.pid(), "job", 1, 2)
            process.send(process.pid(), "other", "x")
            local pid = process.spawn_monitored("t:compute", "t:procs", 2, 3)
            local a, ok_a = jobs:receive(1000)
            local m, ok_m = process.inbox():receive(1000)
            local e, ok_e = process.events():receive(1000)
            local none, ok_none = jobs:receive(10)
            out.job = {a, ok_a}
            out.inbox = {m.topic, m.payload, ok_m}
            out.event = {e.type, e.value, e.from == pid, ok_e}
            out.none = {none == nil, ok_none}
            out.unlisten = process.unlisten(jobs)
            process.send(process.pid(), "job", "late")
            local late = process.inbox():receive(1000)
            out.late = late.payload
            local bad, err = process.receive({})
            out.bad = {bad == nil, err.kind}
            return out
        end
        return {main = main}
    """
    out = run_lua(tmp_path, code).value
    assert out["timeout"] is True and 45 <= out["waited"] < 2000
    assert out["job"] == [[1, 2], True]
    assert out["inbox"] == ["other", "x", True]
    assert out["event"] == ["EXIT", 6, True, True]
    assert out["none"] == [True, False]
    assert out["unlisten"] is True and out["late"] == "late"
    assert out["bad"] == [True, "args"]


def test_monitor_link_trap_links_and_link_down(tmp_path: Path) -> None:
    code = """
        local function main()
            local out = {}
            assert(process.set_options({trap_links = true}))
            local pid = process.spawn("t:echo", "t:procs")
            assert(process.link(pid))
            process.send(pid, "crash", "not a table")  -- echo fails: msg.payload.x on a string
            local down = process.receive(5000)
            out.down = {down.type, down.from == pid, down.error.kind}
            local quiet = process.spawn("t:echo", "t:procs")
            assert(process.monitor(quiet))
            process.send(quiet, "stop")
            local exit = process.receive(5000)
            out.exit = {exit.type, exit.value}
            local late = process.spawn("t:steps", "t:procs", 27)
            assert(process.monitor(late) and process.unmonitor(late))
            assert(process.link(late) and process.unlink(late))
            out.quiet = process.receive(300) == nil
            local gone = process.monitor("<t:procs.99999>")
            local noproc = process.receive(1000)
            out.noproc = {gone, noproc.type, noproc.error.kind}
            local _, e1 = process.set_options({trap = true})
            local _, e2 = process.set_options("x")
            local _, e3 = process.monitor(12)
            out.errors = {e1.message, e2.kind, e3.kind}
            return out
        end
        return {main = main}
    """
    out = _run_with_echo(tmp_path, code).value
    assert out["down"] == ["LINK_DOWN", True, "lua"]
    assert out["exit"] == ["EXIT", "stopped"]
    assert out["quiet"] is True
    assert out["noproc"] == [True, "EXIT", "noproc"]
    assert out["errors"][0] == "set_options: unknown option 'trap' (options: trap_links)"
    assert out["errors"][1:] == ["args", "args"]


def test_cancel_terminate_and_the_registry(tmp_path: Path) -> None:
    worker = lua_entry("worker", """
        local function main()
            local event = process.receive()
            return {event.type, event.reason}
        end
        return {main = main}
    """)
    sleeper = lua_entry("sleeper", """
        local time = require("time")
        return {main = function() time.sleep(60000) end}
    """)
    code = """
        local function main()
            local out = {}
            local w = process.spawn_monitored("t:worker", "t:procs")
            assert(process.cancel(w, "5s"))
            local exit = process.receive(5000)
            out.cancelled = exit.value
            local s = process.spawn_monitored("t:sleeper", "t:procs")
            assert(process.terminate(s))
            exit = process.receive(5000)
            out.terminated = exit.error.kind
            local ok, err = process.terminate(s)
            out.again = {ok, err.kind}
            local _, bad = process.cancel(w, "soon")
            out.bad_deadline = bad.kind
            assert(process.registry.register("boss"))
            out.lookup = process.registry.lookup("boss") == process.pid()
            local nobody, nerr = process.registry.lookup("nobody")
            out.nobody = {nobody == nil, nerr.kind}
            out.unregister = process.registry.unregister("boss")
            local again, aerr = process.registry.unregister("boss")
            out.unregister_again = {again, aerr.kind}
            return out
        end
        return {main = main}
    """
    with lua_app(tmp_path, lua_entry("main", code), worker, sleeper) as rt, rt.process() as me:
        pid = me.spawn_monitored("t:main", HOST)
        out = exit_of(me, pid).value
    assert out["cancelled"] == ["CANCEL", "cancelled"]
    assert out["terminated"] == "terminated"
    assert out["again"] == [False, "noproc"]
    assert out["bad_deadline"] == "args"
    assert out["lookup"] is True and out["nobody"] == [True, "not_found"]
    assert out["unregister"] is True and out["unregister_again"] == [False, "not_found"]


def test_a_name_taken_is_an_error_value(tmp_path: Path) -> None:
    code = """
        local function main()
            local ok, err = process.registry.register("taken")
            return {ok, err and err.kind, err and err.message}
        end
        return {main = main}
    """
    with lua_app(tmp_path, lua_entry("main", code)) as rt, rt.process() as me:
        me.register("taken")
        out = exit_of(me, me.spawn_monitored("t:main", HOST)).value
    assert out[0] is False and out[1] == "name_taken" and "taken" in out[2]


def test_time_and_funcs(tmp_path: Path) -> None:
    double = {"name": "double", "kind": "function.lua", "method": "double",
              "source": "return {double = function(x) return x * 2 end}"}
    code = """
        local time = require("time")
        local funcs = require("funcs")
        local function main()
            local t0 = time.now()
            assert(time.sleep(time.milliseconds(30)) == true)
            local slept = time.now() - t0
            local _, err = time.sleep(-1)
            local product, perr = funcs.call("t:multiply", 6, 7)
            local doubled = funcs.call("t:double", 21)
            local none, nerr = funcs.call("t:nope")
            local _, aerr = funcs.call("t:multiply", "six", 7)
            return {slept = slept, seconds = time.seconds(2), ms = time.milliseconds(5),
                    err = err.kind, product = product, perr = perr == nil, doubled = doubled,
                    none = none == nil, nerr = nerr.kind, aerr = aerr.kind,
                    string_sleep = time.sleep("1ms")}
        end
        return {main = main}
    """
    with lua_app(tmp_path, lua_entry("main", code), double) as rt, rt.process() as me:
        out = exit_of(me, me.spawn_monitored("t:main", HOST)).value
    assert 25 <= out["slept"] < 2000
    assert out["seconds"] == 2000 and out["ms"] == 5 and out["err"] == "args"
    assert out["product"] == 42 and out["perr"] is True and out["doubled"] == 42
    assert out["none"] is True and out["nerr"] == "unknown_entry" and out["aerr"] == "args"
    assert out["string_sleep"] is True


def test_values_convert_both_ways(tmp_path: Path) -> None:
    code = """
        local function main(a, b, c, d, e)
            return {a = a, b = b, c = c, list = d, map = e, n = #d, float = 1.5, nilv = nil,
                    big = math.maxinteger, text = "é", empty = {}, mixed = {1, 2, x = 3}}
        end
        return {main = main}
    """
    out = run_lua(tmp_path, code, 1, "two", True, [1, 2, 3], {"k": {"nested": [None]}}).value
    assert out == {"a": 1, "b": "two", "c": True, "list": [1, 2, 3], "map": {"k": {"nested": []}},
                   "n": 3, "float": 1.5, "big": 2**63 - 1, "text": "é", "empty": [],
                   "mixed": {1: 1, 2: 2, "x": 3}}


def test_messages_from_python_reach_lua_and_back(tmp_path: Path) -> None:
    code = """
        local function main()
            local msg = process.receive(5000)
            process.send(msg.from, "echo", msg.payload, msg.topic)
            return true
        end
        return {main = main}
    """
    with lua_app(tmp_path, lua_entry("main", code)) as rt, rt.process() as me:
        pid = me.spawn_monitored("t:main", HOST)
        me.send(pid, "hello", {"a": [1, 2]}, b"\xff")
        reply = me.receive(timeout=5)
        assert isinstance(reply, Message) and reply.sender == pid
        assert reply.payload == ([{"a": [1, 2]}, b"\xff"], "hello")
        assert exit_of(me, pid).value is True
