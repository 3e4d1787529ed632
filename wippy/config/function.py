"""The ``function.wasm`` and ``function.wat`` kinds: WebAssembly exports called synchronously.

Both have the fields of ``process.wasm`` (``method``, ``imports``, ``wasi``, ``limits``,
``engine``), plus an optional ``wit`` signature for core modules and a ``pool`` of instances.
``function.wasm`` reads its binary like a process (``fs``, ``path``, ``hash``); ``function.wat``
has its WebAssembly text in ``source``, inline or ``file://name.wat`` beside the YAML file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, ClassVar

from pydantic import AfterValidator, Field, model_validator

from .common import ConfigModel
from .kinds import Entry, register_kind
from .process_wasm import WasmEntry, WasmFileEntry
from .units import Duration
from .wit import WitFunction, parse_wit_function

__all__ = [
    "DEFAULT_LAZY_SIZE",
    "POOL_TYPES",
    "FunctionEntry",
    "FunctionWasm",
    "FunctionWat",
    "Pool",
]

POOL_TYPES = ("inline", "lazy", "static")
"""Pool types a function may use."""

DEFAULT_LAZY_SIZE = 16
"""``max_size`` of a lazy pool that names none (Wippy's default for an explicit lazy pool)."""

_FILE_PREFIX = "file://"


def _check_pool_type(value: str) -> str:
    if value not in POOL_TYPES:
        raise ValueError(f"unknown pool type {value!r} (supported: {', '.join(POOL_TYPES)})")
    return value


def _check_wit(value: str) -> str:
    parse_wit_function(value)
    return value


def _check_transport(value: str) -> str:
    if value != "payload":
        raise ValueError(f"transport {value!r} is not supported (only 'payload': arguments in, "
                         "result out)")
    return value


class Pool(ConfigModel):
    """How a function's instances are kept: ``inline`` makes a new one per call; ``lazy`` makes
    them on demand, up to ``max_size`` at once, and reuses them; ``static`` makes ``size`` of them
    up front. A call finding the pool at its size waits up to ``wait_timeout`` for a free one."""

    type: Annotated[str, AfterValidator(_check_pool_type)] = "lazy"
    max_size: int | None = Field(default=None, ge=1)
    size: int | None = Field(default=None, ge=1)
    wait_timeout: Duration = 30.0

    @model_validator(mode="after")
    def _sizes_fit_the_type(self) -> Pool:
        if self.max_size is not None and self.type != "lazy":
            hint = "; a static pool has a size" if self.type == "static" else ""
            raise ValueError(f"max_size is for lazy pools, not {self.type}{hint}")
        if self.size is not None and self.type != "static":
            hint = "; a lazy pool has a max_size" if self.type == "lazy" else ""
            raise ValueError(f"size is for static pools, not {self.type}{hint}")
        if self.type == "static" and self.size is None:
            raise ValueError("a static pool needs a size (the number of instances made up front)")
        return self

    @property
    def capacity(self) -> int | None:
        """How many instances may exist at once; None for ``inline`` (one per call, no bound).
        Never raises."""
        if self.type == "inline":
            return None
        if self.type == "static":
            return self.size
        return self.max_size or DEFAULT_LAZY_SIZE


class FunctionEntry(WasmEntry):
    """What ``function.wasm`` and ``function.wat`` share: ``wit``, ``pool`` and ``transport``.
    Not a kind itself."""

    wit: Annotated[str, AfterValidator(_check_wit)] | None = None
    pool: Pool = Pool()
    transport: Annotated[str, AfterValidator(_check_transport)] = "payload"

    @property
    def wit_function(self) -> WitFunction | None:
        """The parsed ``wit`` signature, or None without one. Never raises (validated)."""
        return None if self.wit is None else parse_wit_function(self.wit)

    def check_fields(self) -> list[tuple[str | None, str]]:
        """Reports a ``wit`` signature that names a function other than ``method``."""
        wit = self.wit_function
        if wit is not None and wit.name is not None and wit.name != self.method:
            return [("wit", f"the signature is for {wit.name!r} but method is {self.method!r}")]
        return []


@register_kind("function.wasm")
class FunctionWasm(FunctionEntry, WasmFileEntry):
    """A WebAssembly binary (``path`` inside ``fs``, pinned by ``hash``) whose ``method`` is
    called as a function."""


@register_kind("function.wat")
class FunctionWat(FunctionEntry):
    """A module in WebAssembly text whose ``method`` is called as a function; ``source`` (stored
    as :attr:`code`) is the text itself or ``file://name.wat``, relative to the YAML file."""

    YAML_FIELDS: ClassVar[Mapping[str, str]] = {"source": "code"}

    code: str = Field(min_length=1)

    @property
    def wat_file(self) -> Path | None:
        """The file ``source`` names (``file://...``), absolute; None for inline text."""
        if not self.code.startswith(_FILE_PREFIX):
            return None
        return Path(os.path.normpath(self.source.parent / self.code[len(_FILE_PREFIX):]))

    def wat_text(self) -> str:
        """The WebAssembly text: ``source`` itself, or the file it names. Raises OSError (and
        UnicodeDecodeError, a ValueError) when that file cannot be read."""
        path = self.wat_file
        return self.code if path is None else path.read_text(encoding="utf-8")

    def on_load(self, entries: Mapping[str, Entry]) -> list[tuple[str | None, str]]:
        """Checks that a ``file://`` source exists, and the guest env names."""
        problems: list[tuple[str | None, str]] = []
        path = self.wat_file
        if path is not None and not path.is_file():
            what = "is not a file" if path.exists() else "does not exist"
            problems.append(("source", f"{path} {what}"))
        return problems + super().on_load(entries)
