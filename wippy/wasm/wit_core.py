"""Calling a core export through a ``wit`` signature: WIT-typed arguments in, a WIT value out.

The signature is checked against the export's core types when the entry loads; each WIT type
lowers to one core number as the component model's canonical ABI flattens it (``bool``,
``s8``..``u32`` and ``char`` to ``i32``; ``s64``/``u64`` to ``i64``; ``f32``/``f64`` as they
are), and a result is lifted back the same way (``u32`` reads the i32's bits unsigned, ``bool``
is "not zero", ``char`` a Unicode scalar value).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..config import WitFunction
from .api import Signature
from .errors import ArgumentError, GuestError, LinkError
from .values import parse_float_text, parse_int_text

__all__ = ["WitCall", "WitMismatchError"]

_INT_RANGES: dict[str, tuple[int, int]] = {
    "s8": (-(1 << 7), (1 << 7) - 1),
    "u8": (0, (1 << 8) - 1),
    "s16": (-(1 << 15), (1 << 15) - 1),
    "u16": (0, (1 << 16) - 1),
    "s32": (-(1 << 31), (1 << 31) - 1),
    "u32": (0, (1 << 32) - 1),
    "s64": (-(1 << 63), (1 << 63) - 1),
    "u64": (0, (1 << 64) - 1),
}
_F32_MAX = 3.4028234663852886e38
_BOOL_TEXT = {"true": True, "false": False, "1": True, "0": False}


class WitMismatchError(LinkError):
    """An entry's ``wit`` signature does not fit the core export it describes."""

    field = "wit"


def _to_signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >= 1 << (bits - 1) else value


def _lower(value: Any, ty: str) -> int | float:
    """One argument as the core number ``ty`` lowers to; raises ValueError/TypeError why not."""
    if ty == "bool":
        if isinstance(value, str) and value in _BOOL_TEXT:
            return int(_BOOL_TEXT[value])
        if not isinstance(value, bool):
            raise TypeError("not a bool (true or false)")
        return int(value)
    if ty == "char":
        if not isinstance(value, str) or len(value) != 1:
            raise TypeError("not a single character")
        if 0xD800 <= ord(value) <= 0xDFFF:
            raise ValueError("a lone surrogate")
        return ord(value)
    if ty in ("f32", "f64"):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise TypeError("not a number")
        number = parse_float_text(value) if isinstance(value, str) else float(value)
        if ty == "f32" and math.isfinite(number) and abs(number) > _F32_MAX:
            raise ValueError("out of range for f32")
        return number
    if isinstance(value, bool):
        raise TypeError("a bool is not an integer (pass 1 or 0)")
    if isinstance(value, str):
        value = parse_int_text(value)
    if not isinstance(value, int):
        raise TypeError("not an integer")
    low, high = _INT_RANGES[ty]
    if not low <= value <= high:
        raise ValueError(f"out of range {low}..{high}")
    number_int: int = value
    return _to_signed(number_int, 64 if ty in ("s64", "u64") else 32) if ty[0] == "u" else value


def _lift(raw: Any, ty: str, entry_id: str) -> Any:
    """The WIT value of the core result ``raw``; raises GuestError for an invalid ``char``."""
    if ty in ("f32", "f64"):
        return float(raw)
    number = int(raw)
    if ty == "bool":
        return number != 0
    if ty == "char":
        code = number % (1 << 32)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise GuestError(f"{entry_id}: result {code:#x} is not a Unicode scalar value, so "
                             "not a char")
        return chr(code)
    bits = int(ty[1:])
    number %= 1 << bits
    return _to_signed(number, bits) if ty[0] == "s" else number


class WitCall:
    """Converts arguments and results of one core export by its entry's ``wit`` signature.

    Built with :meth:`bind`, which checks the signature against the export.
    """

    def __init__(self, entry_id: str, wit: WitFunction, signature: Signature) -> None:
        self.entry_id = entry_id
        self.wit = wit
        self.signature = signature

    @classmethod
    def bind(cls, entry_id: str, wit: WitFunction, core: Signature) -> WitCall:
        """Checks ``wit`` against the core signature of the export and returns the converter.

        Raises :class:`WitMismatchError` naming both signatures and the first difference.
        """
        core_params = tuple(ty for _, ty in core.params)
        shown = f"`{core.export}` is {core}"
        if len(wit.params) != len(core_params):
            raise WitMismatchError(
                f"{entry_id}: wit {wit} has {len(wit.params)} parameter"
                f"{'s' if len(wit.params) != 1 else ''} but export {shown}"
            )
        for index, ((name, ty), expected) in enumerate(zip(wit.params, wit.core_params)):
            if expected != core_params[index]:
                raise WitMismatchError(
                    f"{entry_id}: wit {wit}: parameter {name!r} is {ty}, which lowers to "
                    f"{expected}, but parameter {index + 1} of export {shown}"
                )
        if wit.core_results != tuple(core.results):
            what = f"result {wit.result}, which lowers to {wit.core_results[0]}" if (
                wit.result) else "no result"
            raise WitMismatchError(f"{entry_id}: wit {wit} has {what}, but export {shown}")
        results = () if wit.result is None else (wit.result,)
        return cls(entry_id, wit, Signature(core.export, wit.params, results))

    def lower(self, args: Sequence[Any]) -> tuple[int | float, ...]:
        """The core arguments for ``args``.

        Raises :class:`ArgumentError` naming the parameter, its WIT type and the signature.
        """
        params = self.wit.params
        if len(args) != len(params):
            raise ArgumentError(
                f"{self.signature.export} takes {len(params)} argument"
                f"{'s' if len(params) != 1 else ''} but got {len(args)}: "
                f"signature {self.signature}"
            )
        out: list[int | float] = []
        for (name, ty), value in zip(params, args):
            try:
                out.append(_lower(value, ty))
            except (TypeError, ValueError) as exc:
                raise ArgumentError(
                    f"argument {name!r} of {self.signature.export}: {value!r} does not fit "
                    f"{ty}: {exc}; signature {self.signature}"
                ) from None
        return tuple(out)

    def lift(self, raw: Any) -> Any:
        """The WIT value of the export's core result (None without one)."""
        if self.wit.result is None:
            return None
        return _lift(raw, self.wit.result, self.entry_id)
