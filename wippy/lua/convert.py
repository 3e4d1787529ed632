"""Values between Lua and Python: numbers, strings, booleans, nil and tables both ways.

A Lua table whose keys are exactly 1..n is a list (an empty table is an empty list); any other
table is a dict (string keys as ``str``, number keys as numbers). Strings are UTF-8 ``str`` when
they decode, else ``bytes``. Lua functions, coroutines and userdata, tables that contain
themselves and keys of other types raise :class:`~wippy.lua.errors.ConversionError` naming
where the value was (``payload[2].handler``).

Towards Lua, dicts, lists and tuples become tables, ``bytes`` and ``str`` strings, dataclasses
tables of their fields, enums their value, pids and other objects their printed form.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Callable, Mapping
from typing import Any

import lupa.lua54 as lupa

from wippy.lua.errors import ConversionError

__all__ = ["MAX_DEPTH", "to_lua", "to_python"]

MAX_DEPTH = 100
"""How deeply tables may nest before a conversion is refused (a guard for deep structures)."""

_lua_type = lupa.lua_type


def _text(raw: bytes) -> str | bytes:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def to_python(
    value: Any, where: str = "value", pointer: Callable[[Any], Any] | None = None
) -> Any:
    """The Python value of the Lua ``value`` (as lupa hands it over, strings as bytes).

    ``pointer(table)`` gives a table's identity in its Lua state; it is asked only when tables
    nest :data:`MAX_DEPTH` deep, to tell a table that contains itself from a deep one. Raises
    :class:`ConversionError` for what cannot convert, naming ``where`` it was.
    """
    return _py(value, where, [], pointer)


def _py(
    value: Any, where: str, stack: list[tuple[Any, str]], pointer: Callable[[Any], Any] | None
) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, bytes):
        return _text(value)
    kind = _lua_type(value)
    if kind != "table":
        raise ConversionError(f"{where} is a Lua {kind or type(value).__name__}, which cannot "
                              "leave its process (only nil, booleans, numbers, strings and "
                              "tables of them can)")
    if len(stack) >= MAX_DEPTH:
        raise ConversionError(_too_deep(where, [*stack, (value, where)], pointer))
    stack.append((value, where))
    try:
        items = list(value.items())
        n = len(items)
        if all(isinstance(k, int) and not isinstance(k, bool) for k, _ in items) and (
            {k for k, _ in items} == set(range(1, n + 1))
        ):
            ordered = sorted(items, key=lambda kv: kv[0])
            return [_py(v, f"{where}[{k}]", stack, pointer) for k, v in ordered]
        result: dict[Any, Any] = {}
        for key, item in items:
            name = _key(key, where)
            label = f"{where}.{name}" if isinstance(name, str) else f"{where}[{name}]"
            result[name] = _py(item, label, stack, pointer)
        return result
    finally:
        stack.pop()


def _too_deep(
    where: str, stack: list[tuple[Any, str]], pointer: Callable[[Any], Any] | None
) -> str:
    if pointer is not None:
        seen: dict[Any, str] = {}
        for table, place in stack:
            identity = pointer(table)
            if identity in seen:
                return f"{place} is the table {seen[identity]} itself: a table that contains " \
                       "itself cannot be sent"
            seen[identity] = place
        return f"{where} nests tables more than {MAX_DEPTH} deep"
    return f"{where} nests tables more than {MAX_DEPTH} deep (or contains itself)"


def _key(key: Any, where: str) -> str | int | float:
    if isinstance(key, bytes):
        text = _text(key)
        if isinstance(text, str):
            return text
        raise ConversionError(f"{where} has a key that is not UTF-8 text: {key!r}")
    if isinstance(key, (int, float)) and not isinstance(key, bool):
        return key
    kind = "boolean" if isinstance(key, bool) else (_lua_type(key) or type(key).__name__)
    raise ConversionError(f"{where} has a {kind} key: table keys must be strings or numbers")


def to_lua(runtime: Any, value: Any, error: Callable[[str, str], Any] | None = None) -> Any:
    """``value`` as a Lua value in ``runtime`` (tables built there). ``error(kind, message)``
    makes the Lua error value of a :class:`~wippy.actors.ProcessError` (else a table).

    Raises :class:`ConversionError` for a structure that contains itself or nests too deep.
    """
    return _lua(runtime, value, error, set(), 0)


def _lua(
    runtime: Any, value: Any, error: Callable[[str, str], Any] | None, active: set[int],
    depth: int,
) -> Any:
    if value is None or isinstance(value, (bool, int, bytes)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, enum.Enum):
        return _lua(runtime, value.value, error, active, depth)
    kind = getattr(value, "kind", None)
    message = getattr(value, "message", None)
    if error is not None and isinstance(kind, str) and isinstance(message, str) and (
        type(value).__name__ == "ProcessError"
    ):
        return error(kind, message)
    if depth >= MAX_DEPTH:
        raise ConversionError(f"a value nests more than {MAX_DEPTH} deep")
    if isinstance(value, (list, tuple, Mapping)) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    ):
        if id(value) in active:
            raise ConversionError("a value contains itself")
        active.add(id(value))
        try:
            table = runtime.table()
            if isinstance(value, Mapping):
                pairs: Any = value.items()
            elif isinstance(value, (list, tuple)):
                pairs = enumerate(value, 1)
            else:
                pairs = ((f.name, getattr(value, f.name)) for f in dataclasses.fields(value))
            for key, item in pairs:
                table[_lua(runtime, key, None, active, depth + 1)] = _lua(
                    runtime, item, error, active, depth + 1)
            return table
        finally:
            active.discard(id(value))
    if isinstance(value, (set, frozenset)):
        return _lua(runtime, sorted(value, key=repr), error, active, depth)
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return str(value).encode("utf-8", "surrogatepass")


def finite(value: Any) -> bool:
    """True for a number that is not NaN or infinite. Never raises."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
