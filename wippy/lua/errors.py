"""Errors of Lua entries: code that does not load, code that fails, values that do not convert."""

from __future__ import annotations

from wippy.wasm.errors import GuestError, LoadError

__all__ = ["ConversionError", "LuaError", "LuaLoadError"]


class LuaLoadError(LoadError):
    """A Lua entry's source could not be read or compiled (``field`` names the entry field)."""

    kind = "lua_load"

    def __init__(self, message: str, *, field: str | None = "source") -> None:
        super().__init__(message)
        self.field = field


class LuaError(GuestError):
    """Lua code raised an error: :attr:`message` is Lua's message (with its ``file:line:``),
    :attr:`lua_traceback` the Lua stack traceback; both are in ``str()`` (and so in the EXIT
    error's ``details``)."""

    kind = "lua"

    def __init__(self, message: str, lua_traceback: str = "") -> None:
        super().__init__(message)
        self.lua_traceback = lua_traceback

    def __str__(self) -> str:
        if not self.lua_traceback:
            return self.message
        return f"{self.message}\n{self.lua_traceback}"


class ConversionError(ValueError):
    """A value cannot cross between Lua and Python (a function, a coroutine, a table that
    contains itself, a key that is neither a string nor a number); the message says where."""
