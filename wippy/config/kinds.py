"""The entry base model, typed references between entries, and the pluggable kind registry."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, Field, GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

from .common import ID_PATTERN, ConfigModel

__all__ = [
    "Entry",
    "Ref",
    "RefId",
    "iter_references",
    "kind_class",
    "known_kinds",
    "register_kind",
    "unregister_kind",
]

EntryClass = TypeVar("EntryClass", bound="type[Entry]")


@dataclass(frozen=True, init=False)
class Ref:
    """Marks a str field as a reference to another entry: ``Annotated[str, Ref("fs.directory")]``.

    ``kinds`` are the accepted kinds; each may be a glob (``process.*``). The value must be a full
    id (``ns:name``); pydantic validation raises ValueError otherwise, and the loader reports a
    dangling reference or one to an entry of another kind. Constructing with no kinds raises
    ValueError.
    """

    kinds: tuple[str, ...]

    def __init__(self, *kinds: str) -> None:
        if not kinds:
            raise ValueError("Ref needs at least one kind")
        object.__setattr__(self, "kinds", tuple(kinds))

    def accepts(self, kind: str) -> bool:
        """Returns whether an entry of ``kind`` may be referenced here. Never raises."""
        return any(fnmatchcase(kind, pattern) for pattern in self.kinds)

    def describe(self) -> str:
        """Returns the accepted kinds as text, e.g. ``fs.directory`` or ``process.* or x.y``."""
        return " or ".join(self.kinds)

    def __get_pydantic_core_schema__(
        self, source_type: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._wrap, handler(source_type))

    def _wrap(self, value: str) -> RefId:
        if not ID_PATTERN.fullmatch(value):
            raise ValueError(
                f"must be a full entry id 'namespace:name' referring to a {self.describe()}, "
                f"got {value!r}"
            )
        return RefId(value, self)


class RefId(str):
    """A validated reference value: a ``str`` equal to the target id, carrying its :class:`Ref`."""

    ref: Ref

    def __new__(cls, value: str, ref: Ref) -> RefId:
        obj = super().__new__(cls, value)
        obj.ref = ref
        return obj

    def __reduce__(self) -> tuple[type[RefId], tuple[str, Ref]]:
        return (type(self), (str(self), self.ref))


class Entry(ConfigModel):
    """Fields common to every registry entry; concrete kinds subclass it via :func:`register_kind`.

    ``id`` is ``namespace:name``; ``meta`` is free-form; ``source`` is the absolute path of the YAML
    file the entry came from (set by the loader, never written in YAML).
    """

    KIND: ClassVar[str] = ""
    YAML_FIELDS: ClassVar[Mapping[str, str]] = {}
    """YAML keys this kind stores under another field name (``{"source": "code"}``: a
    ``function.wat`` writes its WAT as ``source``, which otherwise names the YAML file)."""

    id: str
    namespace: str
    name: str
    kind: str
    meta: dict[str, Any] = {}
    source: Path = Field(exclude=True, repr=False)

    @property
    def command_name(self) -> str | None:
        """Returns ``meta.command.name`` when it is a string, else None. Never raises."""
        command = self.meta.get("command")
        if isinstance(command, Mapping):
            name = command.get("name")
            if isinstance(name, str):
                return name
        return None

    def check_fields(self) -> list[tuple[str | None, str]]:
        """Problems within the entry alone (rules across its fields), found after it validated.

        Reported together with its reference problems, so that one does not hide the other.
        Returns ``(field, message)`` problems instead of raising; the default has none.
        """
        return []

    def on_load(self, entries: Mapping[str, Entry]) -> list[tuple[str | None, str]]:
        """Hook run once after all entries loaded and this entry's references resolved.

        May prepare resources (e.g. create a directory). Returns ``(field, message)`` problems
        instead of raising; the default has none.
        """
        del entries
        return []


_KINDS: dict[str, type[Entry]] = {}


def register_kind(kind: str) -> Callable[[EntryClass], EntryClass]:
    """Class decorator mapping the kind string ``kind`` (``fs.directory``) to an Entry subclass.

    Sets ``cls.KIND``. Raises ValueError for a malformed kind or one already registered to another
    class, TypeError when the decorated object is not an Entry subclass.
    """
    if not kind or any(not part for part in kind.split(".")) or ":" in kind:
        raise ValueError(f"invalid kind {kind!r}; expected dotted words like 'fs.directory'")

    def decorate(cls: EntryClass) -> EntryClass:
        if not (isinstance(cls, type) and issubclass(cls, Entry)):
            raise TypeError(f"register_kind({kind!r}) must decorate an Entry subclass")
        existing = _KINDS.get(kind)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise ValueError(f"kind {kind!r} is already registered to {existing.__qualname__}")
        cls.KIND = kind
        _KINDS[kind] = cls
        return cls

    return decorate


def unregister_kind(kind: str) -> None:
    """Removes ``kind`` from the kind registry (for tests). Raises KeyError when not registered."""
    del _KINDS[kind]


def known_kinds() -> list[str]:
    """Returns the registered kind strings, sorted. Never raises."""
    return sorted(_KINDS)


def kind_class(kind: str) -> type[Entry]:
    """Returns the model class registered for ``kind``. Raises KeyError listing the known kinds."""
    try:
        return _KINDS[kind]
    except KeyError:
        raise KeyError(f"unknown kind {kind!r} (known kinds: {', '.join(known_kinds())})") from None


def iter_references(value: object, path: str = "") -> Iterator[tuple[str, RefId]]:
    """Yields ``(field path, reference)`` for every :class:`RefId` inside ``value``.

    Walks model fields, lists, tuples and dict values; paths look like ``wasi.mounts[0].fs``.
    Never raises.
    """
    if isinstance(value, RefId):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from iter_references(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from iter_references(item, f"{path}[{index}]")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from iter_references(item, f"{path}.{key}" if path else str(key))
