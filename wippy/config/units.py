"""Units: Go-style durations (``1m30s``) as seconds, sizes (``64MiB``) as bytes."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationInfo

__all__ = [
    "ByteSize",
    "Duration",
    "DurationOrInfinity",
    "duration_validator",
    "parse_byte_size",
    "parse_duration",
]

_DURATION_UNITS: dict[str, Decimal] = {
    "ns": Decimal("1e-9"),
    "us": Decimal("1e-6"),
    "\u00b5s": Decimal("1e-6"),  # micro sign
    "\u03bcs": Decimal("1e-6"),  # greek small letter mu
    "ms": Decimal("1e-3"),
    "s": Decimal(1),
    "m": Decimal(60),
    "h": Decimal(3600),
}
_NUMBER = r"(?:\d+\.?\d*|\.\d+)"
_UNIT = "|".join(sorted((re.escape(unit) for unit in _DURATION_UNITS), key=len, reverse=True))
_COMPONENT = re.compile(rf"({_NUMBER})({_UNIT})")
_DURATION = re.compile(rf"([-+]?)((?:{_NUMBER}(?:{_UNIT}))+)")

_SIZE_UNITS: dict[str, int] = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([A-Za-z]*)")


def parse_duration(text: str) -> float:
    """Parses a Go-style duration (``500ms``, ``1m30s``, ``1.5s``, ``250us``, ``0``) into seconds.

    Units: ns, us (or µs), ms, s, m, h; components may be combined (``1h2m3s``).
    Raises ValueError when the text is malformed, lacks a unit, or is negative.
    """
    stripped = text.strip()
    if stripped in ("0", "+0", "-0"):
        return 0.0
    match = _DURATION.fullmatch(stripped)
    if match is None:
        if re.fullmatch(r"[-+]?" + _NUMBER, stripped):
            raise ValueError(
                f"duration {text!r} has no unit; write e.g. '{stripped}s' or '{stripped}ms'"
            )
        raise ValueError(
            f"invalid duration {text!r}; expected e.g. '500ms', '5s', '1m30s' "
            "(units: ns, us, ms, s, m, h)"
        )
    sign, body = match.groups()
    total = sum(
        (Decimal(number) * _DURATION_UNITS[unit] for number, unit in _COMPONENT.findall(body)),
        Decimal(0),
    )
    if sign == "-" and total != 0:
        raise ValueError(f"duration {text!r} must not be negative")
    return float(total)


def duration_validator(
    specials: Mapping[str, object] | None = None,
) -> Callable[[Any, ValidationInfo], Any]:
    """Builds a pydantic before-validator turning duration input into float seconds.

    Strings are parsed with :func:`parse_duration`; a string equal (case-insensitively) to a key of
    ``specials`` yields that key's value instead (e.g. ``{"infinity": math.inf}``). A bare number is
    accepted only when the field's name ends in ``_ms`` and then means milliseconds. The returned
    validator raises ValueError for anything else (negatives, bare numbers elsewhere, booleans).
    """
    special_values = {key.lower(): value for key, value in (specials or {}).items()}

    def validate(value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and value.strip().lower() in special_values:
            return special_values[value.strip().lower()]
        if isinstance(value, bool):
            raise ValueError("expected a duration such as '5s', got a boolean")
        if isinstance(value, (int, float)):
            field = info.field_name or ""
            if not field.endswith("_ms"):
                raise ValueError(
                    f"a bare number is not a duration here; write a unit, "
                    f"e.g. '{value}s' or '{value}ms'"
                )
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"duration {value} ms must be a finite, non-negative number")
            return float(value) / 1000.0
        if isinstance(value, str):
            try:
                return parse_duration(value)
            except ValueError as exc:
                if special_values:
                    allowed = ", ".join(repr(key) for key in special_values)
                    raise ValueError(f"{exc} (or one of {allowed})") from None
                raise
        raise ValueError(f"expected a duration such as '5s', got {type(value).__name__}")

    return validate


def parse_byte_size(value: int | str) -> int:
    """Parses a byte size: an int, or a string like ``4096``, ``512KiB``, ``64MiB``, ``10MB``.

    Units (case-insensitive): B; KB/MB/GB/TB (powers of 1000); KiB/MiB/GiB/TiB (powers of 1024).
    Raises ValueError when malformed, not a whole number of bytes, or not greater than zero.
    """
    if isinstance(value, bool):
        raise ValueError("expected a size such as '64MiB', got a boolean")
    if isinstance(value, int):
        size = value
    elif isinstance(value, str):
        match = _SIZE.fullmatch(value.strip())
        unit = match.group(2).lower() if match else ""
        if match is None or unit not in ("", *_SIZE_UNITS):
            raise ValueError(
                f"invalid size {value!r}; expected e.g. '4096', '512KiB', '64MiB', '1GiB', '10MB'"
            )
        try:
            exact = Decimal(match.group(1)) * _SIZE_UNITS.get(unit, 1)
        except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
            raise ValueError(f"invalid size {value!r}") from None
        if exact != exact.to_integral_value():
            raise ValueError(f"size {value!r} is not a whole number of bytes")
        size = int(exact)
    else:
        raise ValueError(f"expected a size such as '64MiB', got {type(value).__name__}")
    if size <= 0:
        raise ValueError(f"size {value!r} must be greater than zero")
    return size


def _byte_size(value: Any) -> Any:
    return parse_byte_size(value)


Duration = Annotated[float, BeforeValidator(duration_validator())]
"""A duration in float seconds, written Go-style (``5s``); bare numbers only in ``*_ms`` fields."""

DurationOrInfinity = Annotated[float, BeforeValidator(duration_validator({"infinity": math.inf}))]
"""Like :data:`Duration`, also accepting ``infinity`` (stored as ``math.inf``)."""

ByteSize = Annotated[int, BeforeValidator(_byte_size)]
"""A size in bytes, written as an int or ``64MiB``-style string; must be greater than zero."""
