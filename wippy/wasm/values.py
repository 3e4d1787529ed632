"""Conversion of spawn arguments to core WebAssembly values, and the rule for number text.

Core exports take only numbers: ``i32``/``i64`` accept ints (signed or unsigned range) and
integer text; ``f32``/``f64`` accept ints, floats and number text. A bool is not a number here.

Text (command-line arguments arrive as text) is read by :func:`parse_int_text` and
:func:`parse_float_text`: plain decimal with an optional leading minus, nothing else (no
``0x10``, no ``1_000``, no surrounding spaces, no ``+``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .api import Signature
from .errors import ArgumentError, LoadError

_INT_BITS = {"i32": 32, "i64": 64}
SUPPORTED_CORE_TYPES = frozenset({"i32", "i64", "f32", "f64"})


def core_signature(
    entry_id: str, method: str, params: Sequence[str], results: Sequence[str]
) -> Signature:
    """The signature of a core export with these value types.

    Raises :class:`LoadError` naming the first type wippy cannot pass (e.g. ``v128``).
    """
    unsupported = [t for t in (*params, *results) if t not in SUPPORTED_CORE_TYPES]
    if unsupported:
        raise LoadError(
            f"{entry_id}: export `{method}` uses {unsupported[0]}, which wippy "
            "cannot pass to or from Python"
        )
    return Signature(method, tuple(("", t) for t in params), tuple(results))


_INT_TEXT = re.compile(r"-?[0-9]+")
_FLOAT_TEXT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def parse_int_text(text: str) -> int:
    """Reads an integer written as plain decimal digits with an optional leading ``-``.

    Raises ValueError (``not an integer``) for anything else: ``0x10``, ``1_000``, ``" 6"``,
    ``+6``, ``six``, non-ASCII digits.
    """
    if not _INT_TEXT.fullmatch(text):
        raise ValueError("not an integer")
    return int(text)


def parse_float_text(text: str) -> float:
    """Reads a number written in plain decimal (``-2``, ``0.5``, ``.5``, ``1e-3``).

    Raises ValueError (``not a number``) for anything else: ``1_000``, ``" 6"``, ``inf``,
    ``nan``, ``0x10``.
    """
    if not _FLOAT_TEXT.fullmatch(text):
        raise ValueError("not a number")
    return float(text)


def _to_int(value: Any, bits: int) -> int:
    if isinstance(value, bool):
        raise TypeError("bool is not an integer (pass 1 or 0)")
    if isinstance(value, str):
        value = parse_int_text(value)
    if not isinstance(value, int):  # mypy: value is Any until here
        raise TypeError(f"{type(value).__name__} is not an integer")
    if not -(1 << (bits - 1)) <= value < (1 << bits):
        raise ValueError(f"{value} does not fit in {bits} bits")
    number: int = value
    if number >= 1 << (bits - 1):  # unsigned spelling of a negative two's-complement value
        number -= 1 << bits
    return number


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise TypeError("bool is not a number")
    if isinstance(value, str):
        return parse_float_text(value)
    if isinstance(value, (int, float)):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not a number")


def convert_core_args(signature: Signature, args: Sequence[Any]) -> tuple[int | float, ...]:
    """Converts ``args`` to the core parameter types of ``signature``.

    Raises :class:`ArgumentError` naming the export, its signature and the offending argument.
    """
    types = [ty for _, ty in signature.params]
    if len(args) != len(types):
        raise ArgumentError(
            f"{signature.export} takes {len(types)} argument{'s' if len(types) != 1 else ''} "
            f"but got {len(args)}: signature {signature}"
        )
    out: list[int | float] = []
    for index, (value, ty) in enumerate(zip(args, types)):
        try:
            out.append(_to_int(value, _INT_BITS[ty]) if ty in _INT_BITS else _to_float(value))
        except (TypeError, ValueError) as exc:
            raise ArgumentError(
                f"{signature.export}: argument {index + 1} ({value!r}) is not a valid {ty}: "
                f"{exc}; signature {signature}"
            ) from None
    return tuple(out)
