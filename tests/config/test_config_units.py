"""Durations (Go syntax, seconds) and byte sizes."""

from __future__ import annotations

import math
from typing import Annotated

import pytest
from pydantic import BeforeValidator, ValidationError

from wippy.config import (
    ByteSize,
    ConfigModel,
    Duration,
    DurationOrInfinity,
    duration_validator,
    parse_byte_size,
    parse_duration,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("500ms", 0.5),
        ("5s", 5.0),
        ("1m30s", 90.0),
        ("1h", 3600.0),
        ("250us", 0.00025),
        ("250µs", 0.00025),
        ("1.5s", 1.5),
        ("100ns", 1e-7),
        ("2h45m", 9900.0),
        ("1h2m3.5s", 3723.5),
        ("0", 0.0),
        (".5s", 0.5),
        (" 3s ", 3.0),
    ],
)
def test_go_durations_parse_to_seconds(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("5", "has no unit"),
        ("-5s", "must not be negative"),
        ("", "invalid duration"),
        ("s", "invalid duration"),
        ("5x", "invalid duration"),
        ("1m-3s", "invalid duration"),
        ("five seconds", "invalid duration"),
    ],
)
def test_bad_durations_are_rejected(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_duration(text)


class _Timing(ConfigModel):
    timeout: Duration = 1.0
    budget_ms: Duration | None = None
    wait: DurationOrInfinity = 0.0


def test_duration_field_accepts_strings() -> None:
    assert _Timing.model_validate({"timeout": "1m30s"}).timeout == 90.0


def test_bare_number_in_ms_field_means_milliseconds() -> None:
    assert _Timing.model_validate({"budget_ms": 250}).budget_ms == pytest.approx(0.25)
    assert _Timing.model_validate({"budget_ms": "2s"}).budget_ms == 2.0


def test_bare_number_elsewhere_asks_for_a_unit() -> None:
    with pytest.raises(ValidationError, match=r"write a unit, e\.g\. '5s'"):
        _Timing.model_validate({"timeout": 5})


def test_negative_durations_are_rejected_in_fields() -> None:
    with pytest.raises(ValidationError, match="negative"):
        _Timing.model_validate({"budget_ms": -1})
    with pytest.raises(ValidationError, match="negative"):
        _Timing.model_validate({"timeout": "-1s"})


def test_boolean_is_not_a_duration() -> None:
    with pytest.raises(ValidationError, match="boolean"):
        _Timing.model_validate({"budget_ms": True})


def test_infinity_is_accepted_only_where_allowed() -> None:
    assert _Timing.model_validate({"wait": "infinity"}).wait == math.inf
    with pytest.raises(ValidationError):
        _Timing.model_validate({"timeout": "infinity"})


def test_custom_special_duration_values() -> None:
    class Shutdown(ConfigModel):
        timeout: Annotated[
            float | str, BeforeValidator(duration_validator({"brutal_kill": "brutal_kill"}))
        ] = 5.0

    assert Shutdown.model_validate({"timeout": "brutal_kill"}).timeout == "brutal_kill"
    assert Shutdown.model_validate({"timeout": "2s"}).timeout == 2.0
    with pytest.raises(ValidationError, match="'brutal_kill'"):
        Shutdown.model_validate({"timeout": "soon"})


@pytest.mark.parametrize(
    ("value", "size"),
    [
        (4096, 4096),
        ("4096", 4096),
        ("1B", 1),
        ("512KiB", 512 * 1024),
        ("64MiB", 64 * 1024**2),
        ("1GiB", 1024**3),
        ("2TiB", 2 * 1024**4),
        ("10MB", 10_000_000),
        ("1KB", 1000),
        ("3GB", 3_000_000_000),
        ("1.5KiB", 1536),
        ("64mib", 64 * 1024**2),
        ("8 KiB", 8192),
    ],
)
def test_sizes_parse_to_bytes(value: int | str, size: int) -> None:
    assert parse_byte_size(value) == size


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (0, "greater than zero"),
        (-5, "greater than zero"),
        ("0MiB", "greater than zero"),
        ("1.5B", "whole number"),
        ("12XB", "invalid size"),
        ("MiB", "invalid size"),
        ("-1KiB", "invalid size"),
    ],
)
def test_bad_sizes_are_rejected(value: int | str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_byte_size(value)


def test_byte_size_field_rejects_booleans() -> None:
    class Memory(ConfigModel):
        size: ByteSize

    assert Memory.model_validate({"size": "1KiB"}).size == 1024
    with pytest.raises(ValidationError, match="boolean"):
        Memory.model_validate({"size": True})
