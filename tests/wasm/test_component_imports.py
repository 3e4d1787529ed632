"""Per-interface import gating of components: `imports` decides exactly what a component may use.

wasi_caps.wasm imports exactly wasi:random/random and wasi:clocks/wall-clock; wasi_caps_host.wasm
also imports the non-WASI interface wippy:caps/host; wasi_component.wasm (wasi-libc through the
preview 1 adapter) imports wasi:cli, wasi:io, wasi:clocks and wasi:filesystem interfaces.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conftest import AppWriter, call
from wippy.config import load_registry
from wippy.wasm import LinkError, Program, WasmRuntime

CAPS = ["wasi:random", "wasi:clocks"]
DEMO = ["wasi:cli", "wasi:clocks", "wasi:filesystem"]


def load(
    runtime: WasmRuntime, write_app: AppWriter, path: str, method: str, imports: list[str] | None
) -> Program:
    fields: dict[str, Any] = {} if imports is None else {"imports": imports}
    app = write_app({"name": "c", "kind": "process.wasm", "path": path, "method": method,
                     **fields})
    return runtime.program(load_registry(app), "test:c")


def test_enabled_interfaces_are_usable(wasm_runtime: WasmRuntime, write_app: AppWriter) -> None:
    random_u64 = load(wasm_runtime, write_app, "wasi_caps.wasm", "random-u64", CAPS)
    draws = {call(random_u64) for _ in range(4)}
    assert len(draws) > 1 and all(0 <= d < 2**64 for d in draws)


def test_wall_clock_comes_from_the_host(wasm_runtime: WasmRuntime, write_app: AppWriter) -> None:
    seconds = load(wasm_runtime, write_app, "wasi_caps.wasm", "wall-seconds", CAPS)
    assert abs(call(seconds) - time.time()) < 60


@pytest.mark.parametrize(
    ("imports", "denied", "profiles"),
    [
        (None, "wasi:clocks/wall-clock@0.2.0, wasi:random/random@0.2.0",
         "`wasi:clocks`, `wasi:random`"),
        ([], "wasi:clocks/wall-clock@0.2.0, wasi:random/random@0.2.0",
         "`wasi:clocks`, `wasi:random`"),
        (["wasi:random"], "wasi:clocks/wall-clock@0.2.0", "`wasi:clocks`"),
        (["wasi:clocks"], "wasi:random/random@0.2.0", "`wasi:random`"),
        (["wasi:cli", "wasi:filesystem", "wasi:io", "wasi:sockets", "wasi:http", "wasi1"],
         "wasi:clocks/wall-clock@0.2.0, wasi:random/random@0.2.0", "`wasi:clocks`, `wasi:random`"),
    ],
)
def test_each_interface_needs_its_profile(
    wasm_runtime: WasmRuntime, write_app: AppWriter, imports: list[str] | None, denied: str,
    profiles: str,
) -> None:
    with pytest.raises(LinkError) as err:
        load(wasm_runtime, write_app, "wasi_caps.wasm", "random-u64", imports)
    assert str(err.value) == (
        f"test:c: component imports {denied}, which its entry does not enable; "
        f"add {profiles} to `imports`"
    )


def test_non_wasi_import_is_refused_by_name(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    with pytest.raises(LinkError, match="^test:c: component imports wippy:caps/host, which no "
                       "host interface provides$"):
        load(wasm_runtime, write_app, "wasi_caps_host.wasm", "random-u64", CAPS)


def test_no_profile_means_no_host_access(wasm_runtime: WasmRuntime, write_app: AppWriter) -> None:
    # A component that needs nothing runs without profiles; one that needs anything does not load.
    prog = load(wasm_runtime, write_app, "wit_types.wasm", "wippy:wit-types/math#add", None)
    assert call(prog, 1, 2) == 3
    with pytest.raises(LinkError) as err:
        load(wasm_runtime, write_app, "wasi_component.wasm", "hello", None)
    message = str(err.value)
    assert message.startswith("test:c: component imports wasi:cli/environment@0.2.")
    for interface in ("wasi:cli/stdout", "wasi:io/streams", "wasi:clocks/monotonic-clock",
                      "wasi:filesystem/preopens"):
        assert interface in message
    assert message.endswith("add `wasi:cli`, `wasi:clocks`, `wasi:filesystem`, `wasi:io` to "
                            "`imports`")


def test_adapter_component_needs_every_package_it_imports(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    with pytest.raises(LinkError) as err:
        load(wasm_runtime, write_app, "wasi_component.wasm", "hello", ["wasi:cli", "wasi:clocks"])
    message = str(err.value)
    assert "wasi:filesystem/preopens@0.2." in message and "wasi:filesystem/types@0.2." in message
    assert "wasi:cli/" not in message and "wasi:io/" not in message  # wasi:io is implied
    assert message.endswith("add `wasi:filesystem` to `imports`")


def test_adapter_component_runs_with_its_profiles(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    prog = load(wasm_runtime, write_app, "wasi_component.wasm", "hello", DEMO)
    out = bytearray()
    instance = prog.instantiate(stdout=out.extend)
    try:
        assert instance.call(()) == "hello from C"
    finally:
        instance.close()
    assert out == b"hello from C\n"
