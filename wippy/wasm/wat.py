"""WebAssembly text (WAT) to binary, for ``function.wat`` entries."""

from __future__ import annotations

import re

import wasmtime

from .errors import LoadError

__all__ = ["InvalidTextError", "wat_to_wasm"]

_WHERE = re.compile(r"-->\s*\S*?:(\d+):(\d+)")


class InvalidTextError(LoadError):
    """An entry's WebAssembly text does not parse; ``field`` is the YAML field holding it."""

    field = "source"


def wat_to_wasm(text: str, entry_id: str, origin: str | None = None) -> bytes:
    """Assembles ``text`` into a WebAssembly binary.

    ``origin`` (the file the text came from) is named in the error. Raises
    :class:`InvalidTextError` with the parser's message, line and column.
    """
    try:
        return bytes(wasmtime.wat2wasm(text))
    except wasmtime.WasmtimeError as exc:
        lines = str(exc).strip().splitlines()
        message = lines[0] if lines else "invalid text"
        found = _WHERE.search(str(exc))
        where = f" at line {found.group(1)}, column {found.group(2)}" if found else ""
        source = f" in {origin}" if origin else ""
        raise InvalidTextError(
            f"{entry_id}: invalid WebAssembly text{source}{where}: {message}"
        ) from None
