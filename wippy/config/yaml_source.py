"""Reading YAML files: all documents of a file, with duplicate mapping keys treated as errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["read_documents"]


_MERGE = "tag:yaml.org,2002:merge"

# libyaml's parser when PyYAML was built with it (several times faster), else the pure-Python one.
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeBase):  # type: ignore[valid-type,misc]
    """A safe loader that rejects a key repeated in one mapping (PyYAML keeps the last silently).

    Merge keys (``<<: *defaults``) work as in YAML 1.1: keys written in the mapping override the
    merged ones, which is not a duplicate.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # unhashable key; let the base class report it
                continue
            if duplicate:
                first = seen[key].start_mark
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"duplicate key {key!r} (first at line {first.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def _describe(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        detail = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        where = f"line {mark.line + 1}, column {mark.column + 1}"
        return f"YAML syntax error at {where}: {detail}{context}"
    return f"YAML error: {exc}"


def read_documents(path: Path) -> list[Any]:
    """Returns every YAML document in ``path`` (empty documents as None), in order.

    Raises ValueError with a message carrying line and column for a YAML syntax error or a
    duplicate key, and for undecodable text; OSError when the file cannot be read.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        message = f"file is not valid UTF-8 text: {exc.reason} at byte {exc.start}"
        raise ValueError(message) from None
    try:
        return list(yaml.load_all(text, Loader=_StrictLoader))  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ValueError(_describe(exc)) from None
