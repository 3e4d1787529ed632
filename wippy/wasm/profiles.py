"""Import profiles: which host interfaces an entry's ``imports`` list lets a guest use.

Components import WASI preview 2 interfaces (``wasi:cli/environment@0.2.0``); each belongs to the
profile named by its package (``wasi:cli``). Core modules import WASI preview 1 functions; the
``wasi1`` (alias ``wasi_snapshot_preview1``) profile enables all of them, and each function also
belongs to the preview 2 profile that covers the same capability, so ``imports: [wasi:cli]``
lets a core module read its args and exit without giving it the filesystem.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..config import IMPORT_PROFILES
from .errors import LinkError

PREVIEW1_MODULE = "wasi_snapshot_preview1"
KNOWN_PROFILES = IMPORT_PROFILES
PREVIEW1_PROFILES = frozenset({"wasi1", "wasi_snapshot_preview1"})
PREVIEW2_PROFILES = frozenset(p for p in KNOWN_PROFILES if p.startswith("wasi:"))

_STDIO_FDS = "wasi:cli"
_PREVIEW1_FUNCTIONS: dict[str, str] = {
    **dict.fromkeys(
        ["args_get", "args_sizes_get", "environ_get", "environ_sizes_get", "proc_exit",
         "proc_raise", "sched_yield"],
        "wasi:cli",
    ),
    **dict.fromkeys(["clock_res_get", "clock_time_get"], "wasi:clocks"),
    "poll_oneoff": "wasi:io",
    "random_get": "wasi:random",
    **dict.fromkeys(["sock_accept", "sock_recv", "sock_send", "sock_shutdown"], "wasi:sockets"),
}
# Every fd_* and path_* call is filesystem access, except the stdio writes/reads that wasi:cli
# covers; preview 1 cannot tell them apart statically, so fd_read/fd_write/fd_close/fd_fdstat_get
# belong to wasi:cli as well as wasi:filesystem (either enables them).
_STDIO_CALLS = frozenset({"fd_write", "fd_read", "fd_close", "fd_fdstat_get", "fd_seek",
                          "fd_prestat_get", "fd_prestat_dir_name"})


def unknown_profiles(imports: Iterable[str]) -> list[str]:
    """Returns the names in ``imports`` that are not known profiles, in order."""
    return [name for name in imports if name not in KNOWN_PROFILES]


def _preview1_allowed(function: str, enabled: frozenset[str]) -> str | None:
    """Returns None when allowed, else the profile that would enable ``function``."""
    if enabled & PREVIEW1_PROFILES:
        return None
    if function in _STDIO_CALLS and _STDIO_FDS in enabled:
        return None
    needed = _PREVIEW1_FUNCTIONS.get(function, "wasi:filesystem")
    if needed in enabled:
        return None
    if needed == "wasi:io" and enabled & {"wasi:poll", "wasi:clocks"}:
        return None
    return needed


def check_core_imports(
    entry_id: str,
    imports: Iterable[tuple[str, str]],
    enabled: frozenset[str],
    host_modules: frozenset[str],
    offered: Mapping[str, str] | None = None,
) -> None:
    """Raises :class:`LinkError` for the first core import the entry did not enable.

    ``offered`` maps the import module of each host interface offered but not enabled to its
    profile, so that the message names the profile to add.
    """
    for module, name in imports:
        if module == PREVIEW1_MODULE:
            needed = _preview1_allowed(name, enabled)
            if needed is not None:
                raise LinkError(
                    f"{entry_id}: module imports {module}.{name}, which its entry does not "
                    f"enable; add `{needed}` (or `wasi1` for all of preview 1) to `imports`"
                )
        elif module not in host_modules and offered and module in offered:
            raise LinkError(
                f"{entry_id}: module imports {module}.{name}, which its entry does not "
                f"enable; add `{offered[module]}` to `imports`"
            )
        elif module not in host_modules:
            raise LinkError(
                f"{entry_id}: module imports {module}.{name}, which no host interface provides"
            )


def component_profile(interface: str) -> str | None:
    """Maps ``wasi:cli/environment@0.2.0`` to ``wasi:cli``; None for non-WASI interfaces."""
    package = interface.split("/", 1)[0].split("@", 1)[0]
    if not package.startswith("wasi:"):
        return None
    return package


def unversioned(interface: str) -> str:
    """``wippy:process/process@0.1.0`` without its version: ``wippy:process/process``."""
    return interface.split("@", 1)[0]


def check_component_imports(
    entry_id: str,
    imports: Iterable[str],
    enabled: frozenset[str],
    offered: Mapping[str, str] | None = None,
) -> None:
    """Raises :class:`LinkError` unless the entry's profiles cover every component import.

    ``offered`` maps each host interface offered (unversioned, see :func:`unversioned`) to its
    profile. An import nobody offers is named alone (no profile can enable it); otherwise the
    message names every interface the entry does not enable and the profiles that would.
    """
    denied: list[str] = []
    needed: list[str] = []
    for interface in imports:
        profile = component_profile(interface)
        if profile is None and offered and unversioned(interface) in offered:
            profile = offered[unversioned(interface)]
            if profile not in enabled:
                denied.append(interface)
                if profile not in needed:
                    needed.append(profile)
            continue
        if profile is None:
            raise LinkError(
                f"{entry_id}: component imports {interface}, which no host interface provides"
            )
        # Streams and pollables (wasi:io) are the currency of every other WASI interface.
        allowed = profile in enabled or (
            profile == "wasi:io" and bool(enabled & PREVIEW2_PROFILES)
        )
        if not allowed:
            denied.append(interface)
            if profile not in needed:
                needed.append(profile)
    if denied:
        raise LinkError(
            f"{entry_id}: component imports {', '.join(denied)}, which its entry does not "
            f"enable; add {', '.join(f'`{p}`' for p in needed)} to `imports`"
        )
