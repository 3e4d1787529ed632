"""Loading YAML registry documents into a validated :class:`Registry`, collecting every problem."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ValidationError

from .common import NAME_PATTERN, ConfigModel
from .discovery import discover, is_registry_document
from .errors import ConfigError, Problem, display_path
from .kinds import Entry, iter_references, kind_class, known_kinds
from .registry import Registry, near_matches
from .validation import LOADER_FIELDS, describe_errors
from .yaml_source import read_documents

__all__ = [
    "SUPPORTED_VERSIONS",
    "LoadResult",
    "load_registry",
    "load_registry_from_documents",
    "read_app",
]

logger = logging.getLogger(__name__)

SUPPORTED_VERSIONS = ("1.0",)
"""Registry document versions this loader understands."""

_NAME_RULE = "use letters, digits, '_', '-' and '.'"


def _version_text(value: Any) -> Any:
    # An unquoted `version: 1.0` reads as a float; accept it as the string it was meant to be.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def _check_version(value: str) -> str:
    if value not in SUPPORTED_VERSIONS:
        supported = ", ".join(SUPPORTED_VERSIONS)
        raise ValueError(f"unsupported version {value!r} (supported: {supported})")
    return value


def _check_namespace(value: str) -> str:
    if not NAME_PATTERN.fullmatch(value):
        raise ValueError(f"invalid namespace {value!r}: {_NAME_RULE}")
    return value


class _Document(ConfigModel):
    version: Annotated[str, BeforeValidator(_version_text), AfterValidator(_check_version)]
    namespace: Annotated[str, AfterValidator(_check_namespace)]
    entries: list[Any] = []


class _Loader:
    """Accumulates entries and problems across documents; :meth:`finish` builds the registry."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.entries: dict[str, Entry] = {}
        self.first_seen: dict[str, Path] = {}
        self.documents = 0

    def problem(self, file: Path, entry: str | None, field: str | None, message: str) -> None:
        self.problems.append(Problem(file, entry, field, message))

    def add_file(self, file: Path, *, strict: bool = True) -> None:
        """Reads every document of ``file``; unless ``strict``, documents that are not registry
        documents are skipped (noted in the log) instead of reported."""
        try:
            documents = read_documents(file)
        except (OSError, ValueError) as exc:
            message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.problem(file, None, None, message)
            return
        logger.debug("read %d document(s) from %s", len(documents), file)
        for number, document in enumerate(documents, start=1):
            label = number if len(documents) > 1 else None
            if not strict and not is_registry_document(document):
                if document is not None:
                    where = f" (document {number})" if label is not None else ""
                    logger.info("skipped %s%s: not a registry document (no version, namespace "
                                "and entries)", display_path(file), where)
                continue
            self.add_document(file, document, label)

    def add_document(self, file: Path, document: Any, number: int | None = None) -> None:
        prefix = f"document {number}: " if number is not None else ""
        if document is None:
            return
        self.documents += 1
        if not isinstance(document, dict):
            self.problem(
                file, None, None,
                f"{prefix}expected a mapping with version, namespace and entries, "
                f"got {type(document).__name__}",
            )
            return
        try:
            parsed = _Document.model_validate(document)
        except ValidationError as exc:
            for field, message in describe_errors(_Document, exc):
                self.problem(file, None, field, prefix + message)
            return
        for index, raw in enumerate(parsed.entries):
            self.add_entry(file, parsed.namespace, index, raw)

    def add_entry(self, file: Path, namespace: str, index: int, raw: Any) -> None:
        where = f"entries[{index}]"
        if not isinstance(raw, dict):
            got = type(raw).__name__
            self.problem(file, None, where, f"expected a mapping with name and kind, got {got}")
            return
        name = raw.get("name")
        if name is None:
            self.problem(file, None, f"{where}.name", "missing required field")
            return
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            self.problem(file, None, f"{where}.name", f"invalid name {name!r}: {_NAME_RULE}")
            return
        entry_id = f"{namespace}:{name}"
        if entry_id in self.first_seen:
            self.problem(
                file, entry_id, None,
                f"duplicate entry id (also defined in {display_path(self.first_seen[entry_id])})",
            )
            return
        self.first_seen[entry_id] = file
        kind = raw.get("kind")
        if not isinstance(kind, str):
            message = "missing required field" if kind is None else f"must be text, got {kind!r}"
            known = ", ".join(known_kinds())
            self.problem(file, entry_id, "kind", f"{message} (known kinds: {known})")
            return
        try:
            cls = kind_class(kind)
        except KeyError:
            hint = near_matches(kind, known_kinds())
            self.problem(
                file, entry_id, "kind",
                f"unknown kind {kind!r}{hint} (known kinds: {', '.join(known_kinds())})",
            )
            return
        renames = cls.YAML_FIELDS  # YAML keys a kind stores under another field name
        for reserved in sorted((LOADER_FIELDS - renames.keys()) & raw.keys()):
            self.problem(file, entry_id, reserved, "is set by the loader and must not be written")
        data = {
            renames.get(key, key): value
            for key, value in raw.items()
            if key not in LOADER_FIELDS or key in renames
        }
        data.update(id=entry_id, namespace=namespace, source=file)
        try:
            self.entries[entry_id] = cls.model_validate(data)
        except ValidationError as exc:
            for field, message in describe_errors(cls, exc, renames):
                self.problem(file, entry_id, field, message)

    def check_references(self, entry: Entry) -> bool:
        ok = True
        for field, ref in iter_references(entry):
            target = self.entries.get(ref)
            if target is None:
                ok = False
                if ref in self.first_seen:
                    continue  # the target exists but is invalid; its own problems are reported
                hint = near_matches(ref, self.first_seen)
                message = f"refers to {ref}, which is not defined{hint}"
                self.problem(entry.source, entry.id, field, message)
            elif not ref.ref.accepts(target.kind):
                ok = False
                self.problem(
                    entry.source, entry.id, field,
                    f"refers to {ref}, which is a {target.kind}; expected a {ref.ref.describe()}",
                )
        return ok

    def finish(self, root: Path) -> LoadResult:
        for entry in self.entries.values():
            for field, message in entry.check_fields():
                self.problem(entry.source, entry.id, field, message)
            if self.check_references(entry):
                for field, message in entry.on_load(self.entries):
                    self.problem(entry.source, entry.id, field, message)
        clean = _clean_entries(self.entries, {p.entry for p in self.problems})
        if not self.problems:
            logger.info("loaded %d entries from %s", len(self.entries), root)
        return LoadResult(Registry(clean, root), tuple(self.problems))


def _clean_entries(entries: Mapping[str, Entry], flagged: set[str | None]) -> dict[str, Entry]:
    """The entries without a problem whose references all lead to such entries."""
    clean = {entry_id: entry for entry_id, entry in entries.items() if entry_id not in flagged}
    changed = True
    while changed:
        changed = False
        for entry_id, entry in list(clean.items()):
            if any(ref not in clean for _, ref in iter_references(entry)):
                del clean[entry_id]
                changed = True
    return clean


@dataclass(frozen=True)
class LoadResult:
    """What loading an app found: ``registry`` holds the entries that loaded without a problem
    (and whose references lead only to such entries); ``problems`` lists every problem, in the
    order found."""

    registry: Registry
    problems: tuple[Problem, ...]

    def registry_or_raise(self) -> Registry:
        """The registry when there is no problem. Raises ConfigError listing them otherwise."""
        if self.problems:
            raise ConfigError(self.problems)
        return self.registry


def _absolute(path: str | os.PathLike[str]) -> Path:
    return Path(os.path.abspath(os.fspath(path)))


def load_registry(path: str | os.PathLike[str]) -> Registry:
    """Loads a registry from a YAML file or a folder of YAML files (see :func:`read_app`).

    Raises ConfigError listing every problem found: a missing path, a folder without registry
    documents, YAML syntax errors, bad documents or entries, dangling references.
    """
    return read_app(path).registry_or_raise()


def read_app(path: str | os.PathLike[str]) -> LoadResult:
    """Loads what it can of the app at ``path`` and returns it with every problem found.

    A file is read whole: each of its ``---`` documents must be a registry document. A folder is
    searched as :func:`~wippy.config.discovery.discover` says (hidden folders, virtual
    environments, ``node_modules`` and ``__pycache__`` skipped; only ``_index.yaml`` files when
    there are any), and documents that are not registry documents are skipped (logged at INFO).
    One entry's problems do not stop the others from loading. Never raises ConfigError.
    """
    root = _absolute(path)
    loader = _Loader()
    if not root.exists():
        loader.problem(root, None, None, "no such file or directory")
        return loader.finish(root)
    if not root.is_dir():
        loader.add_file(root)
        return loader.finish(root)
    files, skipped = discover(root)
    for folder, reason in skipped:
        logger.info("skipped %s: %s", display_path(folder), reason)
    if not files:
        loader.problem(root, None, None, "no *.yaml or *.yml files found")
        return loader.finish(root)
    for file in files:
        loader.add_file(file, strict=False)
    if not loader.documents and not loader.problems:
        loader.problem(
            root, None, None,
            f"no registry documents in {len(files)} YAML file{'s' if len(files) != 1 else ''} "
            "(a registry document has version, namespace and entries; -v lists what was "
            "skipped)",
        )
    return loader.finish(root)


def load_registry_from_documents(
    documents: Iterable[tuple[str | os.PathLike[str], Any]],
    root: str | os.PathLike[str] | None = None,
) -> Registry:
    """Builds a registry from already-parsed documents, each paired with the file it stands for.

    The file's folder anchors relative ``fs.directory`` paths; ``root`` (default: the current
    directory) becomes :attr:`Registry.root`. Raises ConfigError like :func:`load_registry`.
    """
    loader = _Loader()
    for source, document in documents:
        loader.add_document(_absolute(source), document)
    return loader.finish(_absolute(root if root is not None else os.curdir)).registry_or_raise()
