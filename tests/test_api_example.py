"""The README's and issue's Python example, verbatim, against examples/compute."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import wippy

ROOT = Path(__file__).resolve().parents[1]


def test_readme_example_verbatim(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert os.path.isdir("examples/compute")
    with wippy.load("examples/compute") as rt:  # starts auto_start hosts; stops them on exit
        me = rt.process()                               # a process handle with its own mailbox
        pid = me.spawn_monitored("myns:compute_worker", "myns:processes", 6, 7)
        event = me.receive(timeout=10)                  # next message or event, None on timeout
        assert event.type == "EXIT" and event.pid == pid and event.value == 42
        assert event.error is None


def test_readme_supervision_example(monkeypatch: pytest.MonkeyPatch) -> None:
    from wippy.supervisors import ChildSpec, SupervisorSpec, start_supervisor

    monkeypatch.chdir(ROOT)
    with wippy.load("examples/compute") as rt:
        spec = SupervisorSpec(
            host="myns:processes", strategy="one_for_one", intensity=3, period=5.0,
            children=(ChildSpec("compute", "myns:compute_worker", (6, 7), restart="transient"),),
        )
        sup = start_supervisor(rt, spec)       # returns once every child has started
        rows = sup.which_children()
        assert [row.id for row in rows] == ["compute"]
        event = sup.stop()                     # children stop in reverse order, then the supervisor
        assert event is not None and event.ok


def test_readme_function_example_verbatim(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Functions (`function.wasm`, `function.wat`)\n", 1)[1]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(ROOT)
    exec(compile(block, "README.md", "exec"), {})


def test_readme_supervisor_as_a_process_example(monkeypatch: pytest.MonkeyPatch) -> None:
    """The snippet of "A supervisor is a process", as written (the feeder's output aside)."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### A supervisor is a process\n", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    printed: list[object] = []
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr("sys.path", list(sys.path))  # the snippet adds the example's folder
    exec(compile(code, "README.md", "exec"), {"print": printed.append})
    assert len(printed) == 1
    error = printed[0]
    assert str(error).startswith("shutdown: auto_shutdown: significant child 'feeder' ended")
