"""Registry look-ups and guest environment resolution."""

from __future__ import annotations

import pytest

from tests.config.config_helpers import VALID_HASH, WriteYaml, doc, load_ok
from wippy.config import (
    ConfigError,
    EnvVariable,
    FsDirectory,
    ProcessHost,
    ProcessWasm,
    Registry,
    TerminalHost,
)

ENTRIES = f"""
- {{name: bin, kind: fs.directory, directory: .}}
- {{name: home, kind: env.variable, variable: APP_HOME}}
- {{name: level, kind: env.variable, variable: APP_LEVEL, default: info}}
- {{name: opt, kind: env.variable, variable: APP_OPT}}
- {{name: token, kind: env.variable, variable: APP_TOKEN}}
- {{name: host, kind: process.host}}
- {{name: term, kind: terminal.host}}
- name: worker
  kind: process.wasm
  fs: myns:bin
  path: w.wasm
  hash: {VALID_HASH}
  method: run
  wasi:
    env:
      - {{id: myns:home}}
      - {{id: myns:level, name: LOG_LEVEL}}
      - {{id: myns:opt}}
      - {{id: myns:token, name: SECRET, required: true}}
"""


@pytest.fixture
def registry(write_yaml: WriteYaml) -> Registry:
    return load_ok(write_yaml(doc(ENTRIES)))


def test_mapping_protocol(registry: Registry) -> None:
    assert len(registry) == 8
    assert "myns:host" in registry
    assert "myns:nope" not in registry
    assert [entry.id for entry in registry] == list(registry.entries)
    assert next(iter(registry.entries)) == "myns:bin"


def test_entries_view_is_read_only(registry: Registry) -> None:
    with pytest.raises(TypeError):
        registry.entries["x:y"] = registry.get("myns:host")  # type: ignore[index]


def test_get_unknown_id_suggests_near_matches(registry: Registry) -> None:
    with pytest.raises(KeyError, match=r"no entry 'myns:hots'.*did you mean myns:host"):
        registry.get("myns:hots")


def test_get_as_checks_the_kind(registry: Registry) -> None:
    assert isinstance(registry.get_as("myns:host", ProcessHost), ProcessHost)
    with pytest.raises(TypeError, match=r"myns:host is a process\.host, not a fs\.directory"):
        registry.get_as("myns:host", FsDirectory)


def test_of_kind_by_class_string_and_glob(registry: Registry) -> None:
    assert [e.id for e in registry.of_kind(EnvVariable)] == [
        "myns:home", "myns:level", "myns:opt", "myns:token"
    ]
    assert [e.id for e in registry.of_kind("terminal.host")] == ["myns:term"]
    assert [e.id for e in registry.of_kind("process.*")] == ["myns:host", "myns:worker"]
    assert registry.of_kind(TerminalHost)[0].lifecycle.auto_start is False


def test_resolve_env_uses_environment_defaults_and_skips_missing_optional(
    registry: Registry,
) -> None:
    worker = registry.get_as("myns:worker", ProcessWasm)
    env = registry.resolve_env(worker, {"APP_HOME": "/srv", "APP_TOKEN": "t0k"})
    assert env == {"APP_HOME": "/srv", "LOG_LEVEL": "info", "SECRET": "t0k"}


def test_resolve_env_environment_overrides_default(registry: Registry) -> None:
    worker = registry.get_as("myns:worker", ProcessWasm)
    env = registry.resolve_env(worker, {"APP_LEVEL": "debug", "APP_TOKEN": "t", "APP_OPT": "1"})
    assert env == {"LOG_LEVEL": "debug", "APP_OPT": "1", "SECRET": "t"}


def test_resolve_env_missing_required_names_entry_field_and_variable(
    registry: Registry,
) -> None:
    worker = registry.get_as("myns:worker", ProcessWasm)
    with pytest.raises(ConfigError) as info:
        registry.resolve_env(worker, {})
    [problem] = info.value.problems
    assert (problem.entry, problem.field) == ("myns:worker", "wasi.env[3]")
    assert problem.file == worker.source
    assert "myns:token" in problem.message
    assert "'APP_TOKEN'" in problem.message


def test_resolve_env_defaults_to_os_environ(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_TOKEN", "from-os")
    monkeypatch.delenv("APP_HOME", raising=False)
    worker = registry.get_as("myns:worker", ProcessWasm)
    assert registry.resolve_env(worker)["SECRET"] == "from-os"
