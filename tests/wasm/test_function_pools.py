"""How a function's pool treats instances under per-call limits, with a stand-in engine whose
instances can or cannot re-arm their limits (Instance.reset_limits)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.wasm.function_helpers import fn_wasm, function_app
from wippy.config import FunctionEntry
from wippy.wasm import Function, Instance, OutputSink, Program, Signature


class FakeInstance(Instance):
    """Counts its calls; re-arms its limits when ``rearms``."""

    def __init__(self, rearms: bool) -> None:
        self.rearms = rearms
        self.calls = 0
        self.resets = 0
        self.closed = False

    def call(self, args: Sequence[Any]) -> Any:
        self.calls += 1
        return self.calls

    def interrupt(self, reason: str = "terminated") -> None:
        del reason

    def reset_limits(self) -> bool:
        self.resets += 1
        return self.rearms

    def close(self) -> None:
        self.closed = True


class FakeProgram(Program):
    def __init__(self, rearms: bool) -> None:
        self.entry_id = "t:f"
        self.signature = Signature("count", (), ("i32",))
        self.rearms = rearms
        self.made: list[FakeInstance] = []

    def convert_args(self, args: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(args)

    def instantiate(self, *, stdout: OutputSink | None = None, stderr: OutputSink | None = None,
                    stdin: bytes = b"") -> Instance:
        instance = FakeInstance(self.rearms)
        self.made.append(instance)
        return instance


def function(tmp_path: Path, rearms: bool, **fields: Any) -> tuple[Function, FakeProgram]:
    registry = function_app(tmp_path, fn_wasm("f", "count", **fields))
    program = FakeProgram(rearms)
    entry = registry.get_as("t:f", FunctionEntry)
    return Function(entry, program, engine="wasmtime"), program


@pytest.mark.parametrize("limits", [{"fuel": 1000}, {"max_execution_ms": 100}])
def test_an_engine_that_rearms_limits_gets_its_instances_reused(tmp_path: Path,
                                                                limits: dict[str, Any]) -> None:
    fn, program = function(tmp_path, True, limits=limits, pool={"type": "lazy"})
    assert [fn.call() for _ in range(3)] == [1, 2, 3]
    [instance] = program.made
    assert (instance.resets, instance.closed) == (3, False)  # re-armed before every call


@pytest.mark.parametrize("limits", [{"fuel": 1000}, {"max_execution_ms": 100}])
def test_an_engine_that_cannot_rearm_gets_a_fresh_instance_per_call(
    tmp_path: Path, limits: dict[str, Any]
) -> None:
    fn, program = function(tmp_path, False, limits=limits, pool={"type": "lazy"})
    assert [fn.call() for _ in range(3)] == [1, 1, 1]
    assert len(program.made) == 3 and all(i.closed for i in program.made)


def test_without_limits_instances_are_reused_without_rearming(tmp_path: Path) -> None:
    fn, program = function(tmp_path, False, pool={"type": "lazy"})
    assert [fn.call() for _ in range(3)] == [1, 2, 3]
    assert [i.resets for i in program.made] == [0]


def test_a_static_pool_under_limits_is_made_up_front_only_if_limits_rearm(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    limited = {"limits": {"max_execution_ms": 100}, "pool": {"type": "static", "size": 3}}
    fn, program = function(tmp_path / "a", True, **limited)
    assert (fn.stats().idle, len(program.made)) == (3, 3)
    with caplog.at_level(logging.INFO, logger="wippy.wasm"):
        fn, program = function(tmp_path / "b", False, **limited)
    assert (fn.stats().idle, len(program.made)) == (0, 1)  # the probe, closed again
    assert program.made[0].closed
    assert "t:f: the engine cannot re-arm per-call limits, so each call gets a fresh instance " \
           "instead of the 3 made up front" in caplog.text
    assert fn.call() == 1 and fn.call() == 1


def test_wasmer_instances_are_never_handed_to_another_call(tmp_path: Path) -> None:
    registry = function_app(tmp_path, fn_wasm("f", "count", pool={"type": "static", "size": 2}))
    program = FakeProgram(True)
    fn = Function(registry.get_as("t:f", FunctionEntry), program, engine="wasmer")
    assert [fn.call() for _ in range(3)] == [1, 1, 1]
    assert len(program.made) == 3 and all(i.closed for i in program.made)


def test_closing_closes_idle_instances_and_busy_ones_when_they_return(tmp_path: Path) -> None:
    fn, program = function(tmp_path, True, pool={"type": "static", "size": 2})
    busy = fn.pool.acquire()
    fn.close()
    assert [i.closed for i in program.made] == [busy is not program.made[0], busy is
                                                not program.made[1]]
    fn.pool.release(busy, reuse=True)
    assert all(i.closed for i in program.made)
