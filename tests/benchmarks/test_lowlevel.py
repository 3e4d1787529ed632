"""The low-level wasmtime path of the "raw wasmtime low-level" column computes what it times."""

from __future__ import annotations

import pytest
import wasmtime

from benchmarks import lowlevel
from tests.conftest import EXAMPLES, FIXTURES


@pytest.fixture(scope="module")
def engine() -> wasmtime.Engine:
    return wasmtime.Engine()


def test_a_live_call_reuses_its_arrays_across_calls(engine: wasmtime.Engine) -> None:
    module = wasmtime.Module(engine, (FIXTURES / "traps.wasm").read_bytes())
    add = lowlevel.live_call(engine, module, "add", 2)
    assert [add(6, 7), add(-3, 5), add(2**31 - 1, 1)] == [13, 2, -(2**31)]


def test_a_trap_raises_and_the_next_call_still_works(engine: wasmtime.Engine) -> None:
    module = wasmtime.Module(engine, (FIXTURES / "traps.wasm").read_bytes())
    div_zero = lowlevel.live_call(engine, module, "div_zero", 1)
    with pytest.raises(lowlevel.LowLevelError, match="divide by zero"):
        div_zero(0)
    add = lowlevel.live_call(engine, module, "add", 2)
    assert add(1, 2) == 3


def test_a_spawner_instantiates_a_fresh_instance_per_run(engine: wasmtime.Engine) -> None:
    module = wasmtime.Module(engine, (EXAMPLES / "compute" / "wasm" / "worker.wasm").read_bytes())
    spawner = lowlevel.Spawner(engine, lowlevel.instance_pre(engine, module), "compute", 2)
    assert [spawner.run(6, 7) for _ in range(3)] == [42, 42, 42]
    with pytest.raises(lowlevel.LowLevelError, match="no exported function 'nope'"):
        lowlevel.Spawner(engine, lowlevel.instance_pre(engine, module), "nope", 2).run(1, 2)
