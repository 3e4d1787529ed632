"""Turning pydantic validation errors into field paths and readable messages."""

from __future__ import annotations

import difflib
import types
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

__all__ = ["LOADER_FIELDS", "describe_errors", "format_loc"]

LOADER_FIELDS = frozenset({"id", "namespace", "source"})
"""Entry fields the loader sets; YAML must not write them."""


def format_loc(loc: Sequence[int | str]) -> str:
    """Renders a pydantic ``loc`` as a field path: ``("wasi", "mounts", 0, "guest")`` ->
    ``wasi.mounts[0].guest``. Never raises."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = get_origin(annotation)
    if origin is None:
        return []
    args = get_args(annotation)
    if origin is Annotated:
        args = args[:1]
    elif origin not in (Union, types.UnionType, list, tuple, dict):
        return []
    found: list[type[BaseModel]] = []
    for arg in args:
        found.extend(_models_in(arg))
    return found


def _fields_at(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    current = [model]
    for part in loc:
        if isinstance(part, int):
            continue
        following: list[type[BaseModel]] = []
        for cls in current:
            info = cls.model_fields.get(part)
            if info is not None:
                following.extend(_models_in(info.annotation))
        current = following
    names: list[str] = []
    for cls in current:
        names.extend(name for name in cls.model_fields if name not in names)
    if len(loc) <= 1:
        names = [name for name in names if name not in LOADER_FIELDS]
    return names


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(model: type[BaseModel], error: Any, yaml_names: Mapping[str, str]) -> str:
    kind = error["type"]
    message = str(error["msg"])
    loc = error["loc"]
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if kind == "missing":
        return "missing required field"
    if kind == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1])
        if len(loc) == 1:
            allowed = [yaml_names.get(name, name) for name in allowed]
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        if close:
            return f"unknown field (did you mean {close[0]!r}?)"
        return f"unknown field (allowed: {', '.join(allowed)})" if allowed else "unknown field"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        value = error.get("input")
        return f"{message} (got {type(value).__name__} {_short(value)})"
    if kind in ("literal_error", "enum", "greater_than_equal", "greater_than", "less_than_equal"):
        return f"{message}, got {_short(error.get('input'))}"
    return message


def describe_errors(
    model: type[BaseModel], exc: ValidationError, renames: Mapping[str, str] | None = None
) -> list[tuple[str | None, str]]:
    """Returns ``(field path, message)`` for each error of ``exc`` raised validating ``model``.

    ``renames`` maps YAML keys to the model fields they were stored in (``{"source": "code"}``);
    paths and hints name the YAML key. Unknown fields get a did-you-mean hint or the allowed
    field names. Never raises.
    """
    yaml_names = {field: key for key, field in (renames or {}).items()}
    described: list[tuple[str | None, str]] = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        if loc and isinstance(loc[0], str) and loc[0] in yaml_names:
            loc = (yaml_names[loc[0]], *loc[1:])
        described.append((format_loc(loc) or None, _message(model, error, yaml_names)))
    return described
