"""`wippy start`: what runs, events as they happen, ordered shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import re
import signal
from pathlib import Path
from typing import Any

from tests.cli.console import finish, popen, read_until, run, with_terminal_stderr, write_yaml
from tests.conftest import EXAMPLES, FIXTURES, digest

WAITERS = '''
import sys
from wippy.actors import CANCEL, Event

def say(line):
    sys.stdout.write(line + "\\n")
    sys.stdout.flush()

def wait_for_cancel(proc, name):
    say(f"{name}: running")
    item = proc.receive(match=lambda i: isinstance(i, Event) and i.type == CANCEL)
    say(f"{name}: cancelled")
    return name

def fail(proc, name):
    raise RuntimeError(f"{name} cannot work")

_failures = []

def fail_once(proc, name):
    if not _failures:
        _failures.append(name)
        raise RuntimeError(f"{name} fails the first time")
    return wait_for_cancel(proc, name)
'''

POOL = {"name": "pool", "kind": "process.host", "lifecycle": {"auto_start": True}}
WAITER = {"name": "waiter", "kind": "process.python", "module": "waiters",
          "method": "wait_for_cancel"}
FAILER = {"name": "failer", "kind": "process.python", "module": "waiters", "method": "fail"}
FLAKY = {"name": "flaky", "kind": "process.python", "module": "waiters", "method": "fail_once"}


def supervisor(name: str, *children: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"name": name, "kind": "process.supervisor", "host": "t:pool",
            "children": list(children), "lifecycle": {"auto_start": True}, **fields}


def app(folder: Path, *entries: dict[str, Any]) -> Path:
    write_yaml(folder, POOL, WAITER, FAILER, FLAKY, *entries)
    (folder / "waiters.py").write_text(WAITERS)
    return folder


def tree(tmp_path: Path) -> Path:
    """Two supervisors and a service, each running a waiter that stops on CANCEL."""
    return app(
        tmp_path,
        supervisor("first", {"id": "a", "process": "t:waiter", "args": ["a"]}),
        supervisor("second", {"id": "b", "process": "t:waiter", "args": ["b"]}),
        {"name": "svc", "kind": "process.service", "process": "t:waiter", "host": "t:pool",
         "input": ["svc"], "lifecycle": {"auto_start": True}},
    )


def exits(out: str) -> list[str]:
    """The entry names of the EXIT lines, in order."""
    return re.findall(r"^\d\d:\d\d:\d\d\.\d{3}  EXIT +(\S+) ", out, re.MULTILINE)


def test_sigterm_stops_the_app_in_reverse_start_order(cache: Path, tmp_path: Path) -> None:
    proc = popen(cache, "-C", str(tree(tmp_path)), "start")
    head = read_until(proc.stdout, "Ctrl-C or SIGTERM stops the app")
    assert "wippy: app started: 2 supervisors, 1 service, 1 host" in head
    table = [line.split() for line in head if line.startswith("  ")]
    assert [row[:2] for row in table] == [["host", "t:pool"], ["supervisor", "t:first"],
                                          ["supervisor", "t:second"], ["service", "t:svc"]]
    assert all(row[-1] == "running" for row in table)
    seen = head
    while not {"a: running", "b: running", "svc: running"} <= set(seen):
        seen = seen + read_until(proc.stdout, "running")
    proc.send_signal(signal.SIGTERM)
    status, out, err = finish(proc)
    assert status == 0, err
    assert "wippy: SIGTERM: stopping the app\n" in out
    out = out.split("wippy: SIGTERM: stopping the app\n", 1)[1]
    assert exits(out) == ["t:svc", "t:second", "t:first"]  # services, then supervisors
    lines = out.splitlines()
    assert lines.index("svc: cancelled") < lines.index("b: cancelled") < lines.index(
        "a: cancelled")
    assert lines[-1] == "wippy: stopped"
    assert "t:second: shutdown" in out and "t:first: shutdown" in out
    assert err == ""


def test_ctrl_c_stops_it_too(cache: Path, tmp_path: Path) -> None:
    proc = popen(cache, "-C", str(tree(tmp_path)), "start")
    read_until(proc.stdout, "Ctrl-C or SIGTERM stops the app")
    proc.send_signal(signal.SIGINT)
    status, out, _ = finish(proc)
    assert status == 0
    assert exits(out) == ["t:svc", "t:second", "t:first"]


def test_an_app_of_hosts_runs_until_stopped(cache: Path, tmp_path: Path) -> None:
    proc = popen(cache, "-C", str(app(tmp_path)), "start")
    head = read_until(proc.stdout, "Ctrl-C or SIGTERM stops the app")
    assert head[0] == "wippy: app started: 0 supervisors, 0 services, 1 host"
    proc.send_signal(signal.SIGTERM)
    status, out, _ = finish(proc)
    assert (status, out) == (0, "wippy: SIGTERM: stopping the app\nwippy: stopped\n")


def test_a_broken_app_is_not_started(cache: Path, tmp_path: Path) -> None:
    folder = app(tmp_path, supervisor(
        "broken", {"id": "x", "process": "t:missing_module"}),
        {"name": "missing_module", "kind": "process.python", "module": "no_such_module",
         "method": "f"})
    result = run(cache, "-C", str(folder), "start")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        f"{folder / 'app.yaml'}: entry t:missing_module: field module: cannot import module "
        "'no_such_module': ModuleNotFoundError: No module named 'no_such_module'",
        "1 problem found",
        "wippy: the app was not started",
    ]


def test_a_corrupt_module_nothing_has_spawned_yet_stops_the_start(cache: Path,
                                                                  tmp_path: Path) -> None:
    (tmp_path / "wasm").mkdir()
    module = tmp_path / "wasm" / "w.wasm"
    module.write_bytes((FIXTURES / "traps.wasm").read_bytes())
    pinned = digest(module)
    module.write_bytes(module.read_bytes() + b"\0")  # corrupt after pinning
    folder = app(tmp_path, {"name": "mods", "kind": "fs.directory", "directory": "wasm"},
                 {"name": "later", "kind": "process.wasm", "fs": "t:mods", "path": "/w.wasm",
                  "hash": pinned, "method": "add"})
    result = run(cache, "-C", str(folder), "start")
    assert (result.returncode, result.stdout) == (1, "")
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{folder / 'app.yaml'}: entry t:later: field hash: hash "
                               f"mismatch for t:later: expected {pinned}, got sha256:")
    assert lines[1:] == ["1 problem found", "wippy: the app was not started"]


def test_a_start_that_fails_exits_1(cache: Path, tmp_path: Path) -> None:
    folder = app(tmp_path, {"name": "fix", "kind": "fs.directory", "directory": str(FIXTURES)},
                 {"name": "add", "kind": "process.wasm", "fs": "t:fix", "path": "traps.wasm",
                  "hash": digest(FIXTURES / "traps.wasm"), "method": "add"},
                 supervisor("picky", {"id": "x", "process": "t:add", "args": ["x", 1]}))
    result = run(cache, "-C", str(folder), "start")  # the check passes: args are not checked
    assert (result.returncode, result.stdout) == (1, "")
    assert "\nwippy: the app failed to start: supervisor t:picky" in result.stderr
    assert "argument 1 ('x') is not a valid i32" in result.stderr


def test_an_app_that_gives_up_ends_with_status_1(cache: Path, tmp_path: Path) -> None:
    folder = app(tmp_path, supervisor(
        "fragile", {"id": "w", "process": "t:waiter", "args": ["w"]},
        {"id": "late", "process": "t:failer", "args": ["late"]}, intensity=1, period="60s"))
    result = run(cache, "-C", str(folder), "start", timeout=60)
    assert result.returncode == 1
    assert "t:fragile: give_up" in result.stdout
    assert re.search(r"EXIT +t:fragile <t:pool\.\d+>: shut down: reached max restart intensity",
                     result.stdout)
    assert "every supervisor and service has ended: stopping the app" in result.stdout


def test_the_supervision_example_shows_crashes_and_restarts(cache: Path) -> None:
    result = run(cache, "-C", str(EXAMPLES / "supervision"), "start", timeout=60)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "sup_demo:pipeline: child_exit warmup" in out
    for n in (7, 14):
        assert re.search(r"child_exit feeder \(<sup_demo:processes\.\d+>\): exception: "
                         f"RuntimeError: worker crashed on input {n}: trap: sup_demo:worker: "
                         "guest trapped: wasm trap: wasm `unreachable`", out)
        assert f"feeder: restarted, resuming at {n + 1}" in out
    assert out.count("sup_demo:pipeline: restarted feeder") == 2
    assert "feeder: steps(15) = 17" in out
    assert "sup_demo:pipeline: auto_shutdown" in out
    assert exits(out) == ["sup_demo:pipeline"]
    assert out.endswith("wippy: stopped\n")


def test_start_shows_compile_progress_on_a_terminal(cache: Path) -> None:
    status, out, shown = with_terminal_stderr(cache, "-C", str(EXAMPLES / "supervision"),
                                              "start", timeout=60)
    assert status == 0
    assert "\r\x1b[K[1/1] compiling sup_demo:worker" in shown
    assert out.endswith("wippy: stopped\n")


def test_nested_supervisors_are_followed(cache: Path, tmp_path: Path) -> None:
    inner = supervisor("inner", {"id": "f", "process": "t:flaky", "args": ["f"]}, intensity=3)
    del inner["lifecycle"]  # started by outer only
    folder = app(tmp_path, inner, supervisor("outer", {"id": "in", "process": "t:inner"}))
    proc = popen(cache, "-C", str(folder), "start")
    # The child may print before the app has finished starting: wait for both, so the
    # signal stops a started app.
    seen = read_until(proc.stdout, "Ctrl-C or SIGTERM stops the app")
    if "f: running" not in seen:
        seen = seen + read_until(proc.stdout, "f: running")
    proc.send_signal(signal.SIGTERM)
    status, rest, err = finish(proc)
    out = "\n".join(seen) + "\n" + rest
    assert status == 0, err
    # the inner supervisor's own reports: its child failed once and was restarted
    assert "t:inner: child_exit f (<t:pool." in out, out
    assert "RuntimeError: f fails the first time" in out
    assert "t:inner: restarted f (<t:pool." in out
    assert exits(out) == ["t:outer/in", "t:outer"]  # the inner one stops first, as a child


def test_the_table_comes_first_then_what_happened_while_starting(cache: Path,
                                                                 tmp_path: Path) -> None:
    folder = app(tmp_path, {"name": "fix", "kind": "fs.directory", "directory": str(FIXTURES)},
                 {"name": "talker", "kind": "process.wasm", "fs": "t:fix", "path": "wasi_c.wasm",
                  "hash": digest(FIXTURES / "wasi_c.wasm"), "method": "_start",
                  "imports": ["wasi1"], "wasi": {"args": ["args", "said-at-start"]}},
                 supervisor("once", {"id": "t", "process": "t:talker", "restart": "temporary"}))
    proc = popen(cache, "-C", str(folder), "start")
    head = read_until(proc.stdout, "said-at-start")
    if not any("started - 1 child" in line for line in head):
        head += read_until(proc.stdout, "started - 1 child")
    proc.send_signal(signal.SIGTERM)
    finish(proc)
    assert head[0] == "wippy: app started: 1 supervisor, 0 services, 1 host"
    assert [line.split()[:2] for line in head[1:3]] == [["host", "t:pool"],
                                                        ["supervisor", "t:once"]]
    assert head[3] == "wippy: wippy ps, top, stop and restart-child reach the app at " \
        ".wippy/control.sock"
    assert head[4] == "wippy: Ctrl-C or SIGTERM stops the app"
    events = [re.sub(r"^\S+  ", "", line) for line in head[5:]]
    # The supervisor reports `started` once its child started (was instantiated), so the
    # guest may print before or after that line, but never inside one of its lines.
    report = "SUPERVISION  t:once: started - 1 child"
    assert report in events
    events.remove(report)
    assert events[-3:] == ["talker", "args", "said-at-start"]
