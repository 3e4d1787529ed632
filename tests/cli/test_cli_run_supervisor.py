"""`wippy run -x NS:SUP`: a supervisor (or service) runs like a process until it exits, with
its SUPERVISION and EXIT lines; Ctrl-C or SIGTERM stops it in order."""

from __future__ import annotations

import re
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.cli.console import finish, popen, read_until, run, write_yaml
from tests.conftest import FIXTURES, digest

WORKERS = '''
import sys
from wippy.actors import CANCEL, Event

def say(line):
    sys.stdout.write(line + "\\n")
    sys.stdout.flush()

def wait_for_cancel(proc, name):
    say(f"{name}: running")
    proc.receive(match=lambda i: isinstance(i, Event) and i.type == CANCEL)
    say(f"{name}: cancelled")
    return name

def answer(proc, value):
    return int(value)
'''

POOL = {"name": "pool", "kind": "process.host", "lifecycle": {"auto_start": True}}
OTHER = {"name": "other", "kind": "process.host"}


def supervisor(name: str, *children: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"name": name, "kind": "process.supervisor", "host": "t:pool",
            "children": list(children), **fields}


@pytest.fixture
def app(tmp_path: Path) -> Path:
    write_yaml(
        tmp_path, POOL, OTHER,
        {"name": "fix", "kind": "fs.directory", "directory": str(FIXTURES)},
        {"name": "waiter", "kind": "process.python", "module": "workers",
         "method": "wait_for_cancel"},
        {"name": "answer", "kind": "process.python", "module": "workers", "method": "answer"},
        {"name": "crash", "kind": "process.wasm", "fs": "t:fix", "path": "traps.wasm",
         "hash": digest(FIXTURES / "traps.wasm"), "method": "div_zero"},
        supervisor("workers", {"id": "a", "process": "t:waiter", "args": ["a"]},
                   {"id": "b", "process": "t:waiter", "args": ["b"]},
                   {"id": "c", "process": "t:waiter", "args": ["c"]}),
        supervisor("crashing", {"id": "w", "process": "t:crash", "args": [0]}, intensity=1),
        {"name": "svc", "kind": "process.service", "process": "t:answer", "host": "t:pool",
         "input": ["7"]},
    )
    (tmp_path / "workers.py").write_text(WORKERS)
    return tmp_path


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_children_in_reverse_order_then_the_supervisor(
    cache: Path, app: Path, signum: signal.Signals, status: int
) -> None:
    proc = popen(cache, "-C", str(app), "run", "-x", "t:workers")
    head = read_until(proc.stdout, "SUPERVISION  t:workers: started - 3 children")
    # A child counts as started once its function is entered, so its "running" line may come
    # just after the supervisor's report: wait for all three before the signal.
    while len([line for line in head if line.endswith(": running")]) < 3:
        head += read_until(proc.stdout, ": running")
    assert sorted(line for line in head if line.endswith(": running")) == [
        "a: running", "b: running", "c: running"]
    proc.send_signal(signum)
    code, out, err = finish(proc)
    assert code == status
    lines = out.splitlines()
    assert [line for line in lines if line.endswith("cancelled")] == [
        "c: cancelled", "b: cancelled", "a: cancelled"]
    assert re.search(r"SUPERVISION  t:workers: shutdown - cancelled: SIG\w+ from the terminal",
                     out)
    assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3}  EXIT         t:workers <t:pool\.\d+>: ok",
                        lines[-1])
    assert f"wippy: {signum.name}: stopping t:workers <t:pool." in err
    assert "its children stop in reverse order" in err


def test_a_supervisor_that_gives_up_exits_1(cache: Path, app: Path) -> None:
    result = run(cache, "-C", str(app), "run", "-x", "t:crashing")
    assert result.returncode == 1
    assert "SUPERVISION  t:crashing: give_up - reached max restart intensity" in result.stdout
    assert re.search(r"EXIT +t:crashing <t:pool\.\d+>: shut down: reached max restart",
                     result.stdout)
    assert "wippy: shutdown: reached max restart intensity (1 restarts in 5s)" in result.stderr


def test_a_service_runs_and_gives_its_result(cache: Path, app: Path) -> None:
    result = run(cache, "-C", str(app), "run", "-x", "t:svc")
    assert result.returncode == 7, result.stderr
    assert "SUPERVISION  t:svc: started t:answer" in result.stdout
    assert re.search(r"EXIT +t:svc <t:pool\.\d+>: ok: 7", result.stdout)


def test_the_host_option_and_start_failures(cache: Path, app: Path) -> None:
    """--host runs the supervisor elsewhere (a host that is not auto_start is started), while
    its children keep the entry's host; a second instance cannot start."""
    proc = popen(cache, "-v", "-C", str(app), "run", "--host", "t:other", "-x", "t:workers")
    read_until(proc.stderr, "running process.supervisor t:workers as <t:other.")
    proc.send_signal(signal.SIGINT)
    code, out, _ = finish(proc)
    assert code == 130 and "EXIT         t:workers <t:other." in out
    bad = run(cache, "-C", str(app), "run", "-x", "t:workers", "extra")
    assert bad.returncode == 2
    assert "t:workers is a process.supervisor: it takes no arguments (got extra)" in bad.stderr
