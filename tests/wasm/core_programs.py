"""Core programs straight from a wasmtime engine (no registry, no runtime), for the tests that
step instances themselves or add programs to a runtime by hand (the engine: the
``core_engine`` fixture of tests/conftest.py)."""

from __future__ import annotations

from tests.conftest import FIXTURES
from wippy.wasm.spec import HostInterface, LimitSpec, ProgramSpec, WasiSpec
from wippy.wasm.wasmtime.core import CoreProgram
from wippy.wasm.wasmtime.engine import WasmtimeEngine


def program(
    engine: WasmtimeEngine, name: str, method: str, *, imports: frozenset[str] = frozenset(),
    limits: LimitSpec | None = None, interfaces: tuple[HostInterface, ...] = (),
) -> CoreProgram:
    """The core program of ``method`` in the fixture ``name``, entry id ``t:<method>``."""
    spec = ProgramSpec(
        entry_id=f"t:{method}", wasm=(FIXTURES / name).read_bytes(), digest="sha256:-",
        method=method, imports=imports, wasi=WasiSpec(), limits=limits or LimitSpec(),
        host_interfaces=interfaces,
    )
    prog = engine.program(spec)
    assert isinstance(prog, CoreProgram)
    return prog
