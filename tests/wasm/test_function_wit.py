"""A ``wit`` signature over a core export: checked at load, converting arguments and results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.wasm.function_helpers import fn_wasm, fn_wat, function_app
from wippy.wasm import ArgumentError, InvalidTextError, LoadError, WasmRuntime, WitMismatchError


def wit_function(runtime: WasmRuntime, tmp_path: Path, method: str, wit: str) -> Any:
    registry = function_app(tmp_path, fn_wasm("f", method, wit=wit))
    return runtime.function(registry, "t:f")


@pytest.mark.parametrize(("method", "wit", "args", "result"), [
    ("add", "add: func(a: s32, b: s32) -> s32", (6, 7), 13),
    ("add", "add: func(a: s32, b: s32) -> s32", ("-6", "7"), 1),
    ("add", "add: func(a: u32, b: u32) -> u32", (4294967295, 0), 4294967295),
    ("neg", "neg: func(x: s32) -> u32", (1,), 4294967295),
    ("neg", "neg: func(x: s32) -> s8", (1,), -1),
    ("neg", "neg: func(x: s32) -> u8", (1,), 255),
    ("neg", "neg: func(x: s32) -> s16", (-32767,), 32767),
    ("is_zero", "is_zero: func(x: bool) -> bool", (False,), True),
    ("is_zero", "is_zero: func(x: bool) -> bool", ("true",), False),
    ("add", "add: func(c: char, by: s32) -> char", ("a", 1), "b"),
    ("add", "add: func(c: char, by: s32) -> char", ("\U0001F600", 1), "\U0001F601"),
    ("mix", "mix: func(a: s64, b: f32, c: f64) -> f64", (2**40, "0.5", 0.25), 2**40 + 0.75),
    ("mix", "func(a: u64, b: f32, c: f64) -> f64", (1, 0.5, "-2"), -0.5),
])
def test_wit_types_convert_arguments_and_results(
    wasm_runtime: WasmRuntime, tmp_path: Path, method: str, wit: str, args: tuple[Any, ...],
    result: Any,
) -> None:
    assert wit_function(wasm_runtime, tmp_path, method, wit).call(*args) == result


def test_the_wit_signature_is_the_one_shown(wasm_runtime: WasmRuntime, tmp_path: Path) -> None:
    add = wit_function(wasm_runtime, tmp_path, "add", "add: func(a: s32, b: s32) -> s32;")
    assert str(add.signature) == "add(a: s32, b: s32) -> s32"


@pytest.mark.parametrize(("wit", "args", "message"), [
    ("add: func(a: s32, b: s32) -> s32", (2**31, 0),
     "argument 'a' of add: 2147483648 does not fit s32: out of range -2147483648..2147483647; "
     "signature add(a: s32, b: s32) -> s32"),
    ("add: func(a: u8, b: u8) -> u8", (-1, 0), "argument 'a' of add: -1 does not fit u8: out of "
     "range 0..255"),
    ("add: func(a: s32, b: s32) -> s32", ("0x10", 0), "'0x10' does not fit s32: not an integer"),
    ("add: func(a: s32, b: s32) -> s32", (True, 0), "True does not fit s32: a bool is not an "
     "integer"),
    ("add: func(a: bool, b: s32) -> s32", (1, 0), "1 does not fit bool: not a bool"),
    ("add: func(a: char, b: s32) -> s32", ("ab", 0), "'ab' does not fit char: not a single"),
    ("add: func(a: s32, b: s32) -> s32", (1,), "add takes 2 arguments but got 1: signature "
     "add(a: s32, b: s32) -> s32"),
])
def test_wit_arguments_that_do_not_fit_are_refused(
    wasm_runtime: WasmRuntime, tmp_path: Path, wit: str, args: tuple[Any, ...], message: str
) -> None:
    function = wit_function(wasm_runtime, tmp_path, "add", wit)
    with pytest.raises(ArgumentError) as info:
        function.call(*args)
    assert message in str(info.value)


@pytest.mark.parametrize(("method", "wit", "message"), [
    ("add", "add: func(a: s32) -> s32",
     "t:f: wit add: func(a: s32) -> s32 has 1 parameter but export `add` is "
     "add(i32, i32) -> i32"),
    ("add", "add: func(a: s64, b: s32) -> s32",
     "t:f: wit add: func(a: s64, b: s32) -> s32: parameter 'a' is s64, which lowers to i64, "
     "but parameter 1 of export `add` is add(i32, i32) -> i32"),
    ("add", "add: func(a: s32, b: s32) -> f64",
     "t:f: wit add: func(a: s32, b: s32) -> f64 has result f64, which lowers to f64, but "
     "export `add` is add(i32, i32) -> i32"),
    ("add", "add: func(a: s32, b: s32)",
     "t:f: wit add: func(a: s32, b: s32) has no result, but export `add` is add(i32, i32) "
     "-> i32"),
])
def test_a_wit_signature_that_does_not_fit_the_export_fails_at_load(
    wasm_runtime: WasmRuntime, tmp_path: Path, method: str, wit: str, message: str
) -> None:
    with pytest.raises(WitMismatchError) as info:
        wit_function(wasm_runtime, tmp_path, method, wit)
    assert str(info.value) == message
    assert info.value.field == "wit" and isinstance(info.value, LoadError)


def test_wat_that_does_not_parse_names_the_place(wasm_runtime: WasmRuntime,
                                                 tmp_path: Path) -> None:
    (tmp_path / "bad.wat").write_text("(module\n  (func (export \"f\") (result i32)\n    nop)\n")
    registry = function_app(tmp_path, {"name": "inline", "kind": "function.wat",
                                       "source": "(module", "method": "f"},
                            fn_wat("file", "f", source=f"file://{tmp_path / 'bad.wat'}"))
    with pytest.raises(InvalidTextError) as info:
        wasm_runtime.function(registry, "t:inline")
    assert str(info.value) == "t:inline: invalid WebAssembly text at line 1, column 8: " \
                              "expected `)`"
    with pytest.raises(LoadError) as info:
        wasm_runtime.function(registry, "t:file")
    assert str(info.value).startswith(f"t:file: invalid WebAssembly text in {tmp_path}/bad.wat")


def test_a_missing_export_lists_what_the_module_exports(wasm_runtime: WasmRuntime,
                                                        tmp_path: Path) -> None:
    with pytest.raises(LoadError, match=r"t:f: module exports no function `nope` \(exported "
                                        r"functions: add, count, fail_if, is_zero, mix, neg, "
                                        r"spin\)"):
        wasm_runtime.function(function_app(tmp_path, fn_wat("f", "nope")), "t:f")
