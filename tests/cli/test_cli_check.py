"""`wippy check`: every problem reported together; progress only on a terminal."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import py_entry
from tests.cli.console import run, with_terminal_stderr
from tests.conftest import EXAMPLES, AppWriter


def test_a_good_app_checks_clean(cache: Path) -> None:
    result = run(cache, "-C", str(EXAMPLES / "compute"), "check")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "ok: 5 entries, 2 modules compiled, 0 Python functions imported\n"


def test_check_reports_every_problem_with_file_and_entry(cache: Path, cli_app: AppWriter
                                                         ) -> None:
    app = cli_app(
        {"name": "a", "kind": "process.wasm", "path": "traps.wasm", "method": "add"},
        {"name": "bad_hash", "kind": "process.wasm", "path": "traps.wasm", "method": "add",
         "hash": "sha256:" + "1" * 64},
        {"name": "no_export", "kind": "process.wasm", "path": "traps.wasm", "method": "nope"},
        {"name": "no_import", "kind": "process.wasm", "path": "wasi_c.wasm", "method": "_start"},
        {"name": "no_module", "kind": "process.python", "module": "not_there", "method": "f"},
        {**py_entry("twice", "echo"), "meta": {"command": {"name": "same"}}},
        {**py_entry("again", "echo"), "meta": {"command": {"name": "same"}}},
        {"name": "dir", "kind": "fs.directory", "directory": ".",
         "meta": {"command": {"name": "dir"}}},
    )
    result = run(cache, "-C", str(app), "check")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    where = f"{app / 'app.yaml'}: entry"
    assert all(line.startswith(where) for line in lines[:-1]), lines
    assert lines[-1] == "7 problems found"
    text = result.stderr
    assert f"{where} test:bad_hash: hash mismatch for test:bad_hash" in text
    assert f"{where} test:no_export: module exports no function `nope`" in text
    assert f"{where} test:no_import: " in text and "wasi_snapshot_preview1" in text
    assert f"{where} test:no_module: cannot import module 'not_there'" in text
    assert (f"{where} test:twice: field meta.command.name: command 'same' is declared by "
            "several entries: test:again, test:twice") in text
    assert f"{where} test:dir: field meta.command: a fs.directory cannot be run" in text
    assert result.stdout == ""


def test_progress_shows_on_a_terminal_only(cache: Path, cli_app: AppWriter) -> None:
    app = cli_app(*({"name": f"m{i}", "kind": "process.wasm", "path": "traps.wasm",
                     "method": "add"} for i in range(3)))
    piped = run(cache, "-C", str(app), "check")
    assert (piped.returncode, piped.stderr) == (0, "")

    status, out, shown = with_terminal_stderr(cache, "-C", str(app), "check")
    assert status == 0
    assert out == "ok: 5 entries, 3 modules compiled, 0 Python functions imported\n"
    for i in range(3):
        assert f"[{i + 1}/3] compiling test:m{i}" in shown
    assert shown.endswith("\r\x1b[K")  # the progress line is erased at the end

    status, out, shown = with_terminal_stderr(cache, "-C", str(app), "run", "-x", "test:m1",
                                              "2", "3")
    assert (status, out) == (5, "")
    assert shown == "\r\x1b[K[1/1] loading test:m1\r\x1b[K"
