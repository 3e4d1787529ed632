"""Conversion between Python values and component-model (WIT) values.

The Python representation of each WIT type (arguments accept it, results are returned in it):

============================  ==================================================================
WIT                           Python
============================  ==================================================================
``bool``                      ``bool`` (arguments also accept the strings true, false, 1, 0)
``s8`` ... ``u64``            ``int``, range-checked (arguments also accept decimal integer text,
                              as :func:`~wippy.wasm.values.parse_int_text` reads it)
``f32``, ``f64``              ``float`` (arguments also accept ints and decimal number text; a
                              finite value beyond the f32 range does not fit ``f32``)
``char``                      a one-character ``str`` (a Unicode scalar value, not a surrogate)
``string``                    ``str``
``list<u8>``                  ``bytes`` (arguments also accept bytearray, memoryview, list of ints)
``list<T>``                   ``list`` (arguments also accept tuples)
``tuple<T, ...>``             ``tuple`` (arguments also accept lists of the right length)
``record``                    ``dict`` keyed by WIT field name (``gift-note``); arguments may also
                              spell fields in snake case (``gift_note``)
``option<T>``                 ``None`` or the value; for ``option<option<T>>`` the outer ``some``
                              is ``{"some": value}`` so that ``some(none)`` differs from ``none``
``result<T, E>``              ``{"ok": value}`` or ``{"err": value}`` (``None`` for a missing
                              payload); an ``err`` is a value, never raised
``enum``                      the case name, ``str``
``variant``                   ``{case: payload}``, payload ``None`` for a case without one;
                              arguments also accept the bare case name for such cases
``flags``                     ``list`` of the set flag names in WIT order; arguments accept any
                              set, list or tuple of names
============================  ==================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from wasmtime import component as wc

from .values import parse_float_text, parse_int_text

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
_F32_MAX = 3.4028234663852886e38
_REPR_LIMIT = 80


class ValueMismatch(Exception):
    """A Python value does not fit a WIT type.

    ``path`` locates the value inside the argument (``o.items[0].qty``), ``type_name`` is the WIT
    type it had to fit and ``why`` the reason.
    """

    def __init__(self, path: str, value: Any, type_name: str, why: str) -> None:
        self.path = path
        self.value = value
        self.type_name = type_name
        self.why = why
        super().__init__(f"{path} = {self.describe()}")

    def describe(self) -> str:
        """``<value> does not fit <type>: <why>``, without the path."""
        text = repr(self.value)
        if len(text) > _REPR_LIMIT:
            text = text[: _REPR_LIMIT - 3] + "..."
        return f"{text} does not fit {self.type_name}: {self.why}"


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
        if ty.ok is None and ty.err is None:
            return "result"
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


def _fail(path: str, value: Any, ty: Any, why: str) -> ValueMismatch:
    return ValueMismatch(path, value, type_name(ty), why)


# ---------------------------------------------------------------- variant-like values
#
# wasmtime-py passes option, result and variant values in one of two forms, chosen per type: when
# every case's payload has its own Python class the value is the bare payload (the case is told
# by its class, ``None`` for a case without payload), otherwise a ``wc.Variant(tag, payload)``.


def _cases(ty: Any) -> list[tuple[str, Any]]:
    if isinstance(ty, wc.OptionType):
        return [("none", None), ("some", ty.payload)]
    if isinstance(ty, wc.ResultType):
        return [("ok", ty.ok), ("err", ty.err)]
    return list(ty.cases)


def _classes(case_ty: Any) -> tuple[type, ...]:
    classes: set[type] = set()
    case_ty.add_classes(classes)
    return tuple(classes)


def _untagged_case(cases: list[tuple[str, Any]], payload: Any, exact: bool) -> str | None:
    """The case wasmtime-py associates with a bare ``payload`` (first match, as it does)."""
    for name, case_ty in cases:
        if case_ty is None:
            if payload is None:
                return name
        elif (type(payload) in _classes(case_ty)) if exact else isinstance(
            payload, _classes(case_ty)
        ):
            return name
    return None


def _pack(ty: Any, tag: str, payload: Any, path: str, value: Any) -> Any:
    """The wasmtime-py form of case ``tag`` with an already lowered ``payload``."""
    if ty._tagged():
        return wc.Variant(tag, payload)
    if _untagged_case(_cases(ty), payload, exact=False) != tag:
        raise _fail(path, value, ty, f"wasmtime-py cannot pass case {tag!r} of this type")
    return payload


def _unpack(ty: Any, value: Any) -> tuple[str, Any]:
    """Case name and raw payload of a wasmtime-py variant-like value of type ``ty``."""
    if ty._tagged():
        return value.tag, value.payload
    cases = _cases(ty)
    tag = _untagged_case(cases, value, exact=True) or _untagged_case(cases, value, exact=False)
    if tag is None:
        raise ValueError(f"cannot tell which case of {type_name(ty)} {value!r} belongs to")
    return tag, value


def _lower_case(
    ty: Any, tag: str, payload: Any, has_payload: bool, path: str, value: Any
) -> Any:
    case_ty = dict(_cases(ty))[tag]
    if case_ty is None:
        if payload is not None:
            raise _fail(path, value, ty, f"case {tag!r} takes no payload")
        return _pack(ty, tag, None, path, value)
    if not has_payload:
        raise _fail(path, value, ty, f"case {tag!r} needs a payload of {type_name(case_ty)}")
    return _pack(ty, tag, lower(payload, case_ty, f"{path}.{tag}"), path, value)


# ---------------------------------------------------------------- lowering


def _lower_int(value: Any, ty: Any, path: str) -> int:
    number = value
    if isinstance(value, str):
        try:
            number = parse_int_text(value)
        except ValueError:
            raise _fail(path, value, ty, "not an integer") from None
    if isinstance(number, bool) or not isinstance(number, int):
        raise _fail(path, value, ty, "not an integer")
    low, high = _INT_RANGES[type(ty)]
    if not low <= number <= high:
        raise _fail(path, value, ty, f"out of range {low}..{high}")
    return number


def _lower_float(value: Any, ty: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _fail(path, value, ty, "not a number")
    try:
        number = parse_float_text(value) if isinstance(value, str) else float(value)
    except (ValueError, OverflowError):
        raise _fail(path, value, ty, "not a number") from None
    if isinstance(ty, wc.F32) and abs(number) > _F32_MAX and abs(number) != float("inf"):
        raise _fail(path, value, ty, "out of range for f32")
    return number


def _lower_text(value: Any, ty: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _fail(path, value, ty, "not a str")
    if isinstance(ty, wc.Char) and len(value) != 1:
        raise _fail(path, value, ty, "not a single character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _fail(path, value, ty, "a lone surrogate is not a Unicode scalar value") from None
    return value


def _lower_list(value: Any, ty: Any, path: str) -> Any:
    is_bytes = isinstance(ty.element, wc.U8)
    if is_bytes and isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if not isinstance(value, (list, tuple)):
        raise _fail(path, value, ty, "not a list")
    items = [lower(v, ty.element, f"{path}[{i}]") for i, v in enumerate(value)]
    return bytes(items) if is_bytes else items


def _lower_tuple(value: Any, ty: Any, path: str) -> tuple[Any, ...]:
    elements = ty.elements
    if not isinstance(value, (list, tuple)):
        raise _fail(path, value, ty, "not a tuple")
    if len(value) != len(elements):
        raise _fail(path, value, ty, f"needs {len(elements)} elements, got {len(value)}")
    return tuple(lower(v, t, f"{path}[{i}]") for i, (v, t) in enumerate(zip(value, elements)))


def _lower_record(value: Any, ty: Any, path: str) -> wc.Record:
    if not isinstance(value, Mapping):
        raise _fail(path, value, ty, "not a dict")
    fields = ty.fields
    wanted = {name.replace("_", "-"): name for name, _ in fields}
    given: dict[str, Any] = {}
    for key, item in value.items():
        wit_key = str(key).replace("_", "-")
        if wit_key not in wanted:
            raise _fail(path, value, ty, f"unknown field {key!r}")
        given[wit_key] = item
    missing = [name for name, _ in fields if name.replace("_", "-") not in given]
    if missing:
        raise _fail(path, value, ty, f"missing field {missing[0]!r}")
    record = wc.Record()
    for name, field_ty in fields:
        setattr(record, name, lower(given[name.replace("_", "-")], field_ty, f"{path}.{name}"))
    return record


def _lower_option(value: Any, ty: Any, path: str) -> Any:
    if value is None:
        return _pack(ty, "none", None, path, value)
    payload = value
    if isinstance(ty.payload, wc.OptionType):  # some(x) is {"some": x}, see the module doc
        if not isinstance(value, Mapping) or list(value) != ["some"]:
            raise _fail(path, value, ty, 'write None or {"some": value}')
        payload = value["some"]
    return _pack(ty, "some", lower(payload, ty.payload, path), path, value)


def _lower_result(value: Any, ty: Any, path: str) -> Any:
    if not isinstance(value, Mapping) or len(value) != 1 or next(iter(value)) not in ("ok", "err"):
        raise _fail(path, value, ty, 'write {"ok": value} or {"err": value}')
    tag, payload = next(iter(value.items()))
    return _lower_case(ty, tag, payload, True, path, value)


def _lower_variant(value: Any, ty: Any, path: str) -> Any:
    names = [name for name, _ in ty.cases]
    if isinstance(value, str):
        tag, payload, has_payload = value, None, False
    elif isinstance(value, Mapping) and len(value) == 1:
        tag, payload = next(iter(value.items()))
        has_payload = True
    else:
        raise _fail(path, value, ty, "write {case: payload} or the name of a case without payload")
    if tag not in names:
        raise _fail(path, value, ty, f"unknown case {tag!r} (cases: {', '.join(names)})")
    return _lower_case(ty, tag, payload, has_payload, path, value)


def _lower_enum(value: Any, ty: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _fail(path, value, ty, "not a case name")
    if value not in ty.names:
        raise _fail(path, value, ty, f"unknown case {value!r} (cases: {', '.join(ty.names)})")
    return value


def _lower_flags(value: Any, ty: Any, path: str) -> set[str]:
    if not isinstance(value, (set, frozenset, list, tuple)):
        raise _fail(path, value, ty, "not a set or list of flag names")
    for name in value:
        if name not in ty.names:
            raise _fail(path, value, ty, f"unknown flag {name!r} (flags: {', '.join(ty.names)})")
    return set(value)


def _lower_bool(value: Any, ty: Any, path: str) -> bool:
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    if not isinstance(value, bool):
        raise _fail(path, value, ty, "not a bool")
    return value


_LOWER_BY_CLASS: dict[type, Callable[[Any, Any, str], Any]] = {
    wc.Bool: _lower_bool,
    wc.F32: _lower_float,
    wc.F64: _lower_float,
    wc.Char: _lower_text,
    wc.String: _lower_text,
    wc.ListType: _lower_list,
    wc.TupleType: _lower_tuple,
    wc.RecordType: _lower_record,
    wc.OptionType: _lower_option,
    wc.ResultType: _lower_result,
    wc.VariantType: _lower_variant,
    wc.EnumType: _lower_enum,
    wc.FlagsType: _lower_flags,
    **dict.fromkeys(_INT_RANGES, _lower_int),
}


def lower(value: Any, ty: Any, path: str = "value") -> Any:
    """Converts a Python value to what wasmtime-py expects for ``ty``.

    Raises :class:`ValueMismatch` (naming ``path``, the WIT type and the reason) when the value
    does not fit.
    """
    convert = _LOWER_BY_CLASS.get(type(ty))
    if convert is None:
        raise _fail(path, value, ty, "wippy cannot pass values of this type")
    return convert(value, ty, path)


# ---------------------------------------------------------------- lifting


def lift(value: Any, ty: Any) -> Any:
    """Converts a wasmtime-py component value of type ``ty`` to its Python representation."""
    if isinstance(ty, wc.ListType):
        if isinstance(value, (bytes, bytearray)):
            return bytes(value)
        return [lift(v, ty.element) for v in value]
    if isinstance(ty, wc.TupleType):
        return tuple(lift(v, t) for v, t in zip(value, ty.elements))
    if isinstance(ty, wc.RecordType):
        return {name: lift(getattr(value, name), t) for name, t in ty.fields}
    if isinstance(ty, wc.FlagsType):
        return [name for name in ty.names if name in value]
    if isinstance(ty, (wc.OptionType, wc.ResultType, wc.VariantType)):
        tag, payload = _unpack(ty, value)
        case_ty = dict(_cases(ty))[tag]
        lifted = None if case_ty is None else lift(payload, case_ty)
        if isinstance(ty, wc.OptionType):
            if tag == "none":
                return None
            return {"some": lifted} if isinstance(ty.payload, wc.OptionType) else lifted
        return {tag: lifted}
    return value
