"""`process.python` entries: Python functions as registry processes."""

from __future__ import annotations

import pytest

from tests.conftest import AppWriter
from wippy import load
from wippy.actors import EntryLoadError
from wippy.config import ConfigError, load_registry

HOST = {"name": "p", "kind": "process.host", "lifecycle": {"auto_start": True}}


def test_python_entry_runs_with_process_semantics(write_app: AppWriter) -> None:
    app = write_app(
        HOST,
        {"name": "double", "kind": "process.python", "module": "tests.actors.python_targets",
         "method": "double"},
        {"name": "echo", "kind": "process.python", "module": "tests.actors.python_targets",
         "method": "echo_then_fail"},
    )
    with load(app) as rt, rt.process() as me:
        pid = me.spawn_monitored("test:double", "test:p", 21)
        event = me.receive(timeout=10)
        assert (event.type, event.pid, event.value, event.error) == ("EXIT", pid, 42, None)

        echo = me.spawn_monitored("test:echo", "test:p")
        me.send(echo, "ping", 1, 2)
        reply = me.receive(timeout=10, topic="echo")
        assert reply.payload == (1, 2) and reply.sender == echo
        exit_event = me.receive(timeout=10)
        assert exit_event.error.kind == "exception"
        assert exit_event.error.message == "RuntimeError: failed on purpose"


def test_python_entry_that_cannot_load_is_a_spawn_error(write_app: AppWriter) -> None:
    app = write_app(
        HOST,
        {"name": "missing", "kind": "process.python", "module": "tests.actors.no_such_module",
         "method": "f"},
        {"name": "nofn", "kind": "process.python", "module": "tests.actors.python_targets",
         "method": "nope"},
    )
    with load(app) as rt, rt.process() as me:
        with pytest.raises(EntryLoadError, match="cannot import module 'tests.actors.no_such"):
            me.spawn("test:missing", "test:p")
        with pytest.raises(EntryLoadError, match="has no function 'nope'"):
            me.spawn("test:nofn", "test:p")


def test_python_entry_fields_are_validated(write_app: AppWriter) -> None:
    app = write_app({"name": "bad", "kind": "process.python", "module": "not a module",
                     "method": "1x"})
    with pytest.raises(ConfigError) as err:
        load_registry(app)
    assert "entry test:bad: field module" in str(err.value)
    assert "entry test:bad: field method" in str(err.value)
