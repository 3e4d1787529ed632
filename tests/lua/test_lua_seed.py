"""The seed's snippet, verbatim in examples/lua/main.lua, and the example app around it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import wippy
from tests.conftest import EXAMPLES, ROOT
from tests.lua.lua_helpers import exit_of

SEED = """\
local pid, err = process.spawn_monitored("app:compute_worker", "app:processes", 6, 7)
local event = process.receive()
if event.type == process.event.EXIT then
    return event.value   -- 42
end
"""
APP = EXAMPLES / "lua"
WIPPY = Path(sys.executable).with_name("wippy")


def test_main_lua_holds_the_seed_snippet_verbatim_inside_main() -> None:
    text = (APP / "main.lua").read_text()
    body = text.split("local function main()\n", 1)[1].split("\nend\n\nreturn", 1)[0]
    assert textwrap.dedent(body + "\n") == SEED


def test_the_seed_snippet_spawns_compute_worker_and_returns_42() -> None:
    with wippy.load(APP) as rt, rt.process() as me:
        pid = me.spawn_monitored("app:main", "app:processes")
        event = exit_of(me, pid)
    assert event.error is None and event.value == 42


def test_wippy_run_runs_the_seed_as_a_command() -> None:
    result = subprocess.run([str(WIPPY), "-C", str(APP), "run", "seed"], capture_output=True,
                            text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 42, result.stderr


def test_the_lua_supervisor_example_restarts_crashed_workers_and_gives_up_on_7_and_14() -> None:
    with wippy.load(APP) as rt, rt.process() as me:
        pid = me.spawn_monitored("app:supervisor", "app:processes", 1, 15)
        event = exit_of(me, pid, 30)
    assert event.error is None
    summary = event.value
    assert summary["done"] == 13 and summary["failed"] == [7, 14] and summary["restarts"] == 4
    steps = {r["n"]: r["steps"] for r in summary["results"]}
    assert steps[27 % 16] == 14 and steps[3] == 7 and 7 not in steps


def test_the_lua_function_example_calls_a_wasm_function() -> None:
    with wippy.load(APP) as rt:
        assert rt.call("app:cube", 5) == 125
    result = subprocess.run([str(WIPPY), "-C", str(APP), "run", "cube", "4"],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 64, result.stderr


def test_wippy_check_checks_the_lua_entries() -> None:
    result = subprocess.run([str(WIPPY), "-C", str(APP), "check"], capture_output=True,
                            text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("3 Lua sources checked")


def test_the_readme_tutorial_is_the_example_code() -> None:
    readme = (ROOT / "README.md").read_text()
    assert (APP / "main.lua").read_text() in readme
    head = "  - name: main\n    kind: process.lua\n"
    tutorial_entry = head + readme.split(head, 1)[1].split("```")[0]
    assert tutorial_entry in (APP / "app.yaml").read_text()
