#!/usr/bin/env python3
"""Check that the committed WebAssembly fixtures behave as documented.

Runs every binary built by tools/build-fixtures.sh directly on wasmtime-py (no
wippy code involved), asserting exports, imports and behaviour as described in
tests/fixtures/README.md. Exits 1 on the first failed check group, printing what
went wrong; prints one "ok" line per fixture otherwise.

With ``--manifest`` it checks instead that every committed binary still has the sha256 pinned
in tests/fixtures/manifest.sha256 (see tools/fixture_manifest.py), naming the file and both
hashes when one differs; ``make test`` runs that.

Usage: python tools/check-fixtures.py [--manifest]   (needs wasmtime>=50,<51)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import wasmtime
from wasmtime import component

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "compute" / "wasm"
FIX = ROOT / "tests" / "fixtures" / "wasm"

ENGINE = wasmtime.Engine()
_fuel_config = wasmtime.Config()
_fuel_config.consume_fuel = True
FUEL_ENGINE = wasmtime.Engine(_fuel_config)


class CheckFailed(Exception):
    pass


def check(cond: bool, what: str) -> None:
    if not cond:
        raise CheckFailed(what)


def expect_trap(fn: Callable[[], Any], code: wasmtime.TrapCode, what: str) -> None:
    try:
        fn()
    except wasmtime.Trap as exc:
        check(exc.trap_code == code, f"{what}: trap code {exc.trap_code}, wanted {code}")
        return
    raise CheckFailed(f"{what}: no trap")


def module(path: Path, engine: wasmtime.Engine = ENGINE) -> wasmtime.Module:
    return wasmtime.Module.from_file(engine, str(path))


def signature(m: wasmtime.Module) -> tuple[dict[str, str], list[str]]:
    """({export name: kind/type}, ["module.name", ...]) of a core module."""

    def show(ty: Any) -> str:
        if isinstance(ty, wasmtime.FuncType):
            params = ", ".join(str(p) for p in ty.params)
            results = ", ".join(str(r) for r in ty.results)
            return f"func({params}) -> ({results})"
        return type(ty).__name__

    exports = {e.name: show(e.type) for e in m.exports}
    imports = [f"{i.module}.{i.name}" for i in m.imports]
    return exports, imports


def instantiate(m: wasmtime.Module, wasi: wasmtime.WasiConfig | None = None
                ) -> tuple[wasmtime.Store, Any]:
    """Instantiate a module of ENGINE, with WASI preview1 when wasi is given."""
    store = wasmtime.Store(ENGINE)
    linker = wasmtime.Linker(ENGINE)
    if wasi is not None:
        linker.define_wasi()
        store.set_wasi(wasi)
    return store, linker.instantiate(store, m).exports(store)


# ------------------------------------------------------------------ core modules


def check_worker() -> None:
    m = module(EXAMPLE / "worker.wasm")
    exports, imports = signature(m)
    check(exports == {"compute": "func(i32, i32) -> (i32)"}, f"exports {exports}")
    check(imports == [], f"imports {imports}")
    store, ex = instantiate(m)
    check(ex["compute"](store, 6, 7) == 42, "compute(6, 7) != 42")
    check(ex["compute"](store, -3, 5) == -15, "compute(-3, 5) != -15")


def check_traps() -> None:
    m = wasmtime.Module.from_file(FUEL_ENGINE, str(FIX / "traps.wasm"))
    exports, imports = signature(m)
    check(imports == [], f"imports {imports}")
    wanted = {
        "memory": "MemoryType",
        "unreachable": "func() -> ()",
        "div_zero": "func(i32) -> (i32)",
        "oob": "func() -> (i32)",
        "stack_overflow": "func() -> ()",
        "add": "func(i32, i32) -> (i32)",
        "add64": "func(i64, i64) -> (i64)",
        "addf": "func(f64, f64) -> (f64)",
        "addf32": "func(f32, f32) -> (f32)",
        "noop": "func() -> ()",
        "pair": "func() -> (i32, i32)",
        "busy": "func() -> ()",
        "count": "func(i64) -> (i64)",
    }
    check(exports == wanted, f"exports {exports}")
    store = wasmtime.Store(FUEL_ENGINE)
    store.set_fuel(10_000_000)
    ex = wasmtime.Instance(store, m, []).exports(store)
    T = wasmtime.TrapCode
    expect_trap(lambda: ex["unreachable"](store), T.UNREACHABLE, "unreachable()")
    expect_trap(lambda: ex["div_zero"](store, 0), T.INTEGER_DIVISION_BY_ZERO, "div_zero(0)")
    expect_trap(lambda: ex["oob"](store), T.MEMORY_OUT_OF_BOUNDS, "oob()")
    expect_trap(lambda: ex["stack_overflow"](store), T.STACK_OVERFLOW, "stack_overflow()")
    check(ex["div_zero"](store, 1) == 1, "div_zero(1)")
    check(ex["add"](store, 2, 3) == 5, "add")
    check(ex["add"](store, 2**31 - 1, 1) == -(2**31), "add wraps")
    check(ex["add64"](store, 2**40, 2**40) == 2**41, "add64")
    check(ex["addf"](store, 0.5, 0.25) == 0.75, "addf")
    check(ex["addf32"](store, 1.5, 2.25) == 3.75, "addf32")
    check(ex["noop"](store) is None, "noop")
    check(list(ex["pair"](store)) == [1, 2], "pair")
    check(ex["count"](store, 1000) == 1000, "count(1000)")
    check(ex["count"](store, -5) == 0, "count(-5)")
    # count's fuel use grows linearly with n.
    store.set_fuel(10_000_000)
    ex["count"](store, 1000)
    used_1k = 10_000_000 - store.get_fuel()
    store.set_fuel(10_000_000)
    ex["count"](store, 100_000)
    used_100k = 10_000_000 - store.get_fuel()
    check(80 * used_1k < used_100k < 120 * used_1k, f"count fuel {used_1k} vs {used_100k}")
    # busy never returns: fuel runs out.
    store.set_fuel(1_000_000)
    expect_trap(lambda: ex["busy"](store), T.OUT_OF_FUEL, "busy()")


def check_functions() -> None:
    m = wasmtime.Module.from_file(FUEL_ENGINE, str(FIX / "functions.wasm"))
    exports, imports = signature(m)
    check(sorted(exports) == ["add", "count", "fail_if", "is_zero", "mix", "neg", "spin"],
          f"functions exports {exports}")
    check(imports == [], f"functions imports {imports}")
    store = wasmtime.Store(FUEL_ENGINE)
    store.set_fuel(10**9)
    inst = wasmtime.Instance(store, m, [])

    def call(name: str, *args: Any) -> Any:
        return inst.exports(store)[name](store, *args)

    check(call("add", 6, 7) == 13, "functions.add(6, 7)")
    check([call("count"), call("count"), call("fail_if", 0)] == [1, 2, 3], "functions.count")
    expect_trap(lambda: call("fail_if", 1), wasmtime.TrapCode.UNREACHABLE, "functions.fail_if(1)")
    check(call("spin", 1000) == 1000, "functions.spin(1000)")
    check(call("neg", 1) == -1 and call("is_zero", 0) == 1 and call("is_zero", 5) == 0,
          "functions.neg/is_zero")
    check(call("mix", 1, 0.5, 0.25) == 1.75, "functions.mix(1, 0.5, 0.25)")


def check_membomb() -> None:
    m = module(FIX / "membomb.wasm")
    exports, imports = signature(m)
    check(exports == {"memory": "MemoryType", "grow_forever": "func() -> (i32)",
                      "grow": "func(i32) -> (i32)"}, f"exports {exports}")
    check(imports == [], f"imports {imports}")
    store = wasmtime.Store(ENGINE)
    store.set_limits(memory_size=4 * 1024 * 1024)
    ex = wasmtime.Instance(store, m, []).exports(store)
    check(ex["memory"].size(store) == 1, "initial size")
    check(ex["grow"](store, 1) == 1, "grow(1) returns the old size 1")
    check(ex["grow"](store, 0) == 2, "grow(0) returns 2")
    check(ex["grow"](store, 1000) == -1, "grow(1000) beyond the limit returns -1")
    expect_trap(lambda: ex["grow_forever"](store), wasmtime.TrapCode.UNREACHABLE,
                "grow_forever()")
    pages = ex["memory"].size(store)
    check(50 <= pages <= 64, f"memory after grow_forever: {pages} pages, limit 64")


def check_host_raise() -> None:
    m = module(FIX / "host_raise.wasm")
    exports, imports = signature(m)
    check(exports == {"run": "func(i32) -> (i32)"}, f"exports {exports}")
    check(imports == ["wippy_test.fail"], f"imports {imports}")
    i32 = wasmtime.ValType.i32()

    class GuestError(Exception):
        pass

    def fail(x: int) -> int:
        if x < 0:
            raise GuestError(f"failed on {x}")
        return x + 1

    # Sequential on purpose: wasmtime-py 50 keeps the exception raised by a host
    # function in one module-global slot (wasmtime._func.LAST_EXCEPTION), so with
    # several threads calling at once an exception can surface in another thread's
    # call, or a call can fail with a bare WasmtimeError("python exception").
    # Routing exceptions correctly under parallelism is wippy's job, tested there.
    store = wasmtime.Store(ENGINE)
    linker = wasmtime.Linker(ENGINE)
    linker.define_func("wippy_test", "fail", wasmtime.FuncType([i32], [i32]), fail)
    run = linker.instantiate(store, m).exports(store)["run"]
    check(run(store, 41) == 42, "run(41) != 42")
    for x in (-1, -2):
        try:
            run(store, x)
            raise CheckFailed(f"run({x}): no exception")
        except GuestError as exc:
            check(str(exc) == f"failed on {x}", f"run({x}) raised {exc}")
    check(run(store, 1) == 2, "run(1) after an exception")


def check_proc_exit() -> None:
    m = module(FIX / "proc_exit.wasm")
    exports, imports = signature(m)
    check(exports == {"memory": "MemoryType", "exit_with": "func(i32) -> ()",
                      "_start": "func() -> ()"}, f"exports {exports}")
    check(imports == ["wasi_snapshot_preview1.proc_exit"], f"imports {imports}")
    for name, args, code in [("exit_with", (7,), 7), ("exit_with", (0,), 0), ("_start", (), 0)]:
        store, ex = instantiate(m, wasmtime.WasiConfig())
        try:
            ex[name](store, *args)
            raise CheckFailed(f"{name}{args} returned")
        except wasmtime.ExitTrap as exc:
            check(exc.code == code, f"{name}{args}: exit code {exc.code}")


def check_needs_env() -> None:
    m = module(FIX / "needs_env.wasm")
    exports, imports = signature(m)
    check(exports == {"run": "func() -> ()"}, f"exports {exports}")
    check(imports == ["env.missing_function"], f"imports {imports}")
    linker = wasmtime.Linker(ENGINE)
    linker.define_wasi()
    store = wasmtime.Store(ENGINE)
    store.set_wasi(wasmtime.WasiConfig())
    try:
        linker.instantiate(store, m)
        raise CheckFailed("instantiated without env.missing_function")
    except wasmtime.WasmtimeError as exc:
        check("missing_function" in str(exc), f"error does not name the import: {exc}")


# ------------------------------------------------------------------ WASI preview1


@contextmanager
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="wippy-check-") as d:
        yield Path(d)


class Run:
    def __init__(self, code: int | None, stdout: str, stderr: str, seconds: float,
                 trap: wasmtime.Trap | None) -> None:
        self.code, self.stdout, self.stderr = code, stdout, stderr
        self.seconds, self.trap = seconds, trap


def run_command(path: Path, argv: list[str], *, env: dict[str, str] | None = None,
                preopens: dict[str, Path] | None = None, fuel: int | None = None) -> Run:
    """Run a WASI p1 command's _start; code is None when it trapped."""
    engine = FUEL_ENGINE if fuel is not None else ENGINE
    m = wasmtime.Module.from_file(engine, str(path))
    with scratch() as tmp:
        wasi = wasmtime.WasiConfig()
        wasi.argv = argv
        wasi.env = list((env or {}).items())
        wasi.stdout_file = str(tmp / "out")
        wasi.stderr_file = str(tmp / "err")
        for guest, host in (preopens or {}).items():
            wasi.preopen_dir(str(host), guest)
        store = wasmtime.Store(engine)
        if fuel is not None:
            store.set_fuel(fuel)
        store.set_wasi(wasi)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        start = linker.instantiate(store, m).exports(store)["_start"]
        code: int | None = 0
        trap = None
        t0 = time.monotonic()
        try:
            start(store)
        except wasmtime.ExitTrap as exc:
            code = exc.code
        except wasmtime.Trap as exc:
            code, trap = None, exc
        seconds = time.monotonic() - t0
        return Run(code, (tmp / "out").read_text(), (tmp / "err").read_text(), seconds, trap)


def check_wasi_c() -> None:
    path = FIX / "wasi_c.wasm"
    exports, imports = signature(module(path))
    check(set(exports) == {"memory", "_start"}, f"exports {exports}")
    check(all(i.startswith("wasi_snapshot_preview1.") for i in imports), f"imports {imports}")

    def run(*args: str, **kw: Any) -> Run:
        return run_command(path, ["wasi_c", *args], **kw)

    r = run("args", "a b", "ü")
    check((r.code, r.stdout) == (0, "wasi_c\nargs\na b\nü\n"), f"args: {r.code} {r.stdout!r}")
    r = run("env", "NAME", env={"NAME": "value"})
    check((r.code, r.stdout) == (0, "value\n"), f"env: {r.stdout!r}")
    r = run("env", "NAME")
    check(r.stdout == "<unset>\n", f"env unset: {r.stdout!r}")
    with scratch() as d:
        (d / "b.txt").write_text("bee\n")
        (d / "a.txt").write_text("hello\nworld\n")
        (d / "sub").mkdir()
        r = run("cat", "/data/a.txt", preopens={"/data": d})
        check((r.code, r.stdout) == (0, "hello\nworld\n"), f"cat: {r.code} {r.stdout!r}")
        r = run("cat", "/data/none", preopens={"/data": d})
        check(r.code == 3 and "No such file" in r.stderr, f"cat missing: {r.code} {r.stderr!r}")
        r = run("ls", "/data", preopens={"/data": d})
        check((r.code, r.stdout) == (0, "a.txt\nb.txt\nsub\n"), f"ls: {r.stdout!r}")
        r = run("write", "/data/new.txt", "written", preopens={"/data": d})
        check(r.code == 0 and (d / "new.txt").read_text() == "written", f"write: {r.code}")
        r = run("write", "/data/a.txt", "short", preopens={"/data": d})
        check(r.code == 0 and (d / "a.txt").read_text() == "short", "write truncates")
    r = run("write", "/nowhere/x", "text")
    check(r.code == 3 and r.stderr.startswith("/nowhere/x: "), f"write: {r.code} {r.stderr!r}")
    r = run("sleep", "100")
    check(r.code == 0 and r.stdout == "slept\n" and r.seconds >= 0.09, f"sleep: {r.seconds}")
    r = run("stderr", "oops")
    check((r.code, r.stdout, r.stderr) == (0, "", "oops\n"), f"stderr: {r.stderr!r}")
    for n in (0, 1, 42):
        r = run("exit", str(n))
        check(r.code == n, f"exit {n}: {r.code}")
    r = run("spin", fuel=5_000_000)
    check(r.trap is not None and r.trap.trap_code == wasmtime.TrapCode.OUT_OF_FUEL, "spin")
    r = run("cwd")
    check((r.code, r.stdout) == (0, "/\n"), f"cwd: {r.stdout!r}")
    r = run()
    check(r.code == 2 and r.stderr.startswith("usage:"), f"no command: {r.code}")
    r = run("bogus")
    check(r.code == 2, f"unknown command: {r.code}")


def check_wasi_c_reactor() -> None:
    m = module(FIX / "wasi_c_reactor.wasm")
    exports, imports = signature(m)
    check(exports == {"memory": "MemoryType", "_initialize": "func() -> ()",
                      "sleep_ms": "func(i32) -> (i32)", "hello": "func() -> (i32)",
                      "add": "func(i32, i32) -> (i32)"}, f"exports {exports}")
    check(all(i.startswith("wasi_snapshot_preview1.") for i in imports), f"imports {imports}")
    with scratch() as tmp:
        wasi = wasmtime.WasiConfig()
        wasi.stdout_file = str(tmp / "out")
        store, ex = instantiate(m, wasi)
        ex["_initialize"](store)
        check(ex["hello"](store) == 0, "hello() != 0")
        check(ex["hello"](store) == 0, "hello() != 0")
        t0 = time.monotonic()
        check(ex["sleep_ms"](store, 50) == 50, "sleep_ms(50) != 50")
        check(time.monotonic() - t0 >= 0.045, "sleep_ms(50) did not sleep")
        check(ex["add"](store, 40, 2) == 42, "add")
        out = (tmp / "out").read_text()
        check(out == "hello from C\nhello from C\n", f"stdout {out!r}")


def check_wasi_rust() -> None:
    path = FIX / "wasi_rust.wasm"
    exports, imports = signature(module(path))
    check({"memory", "_start"} <= set(exports), f"exports {exports}")
    check(all(i.startswith("wasi_snapshot_preview1.") for i in imports), f"imports {imports}")
    r = run_command(path, ["wasi_rust", "a", "b c"])
    check((r.code, r.stdout) == (0, "rust says: a b c\n"), f"plain: {r.code} {r.stdout!r}")
    r = run_command(path, ["wasi_rust"], env={"GREETING": "hi"})
    check(r.stdout == "rust says: \nGREETING=hi\n", f"greeting: {r.stdout!r}")
    with scratch() as d:
        for name in ("z", "a", "m"):
            (d / name).write_text(name)
        r = run_command(path, ["wasi_rust", "x"], preopens={"/data": d})
        check(r.stdout == "rust says: x\n/data:\n  a\n  m\n  z\n", f"/data: {r.stdout!r}")
    r = run_command(path, ["wasi_rust", "--exit-with-count", "p", "q"])
    check(r.code == 3 and r.stdout == "rust says: --exit-with-count p q\n", f"count {r.code}")


# ------------------------------------------------------------------ components


def load_component(path: Path, wasi: wasmtime.WasiConfig | None = None
                   ) -> tuple[wasmtime.Store, component.Component, component.Instance]:
    comp = component.Component(ENGINE, path.read_bytes())
    store = wasmtime.Store(ENGINE)
    linker = component.Linker(ENGINE)
    if wasi is not None:
        store.set_wasi(wasi)
        linker.add_wasip2()
    return store, comp, linker.instantiate(store, comp)


def component_func(store: wasmtime.Store, inst: component.Instance, name: str,
                   interface: str | None = None) -> component.Func:
    parent = inst.get_export_index(store, interface) if interface else None
    check(interface is None or parent is not None, f"no export {interface}")
    idx = inst.get_export_index(store, name, parent)
    check(idx is not None, f"no export {name}")
    func = inst.get_func(store, idx)
    check(func is not None, f"{name} is not a function")
    assert func is not None
    return func


def check_greet() -> None:
    store, comp, inst = load_component(EXAMPLE / "greet.wasm")
    check(list(comp.type.imports(ENGINE)) == [], "greet.wasm has imports")
    check(list(comp.type.exports(ENGINE)) == ["greet"], "exports")
    greet = component_func(store, inst, "greet")
    for name in ("wippy", "", "Zoë", "x" * 100_000):
        got = greet(store, name)
        check(got == f"Hello, {name}!", f"greet({name[:10]!r}) = {got[:20]!r}")


def check_types() -> None:
    store, comp, inst = load_component(FIX / "types.wasm")
    check(list(comp.type.imports(ENGINE)) == [], "types.wasm has imports")
    iface = "wippy:types/api"
    check(list(comp.type.exports(ENGINE)) == [iface], "exports")

    def f(name: str) -> component.Func:
        return component_func(store, inst, name, iface)

    check(f("add")(store, 2, 3) == 5, "add")
    check(f("add")(store, 2**31 - 1, 1) == -(2**31), "add wraps")
    for xs in ([], [1, 2, 3, 2**32 - 1], list(range(50_000))):
        check(f("echo-list")(store, xs) == xs, f"echo-list of {len(xs)}")
    check(f("swap")(store, ("abc", 7)) == (7, "abc"), "swap")
    check(f("swap")(store, ("", 2**64 - 1)) == (2**64 - 1, ""), "swap empty")
    p = component.Record()
    p.x, p.y = 1.5, -2.0
    q = f("move-point")(store, p)
    check((q.x, q.y) == (2.5, -1.0), f"move-point {q.__dict__}")
    check(f("maybe")(store, None) is None, "maybe(none)")
    check(f("maybe")(store, 21) == 42, "maybe(21)")
    check(f("maybe")(store, 2**31) == 0, "maybe wraps")
    check(f("checked-div")(store, 7, 2) == 3, "checked-div ok")
    check(f("checked-div")(store, -7, 2) == -3, "checked-div truncates")
    check(f("checked-div")(store, 1, 0) == "division by zero", "checked-div by zero")
    check(f("checked-div")(store, -(2**31), -1) == "overflow", "checked-div overflow")
    for c in ("red", "green", "blue"):
        check(f("color-name")(store, c) == c, f"color-name({c})")
    # Many calls: the bump allocator is reset after each call (post-return).
    for _ in range(2000):
        f("swap")(store, ("y" * 1000, 1))


def check_wit_types() -> None:
    store, comp, inst = load_component(FIX / "wit_types.wasm")
    check(list(comp.type.imports(ENGINE)) == [], "wit_types.wasm has imports")
    values, math = "wippy:wit-types/values", "wippy:wit-types/math"
    check(list(comp.type.exports(ENGINE)) == [values, math], "exports")

    def f(name: str, iface: str = values) -> component.Func:
        return component_func(store, inst, name, iface)

    V = component.Variant
    edges = [(-128, 0, -32768, 0, -(2**31), 0, -(2**63), 0),
             (127, 255, 32767, 65535, 2**31 - 1, 2**32 - 1, 2**63 - 1, 2**64 - 1)]
    for ints in edges:
        check(f("ints")(store, *ints) == ints, f"ints {ints}")
    check(f("floats")(store, 1.5, -2.25) == (1.5, -2.25), "floats")
    check(f("next-char")(store, "\ud7ff") == "\ue000", "next-char skips surrogates")
    check(f("next-char")(store, "\U0010ffff") == "\x00", "next-char wraps")
    check(f("flip")(store, (True, 7)) == (7, True), "flip")
    check(f("reverse-bytes")(store, b"abc") == b"cba", "reverse-bytes")
    item = component.Record()
    item.name, item.qty, item.tags = "tea", 3, ["a", "b"]
    setattr(item, "gift-note", "hi")
    order = component.Record()
    order.id, order.items, order.priority = 2**64 - 1, [item, item], 9
    got = f("echo-order")(store, order)
    check((got.id, got.priority, len(got.items)) == (2**64 - 1, 9, 2), "echo-order")
    check(got.items[1].__dict__ == item.__dict__, "echo-order item")
    check(f("total-qty")(store, order) == 6, "total-qty")
    for opt in (V("none"), V("some", None), V("some", 5)):
        check(f("nested-option")(store, opt) == opt, f"nested-option {opt}")
    check(f("validate")(store, "ab-1") == V("ok", "ab-1"), "validate ok")
    check(f("validate")(store, "") == V("err", "empty name"), "validate empty")
    check(f("validate")(store, "A") == V("err", "invalid character"), "validate bad")
    check(f("check-sign")(store, -1) == V("err"), "check-sign")
    check(f("unwrap-or")(store, 5, 9) == 5 and f("unwrap-or")(store, "e", 9) == 9, "unwrap-or")
    check(f("next-color")(store, "blue") == "red", "next-color")
    check(f("toggle-write")(store, {"read"}) == {"read", "write"}, "toggle-write")
    check(f("scale")(store, 2.0, 3.0) == 6.0 and f("scale")(store, None, 3.0) is None, "scale")
    for token in (V("num", -5), V("big", -(2**63)), V("word", "hi"), V("eof")):
        check(f("echo-token")(store, token) == token, f"echo-token {token}")
    check(f("add", math)(store, 200, 100) == 44, "add wraps")
    check(f("checked-add", math)(store, 200, 100) == "overflow", "checked-add overflow")
    check(f("checked-add", math)(store, 2, 3) == 5, "checked-add")
    for _ in range(2000):  # post-return resets the bump allocator
        f("validate")(store, "y" * 1000)


def check_wasi_caps() -> None:
    for name in ("wasi_caps.wasm", "wasi_caps_host.wasm"):
        comp = component.Component(ENGINE, (FIX / name).read_bytes())
        imports = sorted(comp.type.imports(ENGINE))
        wanted = ["wasi:clocks/wall-clock@0.2.0", "wasi:random/random@0.2.0"]
        if name == "wasi_caps_host.wasm":
            wanted.append("wippy:caps/host")
        check(imports == wanted, f"{name} imports {imports}")
    store, comp, inst = load_component(FIX / "wasi_caps.wasm", wasmtime.WasiConfig())
    draws = {component_func(store, inst, "random-u64")(store) for _ in range(4)}
    check(len(draws) > 1, f"random-u64 draws {draws}")
    seconds = component_func(store, inst, "wall-seconds")(store)
    check(abs(seconds - time.time()) < 60, f"wall-seconds {seconds}")


def check_wasi_component() -> None:
    with scratch() as tmp:
        (tmp / "f.txt").write_text("file body\n")
        wasi = wasmtime.WasiConfig()
        wasi.env = [("GREETING", "hi")]
        wasi.preopen_dir(str(tmp), "/data")
        wasi.stdout_file = str(tmp / "out")
        wasi.stderr_file = str(tmp / "err")
        store, comp, inst = load_component(FIX / "wasi_component.wasm", wasi)
        exports = list(comp.type.exports(ENGINE))
        check(exports == ["hello", "sleep-ms", "get-env", "read-file", "log-stderr"],
              f"exports {exports}")
        imports = list(comp.type.imports(ENGINE))
        check(all(i.startswith("wasi:") for i in imports), f"imports {imports}")

        def f(name: str) -> component.Func:
            return component_func(store, inst, name)

        check(f("hello")(store) == "hello from C", "hello")
        t0 = time.monotonic()
        check(f("sleep-ms")(store, 50) == 50, "sleep-ms")
        check(time.monotonic() - t0 >= 0.045, "sleep-ms did not sleep")
        check(f("get-env")(store, "GREETING") == "hi", "get-env")
        check(f("get-env")(store, "NOPE") is None, "get-env unset")
        r = f("read-file")(store, "/data/f.txt")
        check((r.tag, r.payload) == ("ok", "file body\n"), f"read-file {r}")
        r = f("read-file")(store, "/data/none")
        check((r.tag, r.payload) == ("err", "No such file or directory"), f"read-file {r}")
        f("log-stderr")(store, "to stderr")
        for _ in range(500):
            f("get-env")(store, "GREETING")
        check((tmp / "out").read_text() == "hello from C\n", "stdout")
        check((tmp / "err").read_text() == "to stderr", "stderr")


def check_wasi_c_component() -> None:
    path = FIX / "wasi_c_component.wasm"

    def run(*args: str) -> tuple[Any, str]:
        with scratch() as tmp:
            wasi = wasmtime.WasiConfig()
            wasi.argv = ["wasi_c", *args]
            wasi.stdout_file = str(tmp / "out")
            store, comp, inst = load_component(path, wasi)
            exports = list(comp.type.exports(ENGINE))
            check(len(exports) == 1 and exports[0].startswith("wasi:cli/run@0.2."),
                  f"exports {exports}")
            func = component_func(store, inst, "run", exports[0])
            try:
                result: Any = func(store)
            except wasmtime.ExitTrap as exc:
                result = exc.code
            return result, (tmp / "out").read_text()

    result, out = run("args", "x")
    check(result.tag == "ok" and out == "wasi_c\nargs\nx\n", f"args: {result} {out!r}")
    # Preview 2 exit statuses are only success/failure: exit(N != 0) becomes 1.
    check(run("exit", "0")[0] == 0, "exit 0")
    check(run("exit", "5")[0] == 1, "exit 5")


# ------------------------------------------------------------------ preview 2: http, sockets


@contextmanager
def loopback_servers() -> Iterator[tuple[int, int]]:
    """(http port, tcp echo port) of servers on 127.0.0.1, stopped afterwards."""
    import http.server
    import socketserver
    import threading

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"x" * 1234
            self.send_response(200 if self.path == "/page" else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    class Echo(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.sendall(b"echo:" + self.request.recv(4096))

    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    echo = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (web, echo)]
    for t in threads:
        t.start()
    try:
        yield web.server_address[1], echo.server_address[1]
    finally:
        for srv in (web, echo):
            srv.shutdown()
            srv.server_close()


def p2_instance(path: Path, wasi: wasmtime.WasiConfig
                ) -> tuple[wasmtime.Store, component.Component, component.Instance]:
    comp = component.Component(ENGINE, path.read_bytes())
    store = wasmtime.Store(ENGINE)
    store.set_wasi(wasi)
    store.set_wasi_http()
    linker = component.Linker(ENGINE)
    linker.add_wasip2()
    linker.add_wasi_http()
    return store, comp, linker.instantiate(store, comp)


def check_wasi_p2() -> None:
    import socket

    with scratch() as tmp, loopback_servers() as (web, echo):
        (tmp / "in").write_bytes(b"from stdin\n")
        wasi = wasmtime.WasiConfig()
        wasi.argv = ["p2", "a b", "c"]
        wasi.stdin_file = str(tmp / "in")
        wasi.preopen_dir(str(tmp), "/ro", False)
        wasmtime._ffi.wasi_config_inherit_network(wasi.ptr())
        store, comp, inst = p2_instance(FIX / "wasi_p2.wasm", wasi)
        exports = list(comp.type.exports(ENGINE))
        check(exports == ["http-get", "tcp-echo", "read-stdin", "random-bytes", "args",
                          "exit-with", "sleep-ms", "write-file", "read-count"],
              f"exports {exports}")
        imports = list(comp.type.imports(ENGINE))
        for name in ("wasi:http/outgoing-handler@0.2.12", "wasi:sockets/tcp@0.2.12"):
            check(name in imports, f"imports lack {name}: {imports}")

        def call(name: str, *args: Any) -> Any:
            func = component_func(store, inst, name)
            result = func(store, *args)
            func.post_return(store)
            return result

        r = call("http-get", f"http://127.0.0.1:{web}/page")
        check((r.status, getattr(r, "body-length")) == (200, 1234), f"http-get {vars(r)}")
        r = call("http-get", f"http://127.0.0.1:{web}/other")
        check(r.status == 404, f"http-get 404 {vars(r)}")
        with socket.socket() as closed:  # a port nobody listens on
            closed.bind(("127.0.0.1", 0))
            port = closed.getsockname()[1]
        r = call("http-get", f"http://127.0.0.1:{port}/")
        check(r == "request failed: connection-refused", f"http-get refused {r!r}")
        # wasmtime 50's C API leaves TCP disabled in the WASI context (no allow_tcp switch).
        r = call("tcp-echo", echo, "hi")
        check((r.tag, r.payload) == ("err", "create-tcp-socket: access-denied"),
              f"tcp-echo {r}")
        check(call("read-stdin") == "from stdin\n", "read-stdin")
        a, b = call("random-bytes", 64), call("random-bytes", 64)
        check(len(a) == 64 and a != b, "random-bytes")
        check(call("args") == ["p2", "a b", "c"], "args")
        t0 = time.monotonic()
        check(call("sleep-ms", 50) == 50 and time.monotonic() - t0 >= 0.045, "sleep-ms")
        # result<_, string> and result<u32, string> lift to the bare payload (distinct types)
        r = call("write-file", "/ro/new", "text")
        check(r == "Operation not permitted", f"write-file ro {r!r}")
        check(not (tmp / "new").exists(), "write-file ro created the file")
        r = call("read-count", "/ro/in")
        check(r == 11, f"read-count {r!r}")
        try:
            call("exit-with", 3)
            raise CheckFailed("exit-with returned")
        except wasmtime.ExitTrap as exc:
            check(exc.code == 1, f"exit-with 3: code {exc.code}")


def check_fetch() -> None:
    with loopback_servers() as (web, _echo), scratch() as tmp:
        wasi = wasmtime.WasiConfig()
        wasi.stderr_file = str(tmp / "err")
        store, comp, inst = p2_instance(EXAMPLE.parent.parent / "http/wasm/fetch.wasm", wasi)
        check(list(comp.type.exports(ENGINE)) == ["fetch"], "exports")
        func = component_func(store, inst, "fetch")
        r = func(store, f"http://127.0.0.1:{web}/page", 0)
        func.post_return(store)
        check((r.status, getattr(r, "body-length")) == (200, 1234), f"fetch {vars(r)}")
        web_port = web
    t0 = time.monotonic()
    try:  # the server is gone now: stderr, the delay, exit status 1
        func(store, f"http://127.0.0.1:{web_port}/page", 100)
        raise CheckFailed("fetch of a stopped server returned")
    except wasmtime.ExitTrap as exc:
        check(exc.code == 1 and time.monotonic() - t0 >= 0.09, f"fetch down: {exc.code}")


CHECKS: list[tuple[str, Callable[[], None]]] = [
    ("examples/compute/wasm/worker.wasm", check_worker),
    ("examples/compute/wasm/greet.wasm", check_greet),
    ("tests/fixtures/wasm/traps.wasm", check_traps),
    ("tests/fixtures/wasm/membomb.wasm", check_membomb),
    ("tests/fixtures/wasm/functions.wasm", check_functions),
    ("tests/fixtures/wasm/host_raise.wasm", check_host_raise),
    ("tests/fixtures/wasm/proc_exit.wasm", check_proc_exit),
    ("tests/fixtures/wasm/needs_env.wasm", check_needs_env),
    ("tests/fixtures/wasm/wasi_c.wasm", check_wasi_c),
    ("tests/fixtures/wasm/wasi_c_reactor.wasm", check_wasi_c_reactor),
    ("tests/fixtures/wasm/wasi_rust.wasm", check_wasi_rust),
    ("tests/fixtures/wasm/types.wasm", check_types),
    ("tests/fixtures/wasm/wit_types.wasm", check_wit_types),
    ("tests/fixtures/wasm/wasi_caps{,_host}.wasm", check_wasi_caps),
    ("tests/fixtures/wasm/wasi_component.wasm", check_wasi_component),
    ("tests/fixtures/wasm/wasi_c_component.wasm", check_wasi_c_component),
    ("tests/fixtures/wasm/wasi_p2.wasm", check_wasi_p2),
    ("examples/http/wasm/fetch.wasm", check_fetch),
]


def check_manifest() -> int:
    """Compares every committed binary with its pin; prints each difference, 1 if any."""
    import fixture_manifest  # beside this script, which puts its folder on sys.path

    return fixture_manifest.main([])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", action="store_true",
                        help="check the binaries against tests/fixtures/manifest.sha256 only")
    if parser.parse_args().manifest:
        return check_manifest()
    failed = 0
    for name, fn in CHECKS:
        t0 = time.monotonic()
        try:
            fn()
        except Exception as exc:  # report every fixture, then fail
            failed += 1
            print(f"FAIL {name}: {type(exc).__name__}: {exc}", flush=True)
            continue
        print(f"ok   {name} ({time.monotonic() - t0:.2f}s)", flush=True)
    if failed:
        print(f"{failed} fixture check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
