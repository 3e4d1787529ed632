"""Conversion between Python values and component-model (WIT) values.

Python side: bool, int (range-checked), float, str (``char`` is a one-character str), list,
tuple, dict for records (field names as in WIT), ``None``/value for options, ``{"ok": v}`` /
``{"err": e}`` for results, the case name for enums, ``{case: payload}`` (or the bare case name)
for variants, a set or list of names for flags, bytes for ``list<u8>``.
"""

from __future__ import annotations

from typing import Any

from wasmtime import component as wc

_INT_RANGES: dict[type, tuple[int, int]] = {
    wc.U8: (0, 2**8 - 1),
    wc.U16: (0, 2**16 - 1),
    wc.U32: (0, 2**32 - 1),
    wc.U64: (0, 2**64 - 1),
    wc.S8: (-(2**7), 2**7 - 1),
    wc.S16: (-(2**15), 2**15 - 1),
    wc.S32: (-(2**31), 2**31 - 1),
    wc.S64: (-(2**63), 2**63 - 1),
}
_SIMPLE_NAMES: dict[type, str] = {
    wc.Bool: "bool",
    wc.U8: "u8",
    wc.U16: "u16",
    wc.U32: "u32",
    wc.U64: "u64",
    wc.S8: "s8",
    wc.S16: "s16",
    wc.S32: "s32",
    wc.S64: "s64",
    wc.F32: "f32",
    wc.F64: "f64",
    wc.Char: "char",
    wc.String: "string",
}


class ValueMismatch(Exception):
    """A Python value does not fit a WIT type; the message says where and why."""


def type_name(ty: Any) -> str:
    """A WIT-like spelling of ``ty``, such as ``list<u32>`` or ``result<s32, string>``."""
    simple = _SIMPLE_NAMES.get(type(ty))
    if simple is not None:
        return simple
    if isinstance(ty, wc.ListType):
        return f"list<{type_name(ty.element)}>"
    if isinstance(ty, wc.TupleType):
        return "tuple<" + ", ".join(type_name(t) for t in ty.elements) + ">"
    if isinstance(ty, wc.RecordType):
        return "record{" + ", ".join(f"{n}: {type_name(t)}" for n, t in ty.fields) + "}"
    if isinstance(ty, wc.OptionType):
        return f"option<{type_name(ty.payload)}>"
    if isinstance(ty, wc.ResultType):
        ok = type_name(ty.ok) if ty.ok is not None else "_"
        err = type_name(ty.err) if ty.err is not None else "_"
        return f"result<{ok}, {err}>"
    if isinstance(ty, wc.EnumType):
        return "enum{" + ", ".join(ty.names) + "}"
    if isinstance(ty, wc.FlagsType):
        return "flags{" + ", ".join(ty.names) + "}"
    if isinstance(ty, wc.VariantType):
        cases = [n if t is None else f"{n}({type_name(t)})" for n, t in ty.cases]
        return "variant{" + ", ".join(cases) + "}"
    return type(ty).__name__.lower()


def _fail(path: str, value: Any, ty: Any, why: str = "") -> ValueMismatch:
    detail = f": {why}" if why else ""
    return ValueMismatch(f"{path} = {value!r} does not fit {type_name(ty)}{detail}")


def _variant(ty: Any, tag: str, payload: Any) -> Any:
    if ty._tagged():  # wasmtime-py needs an explicit tag when cases are ambiguous
        return wc.Variant(tag, payload)
    return payload


def lower(value: Any, ty: Any, path: str = "value") -> Any:
    """Converts a Python value to what wasmtime-py expects for ``ty``; raises ValueMismatch."""
    kind = type(ty)
    if kind in _INT_RANGES:
        if isinstance(value, str):
            try:
                value = int(value.strip(), 0)
            except ValueError:
                raise _fail(path, value, ty, "not an integer") from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(path, value, ty, "not an integer")
        low, high = _INT_RANGES[kind]
        if not low <= value <= high:
            raise _fail(path, value, ty, f"out of range {low}..{high}")
        return value
    if kind in (wc.F32, wc.F64):
        if isinstance(value, bool):
            raise _fail(path, value, ty, "not a number")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _fail(path, value, ty, "not a number") from None
    if kind is wc.Bool:
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        if not isinstance(value, bool):
            raise _fail(path, value, ty, "not a bool")
        return value
    if kind is wc.Char:
        if not isinstance(value, str) or len(value) != 1:
            raise _fail(path, value, ty, "not a single character")
        return value
    if kind is wc.String:
        if not isinstance(value, str):
            raise _fail(path, value, ty, "not a str")
        return value
    if isinstance(ty, wc.ListType):
        if isinstance(ty.element, wc.U8) and isinstance(value, (bytes, bytearray)):
            return bytes(value)
        if not isinstance(value, (list, tuple)):
            raise _fail(path, value, ty, "not a list")
        items = [lower(v, ty.element, f"{path}[{i}]") for i, v in enumerate(value)]
        return bytes(items) if isinstance(ty.element, wc.U8) else items
    if isinstance(ty, wc.TupleType):
        elements = ty.elements
        if not isinstance(value, (list, tuple)) or len(value) != len(elements):
            raise _fail(path, value, ty, f"needs {len(elements)} elements")
        return tuple(lower(v, t, f"{path}[{i}]") for i, (v, t) in enumerate(zip(value, elements)))
    if isinstance(ty, wc.RecordType):
        return _lower_record(value, ty, path)
    if isinstance(ty, wc.OptionType):
        if value is None:
            return _variant(ty, "none", None)
        return _variant(ty, "some", lower(value, ty.payload, path))
    if isinstance(ty, wc.ResultType):
        if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in ("ok", "err"):
            raise _fail(path, value, ty, 'write {"ok": value} or {"err": value}')
        tag, payload = next(iter(value.items()))
        case_ty = ty.ok if tag == "ok" else ty.err
        lowered = None if case_ty is None else lower(payload, case_ty, f"{path}.{tag}")
        # Untagged (the cases' Python classes differ): wasmtime-py picks the case by class.
        return wc.Variant(tag, lowered) if ty._tagged() else lowered
    if isinstance(ty, wc.EnumType):
        if value not in ty.names:
            raise _fail(path, value, ty, "unknown case")
        return value
    if isinstance(ty, wc.FlagsType):
        names = {value} if isinstance(value, str) else value
        if not isinstance(names, (set, frozenset, list, tuple)) or not set(names) <= set(ty.names):
            raise _fail(path, value, ty, "not a set of flag names")
        return set(names)
    if isinstance(ty, wc.VariantType):
        return _lower_variant(value, ty, path)
    raise _fail(path, value, ty, "wippy cannot pass this type")


def _case_of(value: Any, cases: list[tuple[str, Any]]) -> str:
    """Recovers the case of an untagged variant-like value from its Python class."""
    for name, case_ty in cases:
        if case_ty is None:
            if value is None:
                return name
            continue
        classes: set[type] = set()
        case_ty.add_classes(classes)
        if isinstance(value, tuple(classes)):
            return name
    raise ValueError(f"cannot tell which case {value!r} belongs to")


def _lower_record(value: Any, ty: Any, path: str) -> Any:
    if not isinstance(value, dict):
        raise _fail(path, value, ty, "not a dict")
    fields = ty.fields
    given = {str(k).replace("_", "-"): v for k, v in value.items()}
    wanted = {n.replace("_", "-") for n, _ in fields}
    if set(given) != wanted:
        missing = sorted(wanted - set(given))
        extra = sorted(set(given) - wanted)
        raise _fail(path, value, ty, f"missing fields {missing}, unknown fields {extra}")
    record = wc.Record()
    for name, field_ty in fields:
        setattr(record, name, lower(given[name.replace("_", "-")], field_ty, f"{path}.{name}"))
    return record


def _lower_variant(value: Any, ty: Any, path: str) -> Any:
    cases = dict(ty.cases)
    if isinstance(value, str):
        tag, payload = value, None
    elif isinstance(value, dict) and len(value) == 1:
        tag, payload = next(iter(value.items()))
    else:
        raise _fail(path, value, ty, "write {case: payload} or a case name")
    if tag not in cases:
        raise _fail(path, value, ty, f"unknown case {tag!r}")
    case_ty = cases[tag]
    lowered = None if case_ty is None else lower(payload, case_ty, f"{path}.{tag}")
    return wc.Variant(tag, lowered)


def lift(value: Any, ty: Any) -> Any:
    """Converts a wasmtime-py component value of type ``ty`` to plain Python values."""
    if isinstance(ty, wc.ListType):
        if isinstance(value, (bytes, bytearray)):
            return bytes(value)
        return [lift(v, ty.element) for v in value]
    if isinstance(ty, wc.TupleType):
        return tuple(lift(v, t) for v, t in zip(value, ty.elements))
    if isinstance(ty, wc.RecordType):
        return {name: lift(getattr(value, name), t) for name, t in ty.fields}
    if isinstance(ty, wc.OptionType):
        if isinstance(value, wc.Variant):
            return None if value.tag == "none" else lift(value.payload, ty.payload)
        return None if value is None else lift(value, ty.payload)
    if isinstance(ty, wc.ResultType):
        tag = (
            value.tag
            if isinstance(value, wc.Variant)
            else _case_of(value, [("ok", ty.ok), ("err", ty.err)])
        )
        payload = value.payload if isinstance(value, wc.Variant) else value
        case_ty = ty.ok if tag == "ok" else ty.err
        return {tag: None if case_ty is None else lift(payload, case_ty)}
    if isinstance(ty, wc.FlagsType):
        return sorted(value)
    if isinstance(ty, wc.VariantType):
        case_ty = dict(ty.cases)[value.tag]
        return {value.tag: None if case_ty is None else lift(value.payload, case_ty)}
    return value
