"""`wippy check`: every problem reported together; progress only on a terminal."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import py_entry
from tests.cli.console import run, with_terminal_stderr, write_yaml
from tests.conftest import EXAMPLES, FIXTURES, AppWriter, digest


def test_a_good_app_checks_clean(cache: Path) -> None:
    result = run(cache, "-C", str(EXAMPLES / "compute"), "check")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "ok: 7 entries, 4 modules compiled, 0 Python functions imported\n"


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
    assert f"{where} test:bad_hash: field hash: hash mismatch for test:bad_hash" in text
    assert f"{where} test:no_export: field method: module exports no function `nope`" in text
    assert f"{where} test:no_import: field imports: " in text and "wasi_snapshot_preview1" in text
    assert f"{where} test:no_module: field module: cannot import module 'not_there'" in text
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


def test_one_check_reports_every_problem_of_every_phase(cache: Path, tmp_path: Path) -> None:
    (tmp_path / "wasm").mkdir()
    (tmp_path / "wasm" / "garbage.wasm").write_bytes(b"\0asm\x01\0\0\0\xffnot a module")
    (tmp_path / "wasm" / "add.wasm").write_bytes((FIXTURES / "traps.wasm").read_bytes())
    (tmp_path / "jobs.py").write_text("def run(proc):\n    return 1\n")
    good_hash = digest(tmp_path / "wasm" / "add.wasm")
    wasm = {"kind": "process.wasm", "fs": "t:mods", "hash": good_hash}
    write_yaml(
        tmp_path,
        {"name": "mods", "kind": "fs.directory", "directory": "wasm"},
        {"name": "pool", "kind": "process.host", "host": {"workers": "many"}},  # schema
        {"name": "term", "kind": "terminal.host"},
        {"name": "ok", **wasm, "path": "/add.wasm", "method": "add"},
        {"name": "dangling", **wasm, "fs": "t:nodir", "path": "add.wasm", "method": "add"},
        {"name": "sup", "kind": "process.supervisor", "host": "t:term", "children": [
            {"id": "a", "process": "t:ok"}, {"id": "a", "process": "t:phantom"}]},
        {"name": "mismatch", **wasm, "path": "add.wasm", "hash": "sha256:" + "2" * 64,
         "method": "add"},
        {"name": "no_export", **wasm, "path": "add.wasm", "method": "mul"},
        {"name": "garbage", **wasm, "path": "garbage.wasm",
         "hash": digest(tmp_path / "wasm" / "garbage.wasm"), "method": "f"},
        {"name": "job", "kind": "process.python", "module": "jobs", "method": "run"},
        {"name": "broken_job", "kind": "process.python", "module": "jobs", "method": "walk"},
    )
    result = run(cache, "-C", str(tmp_path), "check")
    assert (result.returncode, result.stdout) == (1, "")
    where = f"{tmp_path / 'app.yaml'}: entry"
    lines = result.stderr.splitlines()
    assert lines[:-1] == [
        f"{where} t:pool: field host.workers: Input should be a valid integer (got str 'many')",
        f"{where} t:dangling: field fs: refers to t:nodir, which is not defined (did you mean "
        "t:mods?)",
        f"{where} t:sup: field children[1].id: duplicate child id 'a' (also children[0])",
        f"{where} t:sup: field children[1].process: refers to t:phantom, which is not defined",
        f"{where} t:mismatch: field hash: hash mismatch for t:mismatch: expected "
        f"sha256:{'2' * 64}, got {good_hash}",
        f"{where} t:no_export: field method: module exports no function `mul` (exported "
        "functions: add, add64, addf, addf32, busy, count, div_zero, noop, oob, pair, "
        "stack_overflow, unreachable)",
        f"{where} t:garbage: field path: invalid WebAssembly: " + lines[6].split(
            "invalid WebAssembly: ", 1)[-1],
        f"{where} t:broken_job: field method: module 'jobs' has no function 'walk'",
    ]
    assert lines[-1] == "8 problems found"


def test_a_folder_is_its_registry_yaml_not_everything_below_it(cache: Path, tmp_path: Path
                                                              ) -> None:
    write_yaml(tmp_path, {"name": "term", "kind": "terminal.host"})
    (tmp_path / "docker-compose.yml").write_text('version: "3.8"\nservices:\n  db: {}\n')
    for folder in (".venv/lib/site-packages/pkg", "node_modules/pkg", "__pycache__"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "conf.yaml").write_text("key: [unclosed\n")
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / "env" / "bad.yml").write_text("- [\n")
    result = run(cache, "-C", str(tmp_path), "check")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "ok: 1 entry, 0 modules compiled, 0 Python functions imported\n"
    verbose = run(cache, "-v", "-C", str(tmp_path), "check")
    notes = [line for line in verbose.stderr.splitlines() if "skipped" in line]
    assert notes == [
        f"wippy: INFO wippy.config.loader: skipped {tmp_path / '.venv'}: hidden folder",
        f"wippy: INFO wippy.config.loader: skipped {tmp_path / '__pycache__'}: __pycache__ folder",
        f"wippy: INFO wippy.config.loader: skipped {tmp_path / 'env'}: Python virtual "
        "environment",
        f"wippy: INFO wippy.config.loader: skipped {tmp_path / 'node_modules'}: node_modules "
        "folder",
        f"wippy: INFO wippy.config.loader: skipped {tmp_path / 'docker-compose.yml'}: not a "
        "registry document (no version, namespace and entries)",
    ]


def test_check_in_a_folder_that_is_no_app_says_so_once(cache: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.yaml").write_text("todo: [a, b]\n")
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "k8s.yaml").write_text("apiVersion: v1\nkind: Pod\n")
    result = run(cache, "-C", str(tmp_path), "check")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{tmp_path}: no registry documents in 2 YAML files (a registry document has version, "
        "namespace and entries; -v lists what was skipped)",
        "1 problem found",
    ]
