"""The sandbox: only the listed modules can be required; no os, io, debug, loader or files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lua.lua_helpers import run_lua

PROBE = """
    local function main()
        local out = {}
        for _, name in ipairs({"os", "io", "debug", "package", "dofile", "loadfile", "python",
                               "warn", "require", "load", "print", "collectgarbage"}) do
            out[name] = type(_G[name])
        end
        out.dump = type(string.dump)
        return out
    end
    return {main = main}
"""


def test_dangerous_globals_are_gone(tmp_path: Path) -> None:
    out = run_lua(tmp_path, PROBE).value
    for name in ("os", "io", "debug", "package", "dofile", "loadfile", "python", "warn", "dump"):
        assert out[name] == "nil", name
    for name in ("require", "load", "print", "collectgarbage"):
        assert out[name] == "function", name  # the sandbox's own versions


@pytest.mark.parametrize(("code", "message"), [
    ('require("os")', "module 'os' is not available to Lua code in wippy"),
    ('require("io")', "module 'io' is not available to Lua code in wippy"),
    ('require("debug")', "module 'debug' is not available to Lua code in wippy"),
    ('require("package")', "module 'package' is not available to Lua code in wippy"),
    ('require("time")', "module 'time' is not enabled for t:main: add it to the entry's modules"),
    ('require("json")', "module 'json' not found (wippy provides process, time and funcs)"),
    ("os.exit(1)", "attempt to index a nil value (global 'os')"),
    ('io.open("/etc/passwd")', "attempt to index a nil value (global 'io')"),
    ('dofile("/etc/passwd")', "attempt to call a nil value (global 'dofile')"),
    ('loadfile("/etc/passwd")', "attempt to call a nil value (global 'loadfile')"),
    ('package.loadlib("libc.so.6", "system")', "attempt to index a nil value (global 'package')"),
    ("debug.sethook()", "attempt to index a nil value (global 'debug')"),
    ("string.dump(print)", "attempt to call a nil value (field 'dump')"),
    ("python.eval('1')", "attempt to index a nil value (global 'python')"),
    ('collectgarbage("stop")', 'collectgarbage("stop") is not allowed'),
    ("setmetatable({}, {__gc = function() end})", "__gc metamethods are not allowed"),
])
def test_forbidden_modules_and_functions_fail_with_a_clear_message(
    tmp_path: Path, code: str, message: str
) -> None:
    event = run_lua(tmp_path, f"return {{main = function() {code} end}}", modules=["process"])
    assert event.error is not None and event.error.kind == "lua"
    assert message in event.error.message, event.error.message


def test_load_takes_text_only(tmp_path: Path) -> None:
    code = r"""
        return {main = function()
            local binary = "\27Lua\84\0\25\147\13\10\26\10\4\8\8\120\86"
            local f1, e1 = load(binary)
            local f2, e2 = load(binary, "x", "b")
            local f3 = load("return 1 + 1")
            local f4 = load("return x", "t", "t", {x = 5})
            return {f1 == nil, e1, f2 == nil, e2, f3(), f4()}
        end}
    """
    out = run_lua(tmp_path, code).value
    assert out[0] is True and "attempt to load a binary chunk" in out[1]
    assert out[2] is True and "only text chunks can be loaded" in out[3]
    assert out[4:] == [2, 5]


def test_python_objects_are_out_of_reach(tmp_path: Path) -> None:
    # The modules are Lua functions: nothing of the Python side is a value Lua code can hold.
    code = """
        return {main = function()
            local out = {}
            for name, fn in pairs(process) do out[#out + 1] = type(fn) end
            local _, err = process.spawn("t:nope", "t:procs")
            out.err_type = type(err)
            out.meta = getmetatable(err).__name
            return out
        end}
    """
    out = run_lua(tmp_path, code).value
    assert set(v for k, v in out.items() if isinstance(k, int)) <= {"function", "table"}
    assert out["err_type"] == "table" and out["meta"] == "wippy.error"
