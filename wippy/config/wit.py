"""The ``wit`` field of function entries: one WIT function signature over a core module.

A core module exports numbers only (``i32``, ``i64``, ``f32``, ``f64``); a ``wit`` signature
such as ``add: func(a: s32, b: s32) -> s32`` names its parameters and gives them WIT types that
lower to those numbers, so arguments are range-checked and results read as the WIT type says.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

__all__ = ["WIT_CORE_TYPES", "WitFunction", "parse_wit_function"]

WIT_CORE_TYPES: dict[str, str] = {
    "bool": "i32",
    "s8": "i32",
    "u8": "i32",
    "s16": "i32",
    "u16": "i32",
    "s32": "i32",
    "u32": "i32",
    "char": "i32",
    "s64": "i64",
    "u64": "i64",
    "f32": "f32",
    "f64": "f64",
}
"""The WIT types a ``wit`` signature may use, with the core type each lowers to."""

_COMPONENT_ONLY = ("string", "list", "option", "result", "tuple", "record", "variant", "enum",
                   "flags", "own", "borrow", "future", "stream", "error-context")
_CORE_SPELLINGS = {"i32": "s32", "i64": "s64", "float32": "f32", "float64": "f64",
                   "int": "s32"}
_NAME = r"%?[A-Za-z_][A-Za-z0-9_.-]*"
_FUNCTION = re.compile(
    rf"\s*(?:(?P<name>{_NAME})\s*:\s*)?func\s*\((?P<params>[^()]*)\)\s*"
    rf"(?:->\s*(?P<result>[^;]*?))?\s*;?\s*",
    re.DOTALL,
)
_PARAM = re.compile(rf"\s*(?P<name>{_NAME})\s*:\s*(?P<type>.*?)\s*", re.DOTALL)


@dataclass(frozen=True)
class WitFunction:
    """A parsed ``wit`` signature: the function's name (None when not written), its named
    parameter types and its result type (None for none)."""

    name: str | None
    params: tuple[tuple[str, str], ...]
    result: str | None

    @property
    def core_params(self) -> tuple[str, ...]:
        """The core types the parameters lower to. Never raises."""
        return tuple(WIT_CORE_TYPES[ty] for _, ty in self.params)

    @property
    def core_results(self) -> tuple[str, ...]:
        """The core types of the result (empty for none). Never raises."""
        return () if self.result is None else (WIT_CORE_TYPES[self.result],)

    def __str__(self) -> str:
        params = ", ".join(f"{name}: {ty}" for name, ty in self.params)
        result = f" -> {self.result}" if self.result is not None else ""
        prefix = f"{self.name}: " if self.name is not None else ""
        return f"{prefix}func({params}){result}"


def _check_type(text: str, where: str) -> str:
    ty = text.strip()
    if ty in WIT_CORE_TYPES:
        return ty
    base = re.split(r"[<\s]", ty, maxsplit=1)[0]
    supported = ", ".join(WIT_CORE_TYPES)
    if base in _COMPONENT_ONLY or base.startswith("("):
        raise ValueError(
            f"{where} has type {ty!r}, which a core module cannot take or return (it exchanges "
            f"numbers only); use a component for it, or one of: {supported}"
        )
    hint = _CORE_SPELLINGS.get(ty) or next(
        iter(difflib.get_close_matches(ty, list(WIT_CORE_TYPES), n=1)), None
    )
    suggestion = f" (did you mean {hint}?)" if hint else ""
    raise ValueError(f"{where} has unknown type {ty!r}{suggestion}; supported: {supported}")


def _split_params(body: str) -> list[str]:
    """Splits ``a: s32, b: tuple<s32, s32>`` at the commas outside ``<...>``."""
    items, depth, start = [], 0, 0
    for index, char in enumerate(body):
        depth += {"<": 1, ">": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(body[start:index])
            start = index + 1
    items.append(body[start:])
    return items


def parse_wit_function(text: str) -> WitFunction:
    """Parses one WIT function signature: ``[NAME:] func(PARAM: TYPE, ...) [-> TYPE][;]``.

    Types are those of :data:`WIT_CORE_TYPES`. Raises ValueError naming what is wrong: not a
    function signature, several of them, a parameter without a name or declared twice, or a type
    a core module cannot take (``string``, ``list<u8>``, a tuple of results).
    """
    if text.count("func") > 1 or text.strip().rstrip(";").count(";"):
        raise ValueError("must declare one function, e.g. 'add: func(a: s32, b: s32) -> s32'")
    match = _FUNCTION.fullmatch(text)
    if match is None:
        raise ValueError(
            f"{text.strip()!r} is not a WIT function signature; expected e.g. "
            "'add: func(a: s32, b: s32) -> s32'"
        )
    params: list[tuple[str, str]] = []
    body = match.group("params").strip().rstrip(",")
    for index, item in enumerate(_split_params(body) if body else [], start=1):
        part = _PARAM.fullmatch(item)
        if part is None:
            raise ValueError(f"parameter {index} ({item.strip()!r}) must be written 'name: type'")
        name = part.group("name").lstrip("%")
        if any(name == seen for seen, _ in params):
            raise ValueError(f"parameter {name!r} is declared twice")
        params.append((name, _check_type(part.group("type"), f"parameter {name!r}")))
    result = match.group("result")
    checked = None if result is None else _check_type(result, "the result")
    name = match.group("name")
    return WitFunction(None if name is None else name.lstrip("%"), tuple(params), checked)
