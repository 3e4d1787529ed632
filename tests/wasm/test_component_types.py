"""Every WIT value type through a real component (wit_types.wasm): arguments, results, errors."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from tests.actors.actor_helpers import expect_event
from tests.conftest import AppWriter, call
from wippy.actors import EXIT, Runtime, SpawnArgumentError
from wippy.config import load_registry
from wippy.wasm import ArgumentError, LinkError, Program, WasmRuntime

VALUES = "wippy:wit-types/values"
MATH = "wippy:wit-types/math"


def entry(method: str, name: str = "t") -> dict[str, Any]:
    return {"name": name, "kind": "process.wasm", "path": "wit_types.wasm", "method": method}


@pytest.fixture
def program(wasm_runtime: WasmRuntime, write_app: AppWriter) -> Iterator[Any]:
    """``program("iface#func")``: the loaded Program of a wit_types.wasm entry (its own name
    per call, so failures name the entry they came from)."""
    names = iter(range(1_000))

    def load(method: str) -> Program:
        name = f"t{next(names)}"
        return wasm_runtime.program(load_registry(write_app(entry(method, name))), f"test:{name}")

    yield load


def arg_error(prog: Program, *args: Any) -> str:
    with pytest.raises(ArgumentError) as err:
        prog.convert_args(args)
    return str(err.value)


INT_TYPES = [("a", "s8", 8, True), ("b", "u8", 8, False), ("c", "s16", 16, True),
             ("d", "u16", 16, False), ("e", "s32", 32, True), ("f", "u32", 32, False),
             ("g", "s64", 64, True), ("h", "u64", 64, False)]


def int_range(bits: int, signed: bool) -> tuple[int, int]:
    return (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)


# -- round trips ------------------------------------------------------------------------------


def test_integers_round_trip_at_their_range_edges(program: Any) -> None:
    prog = program(f"{VALUES}#ints")
    lows = tuple(int_range(bits, signed)[0] for _, _, bits, signed in INT_TYPES)
    highs = tuple(int_range(bits, signed)[1] for _, _, bits, signed in INT_TYPES)
    assert call(prog, *lows) == lows
    assert call(prog, *highs) == highs
    assert call(prog, *(["-1", "16", "7", "0", "-5", "5", "-9", "9"])) == (
        -1, 16, 7, 0, -5, 5, -9, 9)


def test_floats_round_trip(program: Any) -> None:
    prog = program(f"{VALUES}#floats")
    assert call(prog, 1.5, -2.25) == (1.5, -2.25)
    assert call(prog, 3, "0.5") == (3.0, 0.5)
    x, y = call(prog, 0.1, 0.1)
    assert x != 0.1 and math.isclose(x, 0.1, rel_tol=1e-7) and y == 0.1  # f32 rounds
    x, y = call(prog, math.inf, math.nan)
    assert x == math.inf and math.isnan(y)
    assert call(prog, 3.4028234663852886e38, 1e300) == (3.4028234663852886e38, 1e300)


@pytest.mark.parametrize(
    ("char", "after"),
    [("a", "b"), ("é", "ê"), ("\ud7ff", "\ue000"), ("😀", "😁"), ("\U0010ffff", "\x00")],
)
def test_char_is_a_one_character_str(program: Any, char: str, after: str) -> None:
    assert call(program(f"{VALUES}#next-char"), char) == after


def test_tuple_and_bool(program: Any) -> None:
    prog = program(f"{VALUES}#flip")
    assert call(prog, (True, 7)) == (7, True)
    assert call(prog, [False, 65535]) == (65535, False)
    assert call(prog, ("true", "12")) == (12, True)


def test_list_of_u8_is_bytes(program: Any) -> None:
    prog = program(f"{VALUES}#reverse-bytes")
    assert call(prog, b"abc") == b"cba"
    assert call(prog, bytearray(b"\x00\xff")) == b"\xff\x00"
    assert call(prog, [1, 2, 3]) == b"\x03\x02\x01"
    assert call(prog, b"") == b""


ORDER: dict[str, Any] = {
    "id": 2**64 - 1,
    "items": [
        {"name": "tea", "qty": 3, "tags": ["green", "loose"], "gift-note": "for you ✓"},
        {"name": "cup", "qty": 2**32 - 1, "tags": [], "gift-note": None},
    ],
    "priority": 7,
}


def test_nested_record_list_option_round_trip(program: Any) -> None:
    prog = program(f"{VALUES}#echo-order")
    assert call(prog, ORDER) == ORDER
    empty = {"id": 0, "items": [], "priority": None}
    assert call(prog, empty) == empty
    snake = {"id": 1, "items": [{"name": "x", "qty": 1, "tags": ["t"], "gift_note": "n"}],
             "priority": 0}
    assert call(prog, snake)["items"] == [{"name": "x", "qty": 1, "tags": ["t"], "gift-note": "n"}]
    assert call(program(f"{VALUES}#total-qty"), ORDER) == 3 + 2**32 - 1


def test_nested_option_keeps_some_none_apart_from_none(program: Any) -> None:
    prog = program(f"{VALUES}#nested-option")
    assert call(prog, None) is None
    assert call(prog, {"some": None}) == {"some": None}
    assert call(prog, {"some": 255}) == {"some": 255}


def test_results_are_returned_with_both_arms_not_raised(program: Any) -> None:
    validate = program(f"{VALUES}#validate")
    assert call(validate, "ab-1") == {"ok": "ab-1"}
    assert call(validate, "") == {"err": "empty name"}
    assert call(validate, "A") == {"err": "invalid character"}
    check_sign = program(f"{VALUES}#check-sign")
    assert call(check_sign, 5) == {"ok": None}
    assert call(check_sign, -5) == {"err": None}
    checked_add = program(f"{MATH}#checked-add")
    assert call(checked_add, 2, 3) == {"ok": 5}
    assert call(checked_add, 200, 100) == {"err": "overflow"}


def test_results_as_arguments(program: Any) -> None:
    prog = program(f"{VALUES}#unwrap-or")
    assert call(prog, {"ok": 5}, 9) == 5
    assert call(prog, {"err": "no"}, 9) == 9
    assert call(program(f"{VALUES}#check-sign"), -1) == {"err": None}


def test_enum_is_the_case_name(program: Any) -> None:
    prog = program(f"{VALUES}#next-color")
    assert [call(prog, c) for c in ("red", "green", "blue")] == ["green", "blue", "red"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [({"read"}, ["read", "write"]), (["write", "read"], ["read"]), (set(), ["write"]),
     (frozenset({"exec", "read", "write"}), ["read", "exec"]), (("exec",), ["write", "exec"])],
)
def test_flags_are_names_in_wit_order(program: Any, given: Any, expected: list[str]) -> None:
    assert call(program(f"{VALUES}#toggle-write"), given) == expected


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ({"circle": 2.0}, {"circle": 6.0}),
        ({"circle": 1}, {"circle": 3.0}),
        ({"rect": {"x": 1.0, "y": 2.0}}, {"rect": {"x": 3.0, "y": 6.0}}),
        ("empty", {"empty": None}),
        ({"empty": None}, {"empty": None}),
    ],
)
def test_variant_with_distinct_payload_types(program: Any, shape: Any, expected: Any) -> None:
    assert call(program(f"{VALUES}#scale"), shape, 3) == expected


@pytest.mark.parametrize(
    "token",
    [{"num": -(2**31)}, {"num": 2**31 - 1}, {"big": -(2**63)}, {"big": 2**63 - 1},
     {"word": "héllo"}, {"word": ""}, {"eof": None}],
)
def test_variant_with_overlapping_payload_types(program: Any, token: Any) -> None:
    assert call(program(f"{VALUES}#echo-token"), token) == token
    assert call(program(f"{VALUES}#echo-token"), "eof") == {"eof": None}


def test_interface_function(program: Any) -> None:
    prog = program(f"{MATH}#add")
    assert str(prog.signature) == f"{MATH}#add(x: u8, y: u8) -> u8"
    assert call(prog, 200, 100) == 44


def test_signature_spells_wit_types(program: Any) -> None:
    assert str(program(f"{VALUES}#scale").signature) == (
        f"{VALUES}#scale(s: variant{{circle(f64), rect(record{{x: f64, y: f64}}), empty}}, "
        "k: f64) -> variant{circle(f64), rect(record{x: f64, y: f64}), empty}"
    )
    assert str(program(f"{VALUES}#check-sign").signature).endswith("(n: s32) -> result")
    assert "-> option<option<u8>>" in str(program(f"{VALUES}#nested-option").signature)


# -- values that do not fit -------------------------------------------------------------------


@pytest.mark.parametrize(("param", "wit", "bits", "signed"), INT_TYPES)
def test_integer_out_of_range_names_parameter_and_type(
    program: Any, param: str, wit: str, bits: int, signed: bool
) -> None:
    prog = program(f"{VALUES}#ints")
    low, high = int_range(bits, signed)
    index = [p for p, _, _, _ in INT_TYPES].index(param)
    for bad in (low - 1, high + 1):
        args = [0] * 8
        args[index] = bad
        assert arg_error(prog, *args).startswith(
            f"argument '{param}' of {VALUES}#ints: {bad} does not fit {wit}: "
            f"out of range {low}..{high}; signature {VALUES}#ints(a: s8, b: u8, "
        )


def test_interface_function_argument_error(program: Any) -> None:
    message = arg_error(program(f"{MATH}#add"), 300, 1)
    assert message == (f"argument 'x' of {MATH}#add: 300 does not fit u8: out of range 0..255; "
                       f"signature {MATH}#add(x: u8, y: u8) -> u8")
    assert f"{MATH}#add takes 2 arguments but got 1" in arg_error(program(f"{MATH}#add"), 1)


@pytest.mark.parametrize(
    ("method", "args", "message"),
    [
        ("ints", (True, 0, 0, 0, 0, 0, 0, 0), "argument 'a' of {V}#ints: True does not fit s8: "
         "not an integer"),
        ("ints", (1.0, 0, 0, 0, 0, 0, 0, 0), "1.0 does not fit s8: not an integer"),
        ("ints", ("12x", 0, 0, 0, 0, 0, 0, 0), "'12x' does not fit s8: not an integer"),
        ("ints", ("0x10", 0, 0, 0, 0, 0, 0, 0), "'0x10' does not fit s8: not an integer"),
        ("ints", (" 6", 0, 0, 0, 0, 0, 0, 0), "' 6' does not fit s8: not an integer"),
        ("ints", ("1_0", 0, 0, 0, 0, 0, 0, 0), "'1_0' does not fit s8: not an integer"),
        ("floats", (0, "1_000"), "'1_000' does not fit f64: not a number"),
        ("floats", (0, "inf"), "'inf' does not fit f64: not a number"),
        ("floats", (1e39, 0), "argument 'x' of {V}#floats: 1e+39 does not fit f32: out of range"),
        ("floats", (0, "pi"), "argument 'y' of {V}#floats: 'pi' does not fit f64: not a number"),
        ("floats", (0, None), "None does not fit f64: not a number"),
        ("next-char", ("ab",), "argument 'c' of {V}#next-char: 'ab' does not fit char: "
         "not a single character"),
        ("next-char", ("\ud800",), "does not fit char: a lone surrogate"),
        ("validate", (b"x",), "argument 'name' of {V}#validate: b'x' does not fit string: "
         "not a str"),
        ("flip", ((True,),), "argument 't' of {V}#flip: (True,) does not fit tuple<bool, u16>: "
         "needs 2 elements, got 1"),
        ("flip", ((2, 1),), "t[0] = 2 does not fit bool: not a bool"),
        ("reverse-bytes", ("abc",), "'abc' does not fit list<u8>: not a list"),
        ("reverse-bytes", ([1, 256],), "b[1] = 256 does not fit u8: out of range 0..255"),
        ("echo-order", ({"id": 1, "items": []},), "argument 'o' of {V}#echo-order: "
         "{'id': 1, 'items': []} does not fit record{id: u64, items: list<record{name: string, "
         "qty: u32, tags: list<string>, gift-note: option<string>}>, priority: option<u8>}: "
         "missing field 'priority'"),
        ("echo-order", ({**ORDER, "rush": True},), "unknown field 'rush'"),
        ("echo-order", ([1, 2],), "does not fit record{id: u64, "),
        ("echo-order", ({**ORDER, "items": [{"name": "x", "qty": 1, "tags": []}]},),
         "o.items[0] = {'name': 'x', 'qty': 1, 'tags': []} does not fit record{name: string, "
         "qty: u32, tags: list<string>, gift-note: option<string>}: missing field 'gift-note'"),
        ("echo-order", ({**ORDER, "items": [{**ORDER["items"][0], "qty": -1}]},),
         "argument 'o' of {V}#echo-order: o.items[0].qty = -1 does not fit u32: out of range"),
        ("echo-order", ({**ORDER, "priority": 256},), "o.priority = 256 does not fit u8"),
        ("nested-option", (5,), "5 does not fit option<option<u8>>: write None or "
         '{"some": value}'),
        ("unwrap-or", (5, 0), "argument 'r' of {V}#unwrap-or: 5 does not fit "
         'result<u32, string>: write {"ok": value} or {"err": value}'),
        ("unwrap-or", ({"ok": 1, "err": "x"}, 0), 'write {"ok": value} or {"err": value}'),
        ("unwrap-or", ({"err": 5}, 0), "r.err = 5 does not fit string: not a str"),
        ("check-sign", (-(2**31) - 1,), "does not fit s32"),
        ("next-color", ("purple",), "argument 'c' of {V}#next-color: 'purple' does not fit "
         "enum{red, green, blue}: unknown case 'purple' (cases: red, green, blue)"),
        ("next-color", (0,), "0 does not fit enum{red, green, blue}: not a case name"),
        ("toggle-write", ({"read", "admin"},), "does not fit flags{read, write, exec}: "
         "unknown flag 'admin' (flags: read, write, exec)"),
        ("toggle-write", ("read",), "'read' does not fit flags{read, write, exec}: not a set or "
         "list of flag names"),
        ("scale", ({"triangle": 1.0}, 1), "argument 's' of {V}#scale: {'triangle': 1.0} does not "
         "fit variant{circle(f64), rect(record{x: f64, y: f64}), empty}: unknown case "
         "'triangle' (cases: circle, rect, empty)"),
        ("scale", ("circle", 1), "case 'circle' needs a payload of f64"),
        ("scale", ({"circle": "big"}, 1), "s.circle = 'big' does not fit f64: not a number"),
        ("scale", ({"rect": {"x": 1.0}}, 1), "s.rect = {'x': 1.0} does not fit record{x: f64, "
         "y: f64}: missing field 'y'"),
        ("scale", ({"circle": 1.0, "rect": {}}, 1), "write {case: payload} or the name of a case "
         "without payload"),
        ("echo-token", ({"eof": 1},), "case 'eof' takes no payload"),
        ("echo-token", ({"num": 2**31},), "t.num = 2147483648 does not fit s32: out of range"),
    ],
)
def test_values_that_do_not_fit_are_clear_errors(
    program: Any, method: str, args: tuple[Any, ...], message: str
) -> None:
    assert message.replace("{V}", VALUES) in arg_error(program(f"{VALUES}#{method}"), *args)


def test_long_values_are_shortened_in_messages(program: Any) -> None:
    message = arg_error(program(f"{VALUES}#validate"), ["x"] * 1000)
    assert "['x', 'x', " in message and "...' does not fit" not in message
    assert len(message) < 300


# -- `iface#func` ----------------------------------------------------------------------------


def test_unknown_interface_lists_the_exported_ones(program: Any) -> None:
    with pytest.raises(LinkError, match=(
        r"test:t0: component exports no interface `wippy:wit-types/nope` "
        rf"\(exports: {MATH}, {VALUES}\)"
    )):
        program("wippy:wit-types/nope#add")


def test_unknown_function_of_an_interface_lists_its_functions(program: Any) -> None:
    with pytest.raises(LinkError, match=(
        rf"test:t0: interface `{MATH}` exports no function `sub` \(functions: add, checked-add\)"
    )):
        program(f"{MATH}#sub")


def test_interface_function_without_its_interface_points_at_iface_func(program: Any) -> None:
    with pytest.raises(LinkError, match=(
        rf"component exports no function `add` \(functions: none; interfaces: {MATH}, {VALUES} "
        r"\(use `iface#func`\)\)"
    )):
        program("add")


def test_interface_name_is_not_a_function(program: Any) -> None:
    with pytest.raises(LinkError, match=rf"exports no function `{MATH}`"):
        program(MATH)


# -- through the process runtime --------------------------------------------------------------


def test_processes_exit_with_converted_results_and_refuse_bad_arguments(
    write_app: AppWriter, wasm_runtime: WasmRuntime
) -> None:
    app = write_app(
        {"name": "host", "kind": "process.host", "lifecycle": {"auto_start": True}},
        entry(f"{MATH}#checked-add", "checked_add"),
        entry(f"{VALUES}#scale", "scale"),
    )
    with Runtime(load_registry(app), wasm=wasm_runtime) as rt, rt.process() as me:
        pid = me.spawn_monitored("test:checked_add", "test:host", 200, 100)
        event = expect_event(me, EXIT, pid)
        assert (event.error, event.value) == (None, {"err": "overflow"})
        pid = me.spawn_monitored("test:scale", "test:host", {"rect": {"x": 1, "y": 2}}, 0.5)
        assert expect_event(me, EXIT, pid).value == {"rect": {"x": 0.5, "y": 1.0}}
        with pytest.raises(SpawnArgumentError, match="argument 'x' of .* 300 does not fit u8"):
            me.spawn("test:checked_add", "test:host", 300, 1)
