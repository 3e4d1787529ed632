"""Components: detection, WIT-typed arguments and results, interface exports, import profiles."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import EXAMPLES, AppWriter, call, pinned
from wippy.config import load_registry
from wippy.wasm import ArgumentError, LinkError, Program, WasmRuntime

GREET = EXAMPLES / "compute" / "wasm" / "greet.wasm"


def greet_entry(method: str = "greet", **fields: Any) -> list[dict[str, Any]]:
    return [
        {"name": "examples", "kind": "fs.directory", "directory": str(GREET.parent)},
        {"name": "greet", "kind": "process.wasm", "fs": "test:examples", "path": "greet.wasm",
         "hash": pinned(GREET), "method": method, **fields},
    ]


def types_program(runtime: WasmRuntime, write_app: AppWriter, method: str) -> Program:
    app = write_app({"name": "t", "kind": "process.wasm", "path": "types.wasm",
                     "method": f"wippy:types/api#{method}"})
    return runtime.program(load_registry(app), "test:t")


def test_component_export_takes_and_returns_strings(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    prog = wasm_runtime.program(load_registry(write_app(*greet_entry())), "test:greet")
    assert str(prog.signature) == "greet(name: string) -> string"
    assert call(prog, "wippy") == "Hello, wippy!"
    assert call(prog, "Ünïcode ✓") == "Hello, Ünïcode ✓!"


def test_component_argument_errors_name_parameter_and_type(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    prog = wasm_runtime.program(load_registry(write_app(*greet_entry())), "test:greet")
    with pytest.raises(
        ArgumentError, match="argument 'name' of greet: 42 does not fit string: not a str"
    ):
        prog.convert_args([42])
    with pytest.raises(ArgumentError, match="greet takes 1 argument but got 2"):
        prog.convert_args(["a", "b"])


def test_missing_component_export_lists_functions(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    app = write_app(*greet_entry(method="nope"))
    with pytest.raises(LinkError, match=r"exports no function `nope` \(functions: greet\)"):
        wasm_runtime.program(load_registry(app), "test:greet")


def test_missing_top_level_function_points_at_interfaces(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    app = write_app({"name": "t", "kind": "process.wasm", "path": "types.wasm", "method": "add"})
    with pytest.raises(LinkError, match=r"interfaces: wippy:types/api \(use `iface#func`\)"):
        wasm_runtime.program(load_registry(app), "test:t")


@pytest.mark.parametrize(
    ("method", "args", "expected"),
    [
        ("add", (2, -5), -3),
        ("echo-list", ([1, 2, 3],), [1, 2, 3]),
        ("swap", (("a", 7),), (7, "a")),
        ("move-point", ({"x": 1.0, "y": 2.5},), {"x": 2.0, "y": 3.5}),
        ("maybe", (21,), 42),
        ("maybe", (None,), None),
        ("checked-div", (7, 2), {"ok": 3}),
        ("checked-div", (7, 0), {"err": "division by zero"}),
        ("color-name", ("green",), "green"),
    ],
)
def test_wit_types_convert_both_ways(
    wasm_runtime: WasmRuntime, write_app: AppWriter, method: str, args: tuple[Any, ...],
    expected: Any,
) -> None:
    assert call(types_program(wasm_runtime, write_app, method), *args) == expected


@pytest.mark.parametrize(
    ("method", "args", "message"),
    [
        ("add", (2**31, 0), "argument 'a' of wippy:types/api#add: 2147483648 does not fit s32: "
         "out of range"),
        ("echo-list", ([1, -1],), "xs[1] = -1 does not fit u32"),
        ("move-point", ({"x": 1.0},), "missing field 'y'"),
        ("color-name", ("purple",), "does not fit enum{red, green, blue}: unknown case"),
    ],
)
def test_wit_type_mismatches_are_clear(
    wasm_runtime: WasmRuntime, write_app: AppWriter, method: str, args: tuple[Any, ...],
    message: str,
) -> None:
    prog = types_program(wasm_runtime, write_app, method)
    with pytest.raises(ArgumentError) as err:
        prog.convert_args(args)
    assert message in str(err.value)
