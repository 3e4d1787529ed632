"""`wippy run`, `run list`, `hash` and usage errors, through the installed console script."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.cli.conftest import py_entry
from tests.cli.console import WIPPY, env, finish, popen, read_until, run
from tests.conftest import EXAMPLES, FIXTURES, AppWriter, pinned

COMPUTE = EXAMPLES / "compute"


def wasi_c(name: str = "c", **fields: object) -> dict[str, object]:
    """The wasi_c fixture as command ``name`` (its argv[1] picks what it does)."""
    return {"name": name, "kind": "process.wasm", "path": "wasi_c.wasm", "method": "_start",
            "imports": ["wasi1"], "meta": {"command": {"name": name}}, **fields}


def test_run_list_prints_aligned_commands(cache: Path) -> None:
    result = run(cache, "-C", str(COMPUTE), "run", "list")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "answer    The answer, from inline WAT                              myns:answer",
        "compute   Multiply two numbers in a core WASM module               myns:compute_worker",
        "greet     Greet someone from a WASM component                      myns:greeter",
        "multiply  Multiply two numbers by calling a function (no process)  myns:multiply",
    ]


def test_run_list_without_commands(cache: Path, cli_app: AppWriter) -> None:
    result = run(cache, "-C", str(cli_app()), "run", "list")
    assert result.returncode == 0
    assert result.stdout == "no commands (no entry has meta.command.name)\n"


def test_string_result_is_printed(cache: Path) -> None:
    result = run(cache, "-C", str(COMPUTE), "run", "greet", "wippy")
    assert (result.returncode, result.stdout, result.stderr) == (0, "Hello, wippy!\n", "")


def test_integer_result_is_the_exit_status(cache: Path) -> None:
    result = run(cache, "-C", str(COMPUTE), "run", "compute", "6", "7")
    assert (result.returncode, result.stdout) == (42, "")


def test_run_by_entry_id(cache: Path) -> None:
    result = run(cache, "-C", str(COMPUTE), "run", "-x", "myns:compute_worker", "2", "3")
    assert result.returncode == 6


def test_config_option_after_the_command(cache: Path) -> None:
    result = run(cache, "run", "-C", str(COMPUTE), "compute", "2", "3")
    assert result.returncode == 6


def test_results_of_each_type(cache: Path, cli_app: AppWriter) -> None:
    app = str(cli_app(py_entry("answer"), py_entry("echo"), wasi_c("dump"),
                      {"name": "div", "kind": "process.wasm", "path": "types.wasm",
                       "method": "wippy:types/api#checked-div",
                       "meta": {"command": {"name": "div"}}},
                      {**py_entry("list-of", "numbers")}))
    status = {word: run(cache, "-C", app, "run", "answer", word).returncode
              for word in ("yes", "no", "none", "seven")}
    assert status == {"yes": 0, "no": 1, "none": 0, "seven": 7}
    big = run(cache, "-C", app, "run", "answer", "big")
    assert (big.returncode, big.stderr) == (1, "wippy: result 300 is not an exit status (0..255)\n")
    echoed = run(cache, "-C", app, "run", "echo", "a b", "-c", "--d")
    assert (echoed.returncode, echoed.stdout) == (0, "a b -c --d\n")
    echoed = run(cache, "-C", app, "run", "list-of", "1", "2")
    assert (echoed.returncode, echoed.stdout) == (0, "[1, 2]\n")  # printed as JSON
    divided = run(cache, "-C", app, "run", "div", "7", "2")  # a WIT result is unwrapped
    assert (divided.returncode, divided.stdout) == (3, "")
    by_zero = run(cache, "-C", app, "run", "div", "7", "0")
    assert (by_zero.returncode, by_zero.stderr) == (1, "wippy: error: division by zero\n")


def test_a_failure_prints_its_error_and_exits_1(cache: Path, cli_app: AppWriter) -> None:
    app = str(cli_app(py_entry("fail"),
                      {"name": "trap", "kind": "process.wasm", "path": "traps.wasm",
                       "method": "div_zero", "meta": {"command": {"name": "trap"}}}))
    trapped = run(cache, "-C", app, "run", "trap", "0")
    assert trapped.returncode == 1
    assert trapped.stderr.startswith("wippy: trap: test:trap: guest trapped:")
    assert "integer divide by zero" in trapped.stderr
    failed = run(cache, "-C", app, "run", "fail")
    assert (failed.returncode, failed.stderr) == (1, "wippy: exception: ValueError: bad input\n")
    verbose = run(cache, "-v", "-C", app, "run", "fail")
    assert "Traceback" in verbose.stderr and 'raise ValueError("bad input")' in verbose.stderr


def test_arguments_that_do_not_fit_the_signature_are_usage_errors(cache: Path) -> None:
    result = run(cache, "-C", str(COMPUTE), "run", "compute", "6")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == ("wippy run: error: compute takes 2 arguments but got 1: signature "
                             "compute(i32, i32) -> i32\n")
    for text in ("six", "0x10", " 6", "1_000", "True", "+6"):
        result = run(cache, "-C", str(COMPUTE), "run", "compute", text, "7")
        assert result.returncode == 2, text
        assert result.stderr == (f"wippy run: error: compute: argument 1 ({text!r}) is not a "
                                 "valid i32: not an integer; signature compute(i32, i32) -> i32\n")
    result = run(cache, "-C", str(COMPUTE), "run", "compute", "-6", "-7")
    assert result.returncode == 42


def test_wasi_command_gets_arguments_as_argv(cache: Path, cli_app: AppWriter) -> None:
    app = str(cli_app(
        wasi_c(wasi={"args": ["args"]}),
        {"name": "p2", "kind": "process.wasm", "path": "wasi_c_component.wasm",
         "method": "wasi:cli/run@0.2.12#run",
         "imports": ["wasi:cli", "wasi:filesystem", "wasi:clocks", "wasi:random"],
         "meta": {"command": {"name": "p2"}}},
    ))
    result = run(cache, "-C", app, "run", "c", "one", "two words")
    assert (result.returncode, result.stdout) == (0, "c\nargs\none\ntwo words\n")
    # a preview 2 command component: argv too, and its `result` is the status (ok: 0)
    component = run(cache, "-C", app, "run", "p2", "args", "x")
    assert (component.returncode, component.stdout, component.stderr) == (0, "p2\nargs\nx\n", "")


def test_wasi_exit_status_is_the_exit_status(cache: Path, cli_app: AppWriter) -> None:
    result = run(cache, "-C", str(cli_app(wasi_c())), "run", "c", "exit", "7")
    assert result.returncode == 7
    assert result.stderr == "wippy: exit: test:c: guest exited with status 7\n"


def test_guest_output_streams_as_it_is_written(cache: Path, write_app: AppWriter) -> None:
    # The guest prints a line, then sleeps 3 s: the line must arrive before it exits.
    app = write_app(
        {"name": "term", "kind": "terminal.host"},
        {"name": "say", "kind": "process.wasm", "path": "wasi_c.wasm", "method": "_start",
         "imports": ["wasi1"], "wasi": {"args": ["stderr", "early"]},
         "meta": {"command": {"name": "say"}}},
    )
    result = run(cache, "-C", str(app), "run", "say")
    assert (result.returncode, result.stderr) == (0, "early\n")
    proc = popen(cache, "-C", str(EXAMPLES / "wasi"), "run", "count", "3")
    first = read_until(proc.stdout, "1")
    assert proc.poll() is None, "the first line came only after the guest had exited"
    status, out, _ = finish(proc)
    assert (first, status, out) == (["1"], 0, "2\n3\n")


def test_run_on_another_host(cache: Path, cli_app: AppWriter) -> None:
    app = str(cli_app({"name": "pool", "kind": "process.host"}, py_entry("echo")))
    result = run(cache, "-v", "-C", app, "run", "--host", "test:pool", "echo", "hi")
    assert (result.returncode, result.stdout) == (0, "hi\n")
    assert "on test:pool" in result.stderr
    wrong = run(cache, "-C", app, "run", "--host", "test:nope", "echo", "hi")
    assert wrong.returncode == 2
    assert "--host test:nope: no process.host or terminal.host with that id" in wrong.stderr


def test_an_app_without_a_terminal_host(cache: Path, write_app: AppWriter) -> None:
    app = write_app({"name": "c", "kind": "process.wasm", "path": "traps.wasm", "method": "add",
                     "meta": {"command": {"name": "add"}}})
    result = run(cache, "-C", str(app), "run", "add", "1", "2")
    assert result.returncode == 2
    assert "the app has no terminal.host to run commands on" in result.stderr


def test_usage_errors_exit_2(cache: Path, cli_app: AppWriter) -> None:
    app = str(cli_app({"name": "files", "kind": "fs.directory", "directory": str(FIXTURES)},
                      {"name": "sup", "kind": "process.supervisor", "host": "test:term"}))
    cases = {
        ("bogus",): "invalid choice: 'bogus'",
        ("--bogus", "check"): "unrecognized arguments: --bogus",
        ("check", "--bogus"): "unrecognized arguments: --bogus",
        ("run",): "name a command to run (`wippy run list` lists them)",
        ("run", "nope"): "no command 'nope' (commands: none; see `wippy run list`)",
        ("run", "list", "extra"): "`run list` takes no arguments, got extra",
        ("run", "-x", "test:nope"): "no entry 'test:nope' in the registry",
        ("run", "-x", "test:files", "x"): "entry test:files is a fs.directory, which cannot be "
                                          "run",
        ("run", "-x", "test:files"): "(process.wasm, process.python, process.lua, "
                                     "process.supervisor, process.service, function.wasm, "
                                     "function.wat, function.lua can)",
        ("run", "-x", "test:sup", "extra"): "test:sup is a process.supervisor: it takes no "
                                            "arguments (got extra)",
        ("hash",): "the following arguments are required: FILE",
        (): "the following arguments are required: COMMAND",
    }
    for args, message in cases.items():
        result = run(cache, "-C", app, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert result.stderr.startswith(("usage:", "wippy")), result.stderr


def test_help_and_version(cache: Path) -> None:
    for command in ([], ["run"], ["start"], ["check"], ["hash"]):
        result = run(cache, *command, "--help")
        assert result.returncode == 0
        assert result.stdout.startswith(f"usage: wippy {' '.join(command)}".rstrip())
    version = run(cache, "--version")
    assert (version.returncode, version.stdout) == (0, "wippy 0.1.0\n")


def test_verbose_logs_to_stderr(cache: Path) -> None:
    result = run(cache, "-v", "-C", str(COMPUTE), "run", "compute", "2", "3")
    assert result.returncode == 6
    assert "wippy: INFO wippy.cli: running myns:compute_worker as <myns:terminal." in result.stderr
    debug = run(cache, "-vv", "-C", str(COMPUTE), "run", "compute", "2", "3")
    assert "DEBUG" in debug.stderr
    quiet = run(cache, "-C", str(COMPUTE), "run", "compute", "2", "3")
    assert quiet.stderr == ""


def test_hash_prints_sha256(cache: Path, tmp_path: Path) -> None:
    worker = COMPUTE / "wasm" / "worker.wasm"
    greet = COMPUTE / "wasm" / "greet.wasm"
    result = run(cache, "hash", str(worker), str(greet))  # against the committed pins
    assert result.stdout == f"{pinned(worker)}  {worker}\n{pinned(greet)}  {greet}\n"
    missing = run(cache, "hash", str(tmp_path / "none.wasm"), str(worker))
    assert missing.returncode == 1
    assert missing.stderr == f"wippy: {tmp_path / 'none.wasm'}: No such file or directory\n"
    assert missing.stdout == f"{pinned(worker)}  {worker}\n"


def test_config_errors_are_reported_together(cache: Path, tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(
        'version: "1.0"\nnamespace: t\nentries:\n'
        "  - {name: x, kind: nope.kind}\n"
        "  - {name: y, kind: fs.directory}\n"
    )
    for command in (["check"], ["run", "list"], ["start"]):
        result = run(cache, "-C", str(tmp_path), *command)
        assert result.returncode == 1
        lines = result.stderr.splitlines()
        assert lines[0].startswith(f"{tmp_path / 'app.yaml'}: entry t:x: field kind: unknown kind")
        assert lines[1] == (f"{tmp_path / 'app.yaml'}: entry t:y: field directory: missing "
                            "required field")
        assert lines[2] == "2 problems found"
        assert lines[3:] == (["wippy: the app was not started"] if command == ["start"] else [])



def test_a_closed_pipe_ends_output_quietly(cache: Path) -> None:
    def piped(command: str, reader: str) -> tuple[str, str]:
        script = f'"{WIPPY}" {command} | {reader} >/dev/null; echo "${{PIPESTATUS[0]}}" >&2'
        result = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                                env=env(cache), timeout=120, check=False)
        return result.stdout, result.stderr

    # The reader exits at once, long before wippy (a new Python process) prints the result:
    # wippy ends with SIGPIPE's status and no traceback.
    assert piped(f"-C {COMPUTE} run greet you", "head -c 0") == ("", "141\n")
    # Guest output written after the reader has gone is dropped; the guest finishes normally.
    assert piped(f"-C {EXAMPLES / 'wasi'} run count 3", "head -n 1") == ("", "0\n")
