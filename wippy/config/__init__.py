"""wippy.config: the registry of YAML entries (hosts, directories, variables, wasm processes).

Load with :func:`load_registry`; every mistake found is raised together as a :class:`ConfigError`.
"""

from __future__ import annotations

from .cluster import LOCAL_NODE, ClusterRay, Heartbeat, cluster_entry, node_key
from .common import ID_PATTERN, NAME_PATTERN, ConfigModel, Lifecycle
from .entries import EnvVariable, FsDirectory, HostOptions, ProcessHost, TerminalHost, parse_mode
from .errors import ConfigError, Problem
from .function import DEFAULT_LAZY_SIZE, POOL_TYPES, FunctionEntry, FunctionWasm, FunctionWat, Pool
from .hashes import HASH_ALGORITHMS, HashStr, file_digest, parse_hash
from .kinds import (
    Entry,
    Ref,
    RefId,
    iter_references,
    kind_class,
    known_kinds,
    register_kind,
    unregister_kind,
)
from .loader import (
    SUPPORTED_VERSIONS,
    LoadResult,
    load_registry,
    load_registry_from_documents,
    read_app,
)
from .lua import (
    LUA_MODULES,
    SANDBOX_REFUSED,
    FunctionLua,
    LuaEntry,
    LuaLimits,
    ProcessLua,
)
from .paths import PathEscapeError, resolve_inside
from .process_python import ProcessPython
from .process_wasm import (
    IMPORT_PROFILES,
    Limits,
    ProcessWasm,
    WasiEnv,
    WasiMount,
    WasiOptions,
    WasmEntry,
    WasmFileEntry,
)
from .registry import Registry
from .service import ProcessService, RestartPolicy, ServiceLifecycle
from .supervisor import ChildEntry, ProcessSupervisor
from .units import (
    ByteSize,
    Duration,
    DurationOrInfinity,
    duration_validator,
    parse_byte_size,
    parse_duration,
)
from .wit import WIT_CORE_TYPES, WitFunction, parse_wit_function

__all__ = [
    "DEFAULT_LAZY_SIZE",
    "HASH_ALGORITHMS",
    "ID_PATTERN",
    "IMPORT_PROFILES",
    "LOCAL_NODE",
    "LUA_MODULES",
    "NAME_PATTERN",
    "POOL_TYPES",
    "SANDBOX_REFUSED",
    "SUPPORTED_VERSIONS",
    "WIT_CORE_TYPES",
    "ByteSize",
    "ChildEntry",
    "ClusterRay",
    "ConfigError",
    "ConfigModel",
    "Duration",
    "DurationOrInfinity",
    "Entry",
    "EnvVariable",
    "FsDirectory",
    "FunctionEntry",
    "FunctionLua",
    "FunctionWasm",
    "FunctionWat",
    "HashStr",
    "Heartbeat",
    "HostOptions",
    "Lifecycle",
    "Limits",
    "LoadResult",
    "LuaEntry",
    "LuaLimits",
    "PathEscapeError",
    "Pool",
    "Problem",
    "ProcessHost",
    "ProcessLua",
    "ProcessPython",
    "ProcessService",
    "ProcessSupervisor",
    "ProcessWasm",
    "Ref",
    "RefId",
    "Registry",
    "RestartPolicy",
    "ServiceLifecycle",
    "TerminalHost",
    "WasiEnv",
    "WasiMount",
    "WasiOptions",
    "WasmEntry",
    "WasmFileEntry",
    "WitFunction",
    "cluster_entry",
    "duration_validator",
    "file_digest",
    "iter_references",
    "kind_class",
    "known_kinds",
    "load_registry",
    "load_registry_from_documents",
    "node_key",
    "parse_byte_size",
    "parse_duration",
    "parse_hash",
    "parse_mode",
    "parse_wit_function",
    "read_app",
    "register_kind",
    "resolve_inside",
    "unregister_kind",
]
