"""The `wippy` console script end to end, as a user runs it (subprocess)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLES, AppWriter, digest

COMPUTE = EXAMPLES / "compute"
WIPPY = Path(sys.executable).parent / "wippy"


def wippy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(WIPPY), *args], capture_output=True, text=True, timeout=120)


def test_run_list_prints_aligned_commands() -> None:
    result = wippy("-C", str(COMPUTE), "run", "list")
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "compute  Multiply two numbers in a core WASM module  myns:compute_worker",
        "greet    Greet someone from a WASM component         myns:greeter",
    ]


def test_string_result_is_printed() -> None:
    result = wippy("-C", str(COMPUTE), "run", "greet", "wippy")
    assert (result.returncode, result.stdout) == (0, "Hello, wippy!\n")


def test_integer_result_is_the_exit_status() -> None:
    result = wippy("-C", str(COMPUTE), "run", "compute", "6", "7")
    assert result.returncode == 42


def test_run_by_entry_id() -> None:
    result = wippy("-C", str(COMPUTE), "run", "-x", "myns:compute_worker", "2", "3")
    assert result.returncode == 6


def test_wrong_arguments_exit_1_with_the_signature() -> None:
    result = wippy("-C", str(COMPUTE), "run", "compute", "6")
    assert result.returncode == 1
    assert "compute takes 2 arguments but got 1: signature compute(i32, i32) -> i32" in (
        result.stderr
    )


def test_unknown_command_exits_2() -> None:
    result = wippy("-C", str(COMPUTE), "run", "nope")
    assert result.returncode == 2
    assert "no command 'nope' (commands: compute, greet)" in result.stderr


def test_hash_prints_sha256() -> None:
    worker = COMPUTE / "wasm" / "worker.wasm"
    result = wippy("hash", str(worker))
    assert result.stdout == f"{digest(worker)}  {worker}\n"


def test_guest_output_reaches_the_terminal(write_app: AppWriter) -> None:
    app = write_app({"name": "c", "kind": "process.wasm", "path": "wasi_c.wasm",
                     "method": "_start", "imports": ["wasi1"],
                     "wasi": {"args": ["stderr", "oops"]},
                     "meta": {"command": {"name": "c"}}})
    result = wippy("-C", str(app), "run", "c")
    assert result.returncode == 0
    assert "oops" in result.stderr


def test_check_reports_every_problem(write_app: AppWriter) -> None:
    app = write_app(
        {"name": "a", "kind": "process.wasm", "path": "traps.wasm", "method": "add"},
        {"name": "bad_hash", "kind": "process.wasm", "path": "traps.wasm", "method": "add",
         "hash": "sha256:" + "1" * 64},
        {"name": "no_export", "kind": "process.wasm", "path": "traps.wasm", "method": "nope"},
    )
    result = wippy("-C", str(app), "check")
    assert result.returncode == 1
    assert "hash mismatch for test:bad_hash" in result.stderr
    assert "test:no_export: module exports no function `nope`" in result.stderr
    assert "2 problems found" in result.stderr


def test_config_errors_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(
        'version: "1.0"\nnamespace: t\nentries:\n'
        "  - {name: x, kind: nope.kind}\n"
        "  - {name: y, kind: fs.directory}\n"
    )
    result = wippy("-C", str(tmp_path), "check")
    assert result.returncode == 1
    assert "2 configuration problems" in result.stderr
    assert "entry t:x" in result.stderr and "entry t:y" in result.stderr
