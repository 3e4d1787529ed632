"""Function entries through the CLI: `run` calls them (no host needed), `check` checks them,
and the seed's configuration block runs as written."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from tests.cli.console import run, write_yaml
from tests.conftest import EXAMPLES, digest
from tests.wasm.function_helpers import FUNCTIONS_WAT, fn_wasm, fn_wat, function_app

SEED = """\
version: "1.0"
namespace: app
entries:
  - name: wasm_binaries
    kind: fs.directory
    directory: ./wasm
  - name: compute_worker
    kind: process.wasm
    fs: app:wasm_binaries
    path: /worker.wasm
    hash: sha256:...
    method: compute
"""

TUTORIAL_HOSTS = """\
  - name: processes
    kind: process.host
    host: {workers: 8, queue_size: 1024}
    lifecycle: {auto_start: true}
  - name: terminal
    kind: terminal.host
"""


def test_the_seed_configuration_runs_as_written(cache: Path, tmp_path: Path) -> None:
    (tmp_path / "wasm").mkdir()
    worker = tmp_path / "wasm" / "worker.wasm"
    shutil.copy(EXAMPLES / "compute" / "wasm" / "worker.wasm", worker)
    seed = SEED.replace("sha256:...", digest(worker))  # the seed leaves the hash to the user
    (tmp_path / "app.yaml").write_text(seed + TUTORIAL_HOSTS)
    checked = run(cache, "-C", str(tmp_path), "check")
    assert (checked.returncode, checked.stderr) == (0, "")
    assert checked.stdout == "ok: 4 entries, 1 module compiled, 0 Python functions imported\n"
    ran = run(cache, "-C", str(tmp_path), "run", "-x", "app:compute_worker", "6", "7")
    assert (ran.returncode, ran.stdout, ran.stderr) == (42, "", "")


def functions_app(folder: Path, *entries: dict[str, Any]) -> Path:
    """An app of command functions over functions.wasm/.wat, without any host."""
    function_app(folder, *entries)
    return folder


def command(name: str, entry: dict[str, Any]) -> dict[str, Any]:
    return {**entry, "meta": {"command": {"name": name, "short": f"the {name} function"}}}


def test_run_calls_a_function_and_exits_by_the_result_rules(cache: Path, tmp_path: Path) -> None:
    app = str(functions_app(
        tmp_path,
        command("add", fn_wasm("add", "add")),
        command("wat", fn_wat("wat", "add", pool={"type": "inline"})),
        command("zero", fn_wasm("zero", "is_zero", wit="is_zero: func(x: s32) -> bool")),
        command("big", fn_wasm("big", "neg", wit="neg: func(x: s32) -> u32")),
        command("mix", fn_wasm("mix", "mix")),
        command("fail", fn_wasm("fail", "fail_if")),
        command("nothing", {"name": "nothing", "kind": "function.wat", "method": "f",
                            "source": '(module (func (export "f")))'}),
    ))
    listed = run(cache, "-C", app, "run", "list")
    assert "add      the add function      t:add" in listed.stdout
    cases: list[tuple[list[str], int, str, str]] = [
        (["add", "6", "7"], 13, "", ""),
        (["wat", "40", "2"], 42, "", ""),
        (["zero", "0"], 0, "", ""),
        (["zero", "5"], 1, "", ""),
        (["big", "1"], 1, "", "wippy: result 4294967295 is not an exit status (0..255)\n"),
        (["mix", "1", "0.5", "0.25"], 0, "1.75\n", ""),
        (["nothing"], 0, "", ""),
        (["fail", "0"], 1, "", ""),
    ]
    for args, status, out, err in cases:
        result = run(cache, "-C", app, "run", *args)
        assert (result.returncode, result.stdout, result.stderr) == (status, out, err), args
    failed = run(cache, "-C", app, "run", "fail", "1")
    assert failed.returncode == 1
    assert failed.stderr.startswith("wippy: trap: t:fail: guest trapped: ")
    by_id = run(cache, "-C", app, "run", "-x", "t:add", "2", "3")
    assert by_id.returncode == 5


def test_function_arguments_that_do_not_fit_are_usage_errors(cache: Path, tmp_path: Path
                                                             ) -> None:
    app = str(functions_app(tmp_path, command("add", fn_wasm(
        "add", "add", wit="add: func(a: u8, b: u8) -> u8"))))
    for args, message in [
        (["6"], "add takes 2 arguments but got 1: signature add(a: u8, b: u8) -> u8"),
        (["300", "1"], "argument 'a' of add: '300' does not fit u8: out of range 0..255"),
        (["0x10", "1"], "argument 'a' of add: '0x10' does not fit u8: not an integer"),
    ]:
        result = run(cache, "-C", app, "run", "add", *args)
        assert result.returncode == 2, args
        assert result.stderr.startswith(f"wippy run: error: {message}"), result.stderr
    hosted = run(cache, "-C", app, "run", "--host", "t:x", "add", "1", "2")
    assert hosted.returncode == 2
    assert "t:add is a function: it is called, not run on a host" in hosted.stderr


def test_check_checks_function_entries_like_process_entries(cache: Path, tmp_path: Path
                                                            ) -> None:
    bad_wat = tmp_path / "bad.wat"
    bad_wat.write_text("(module (func (export \"f\")\n  i32.const))\n")
    app = functions_app(
        tmp_path,
        fn_wasm("good", "add", pool={"type": "static", "size": 2}),
        fn_wat("text", "spin"),
        fn_wasm("hash", "add", hash="sha256:" + "0" * 64),
        fn_wasm("export", "nope"),
        fn_wasm("wit", "add", wit="add: func(a: s64, b: s32) -> s32"),
        fn_wat("parse", "f", source=f"file://{bad_wat}"),
    )
    result = run(cache, "-C", str(app), "check")
    where = f"{app / 'app.yaml'}: entry"
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{where} t:hash: field hash: hash mismatch for t:hash: expected sha256:{'0' * 64}, "
        f"got {digest(FUNCTIONS_WAT.with_suffix('.wasm'))}",
        f"{where} t:export: field method: module exports no function `nope` (exported "
        "functions: add, count, fail_if, is_zero, mix, neg, spin)",
        f"{where} t:wit: field wit: wit add: func(a: s64, b: s32) -> s32: parameter 'a' is s64, "
        "which lowers to i64, but parameter 1 of export `add` is add(i32, i32) -> i32",
        f"{where} t:parse: field source: invalid WebAssembly text in {bad_wat} at line 2, "
        "column 12: expected a i32",
        "4 problems found",
    ]
    good = functions_app(tmp_path / "good", fn_wasm("good", "add"), fn_wat("text", "spin"))
    result = run(cache, "-C", str(good), "check")
    assert (result.returncode, result.stdout) == (
        0, "ok: 3 entries, 2 modules compiled, 0 Python functions imported\n")


def test_a_process_entry_cannot_be_called_and_a_function_cannot_be_spawned(
    cache: Path, tmp_path: Path
) -> None:
    app = write_yaml(tmp_path, {"name": "term", "kind": "terminal.host"},
                     {"name": "sup", "kind": "process.supervisor", "host": "t:term",
                      "children": [{"id": "f", "process": "t:f"}]},
                     {"name": "f", "kind": "function.wat", "method": "f",
                      "source": '(module (func (export "f")))'})
    result = run(cache, "-C", str(app), "check")
    assert result.returncode == 1
    assert ("entry t:sup: field children[0].process: refers to t:f, which is a function.wat; "
            "expected a process.wasm or process.python or process.lua or process.supervisor"
            ) in result.stderr
