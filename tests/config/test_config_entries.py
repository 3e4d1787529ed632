"""fs.directory, env.variable, process.host and terminal.host entries."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.config.config_helpers import WriteYaml, doc, load_ok, load_problems, only_problem
from wippy.config import EnvVariable, FsDirectory, Lifecycle, ProcessHost, TerminalHost


def test_directory_is_relative_to_the_yaml_file(write_yaml: WriteYaml, tmp_path: Path) -> None:
    (tmp_path / "conf" / "bin").mkdir(parents=True)
    path = write_yaml(doc("- {name: bin, kind: fs.directory, directory: bin}"), "conf/app.yaml")
    entry = load_ok(path).get_as("myns:bin", FsDirectory)
    assert entry.path == tmp_path / "conf" / "bin"
    assert entry.source == path
    assert (entry.auto_init, entry.mode) == (False, 0o755)


def test_missing_directory_without_auto_init_is_an_error(
    write_yaml: WriteYaml, tmp_path: Path
) -> None:
    problem = only_problem(write_yaml(doc("- {name: data, kind: fs.directory, directory: data}")))
    assert "entry myns:data: field directory: " in problem
    assert "does not exist" in problem
    assert "auto_init" in problem
    assert not (tmp_path / "data").exists()


def test_auto_init_creates_the_directory_with_mode(write_yaml: WriteYaml, tmp_path: Path) -> None:
    entries = """
    - {name: data, kind: fs.directory, directory: state/data, auto_init: true, mode: "0700"}
    """
    entry = load_ok(write_yaml(doc(entries))).get_as("myns:data", FsDirectory)
    assert entry.path.is_dir()
    assert stat.S_IMODE(entry.path.stat().st_mode) == 0o700


def test_file_in_place_of_directory_is_an_error(write_yaml: WriteYaml, tmp_path: Path) -> None:
    (tmp_path / "data").write_text("")
    entries = "- {name: data, kind: fs.directory, directory: data, auto_init: true}"
    assert "not a directory" in only_problem(write_yaml(doc(entries)))


@pytest.mark.parametrize(
    ("mode", "expected"), [('"0750"', 0o750), ('"644"', 0o644), ('"0o700"', 0o700), ("0755", 0o755)]
)
def test_mode_accepts_octal(write_yaml: WriteYaml, mode: str, expected: int) -> None:
    entries = f"- {{name: d, kind: fs.directory, directory: ., mode: {mode}}}"
    assert load_ok(write_yaml(doc(entries))).get_as("myns:d", FsDirectory).mode == expected


@pytest.mark.parametrize("mode", ['"0789"', '"rwx"', "755", "true"])
def test_invalid_mode_is_an_error(write_yaml: WriteYaml, mode: str) -> None:
    entries = f"- {{name: d, kind: fs.directory, directory: ., mode: {mode}}}"
    problem = only_problem(write_yaml(doc(entries)))
    assert "entry myns:d: field mode: " in problem
    assert "'0755'" in problem


def test_env_variable_value_from_environment_then_default(write_yaml: WriteYaml) -> None:
    entries = """
    - {name: home, kind: env.variable, variable: APP_HOME, default: /srv}
    - {name: token, kind: env.variable, variable: APP_TOKEN}
    """
    registry = load_ok(write_yaml(doc(entries)))
    home = registry.get_as("myns:home", EnvVariable)
    token = registry.get_as("myns:token", EnvVariable)
    assert home.value({"APP_HOME": "/home/app"}) == "/home/app"
    assert home.value({}) == "/srv"
    assert token.value({}) is None


def test_env_variable_reads_os_environ_by_default(
    write_yaml: WriteYaml, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIPPY_TEST_VAR", "x1")
    registry = load_ok(write_yaml(doc("- {name: v, kind: env.variable, variable: WIPPY_TEST_VAR}")))
    assert registry.get_as("myns:v", EnvVariable).value() == "x1"


def test_env_variable_name_must_be_valid(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml(doc("- {name: v, kind: env.variable, variable: 'A=B'}")))
    assert "entry myns:v: field variable: " in problem


def test_process_host_defaults(write_yaml: WriteYaml) -> None:
    host = load_ok(write_yaml(doc("- {name: h, kind: process.host}"))).get_as(
        "myns:h", ProcessHost
    )
    assert (host.host.workers, host.host.queue_size, host.host.stop_timeout) == (16, 1024, 5.0)
    assert host.lifecycle == Lifecycle(auto_start=False)


def test_process_host_options(write_yaml: WriteYaml) -> None:
    entries = """
    - name: h
      kind: process.host
      host: {workers: 4, queue_size: 8, stop_timeout: 1m}
      lifecycle: {auto_start: true}
    """
    host = load_ok(write_yaml(doc(entries))).get_as("myns:h", ProcessHost)
    assert (host.host.workers, host.host.queue_size, host.host.stop_timeout) == (4, 8, 60.0)
    assert host.lifecycle.auto_start is True


def test_process_host_rejects_bad_values(write_yaml: WriteYaml) -> None:
    entries = """
    - name: h
      kind: process.host
      host: {workers: 0, queue_size: "8", stop_timeout: 5}
      lifecycle: {auto_start: yes please}
    """
    problems = load_problems(write_yaml(doc(entries)))
    text = "\n".join(problems)
    assert len(problems) == 4, problems
    assert "field host.workers: Input should be greater than or equal to 1" in text
    assert "field host.queue_size: Input should be a valid integer (got str '8')" in text
    assert "field host.stop_timeout: a bare number is not a duration here" in text
    assert "field lifecycle.auto_start: " in text


def test_terminal_host_has_lifecycle(write_yaml: WriteYaml) -> None:
    entries = "- {name: t, kind: terminal.host, lifecycle: {auto_start: true}}"
    terminal = load_ok(write_yaml(doc(entries))).get_as("myns:t", TerminalHost)
    assert terminal.lifecycle.auto_start is True


def test_command_name_reads_meta_command(write_yaml: WriteYaml) -> None:
    entries = """
    - {name: t, kind: terminal.host, meta: {command: {name: shell, short: A shell}}}
    - {name: u, kind: terminal.host, meta: {owner: me}}
    """
    registry = load_ok(write_yaml(doc(entries)))
    assert registry.get("myns:t").command_name == "shell"
    assert registry.get("myns:u").command_name is None
    assert registry.get("myns:u").meta == {"owner": "me"}
