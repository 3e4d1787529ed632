"""process.wasm entries: module location, imports, WASI set-up and limits."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from tests.config.config_helpers import (
    VALID_HASH,
    WriteYaml,
    doc,
    load_ok,
    load_problems,
    only_problem,
)
from wippy.config import PathEscapeError, ProcessWasm


def wasm_doc(extra: str = "", name: str = "worker") -> str:
    """A document with ``myns:bin`` (the yaml folder), ``myns:home`` and one process.wasm."""
    extra_text = textwrap.indent(textwrap.dedent(extra).strip("\n"), "    ")
    return doc(
        f"""
        - {{name: bin, kind: fs.directory, directory: .}}
        - {{name: home, kind: env.variable, variable: HOME}}
        - name: {name}
          kind: process.wasm
          fs: myns:bin
          path: w.wasm
          hash: {VALID_HASH}
          method: run
        """
    ) + (extra_text + "\n" if extra_text else "")


def test_minimal_process_wasm_defaults(write_yaml: WriteYaml) -> None:
    entry = load_ok(write_yaml(wasm_doc())).get_as("myns:worker", ProcessWasm)
    assert (entry.fs, entry.path, entry.method, entry.engine) == ("myns:bin", "w.wasm", "run", None)
    assert entry.imports == []
    wasi = entry.wasi
    assert (wasi.args, wasi.cwd, wasi.env, wasi.mounts) == ([], None, [], [])
    assert (entry.limits.max_execution_ms, entry.limits.fuel, entry.limits.max_memory) == (
        None, None, None,
    )


def test_full_process_wasm(write_yaml: WriteYaml) -> None:
    entry = load_ok(
        write_yaml(
            wasm_doc(
                """
                engine: wasmer
                imports: [wasi:cli, wasi1]
                wasi:
                  args: [a, b]
                  cwd: /data
                  env: [{id: myns:home, name: GUEST_HOME, required: true}]
                  mounts: [{fs: myns:bin, guest: /data, read_only: true}]
                limits: {max_execution_ms: 1500, fuel: 1000000, max_memory: 64MiB}
                """
            )
        )
    ).get_as("myns:worker", ProcessWasm)
    assert entry.engine == "wasmer"
    assert entry.imports == ["wasi:cli", "wasi1"]
    assert entry.wasi.cwd == "/data"
    assert entry.wasi.env[0].name == "GUEST_HOME"
    assert entry.wasi.mounts[0].read_only is True
    assert entry.limits.max_execution_ms == pytest.approx(1.5)
    assert entry.limits.fuel == 1_000_000
    assert entry.limits.max_memory == 64 * 1024**2


# The profiles README.md's "Import profiles" table documents, written out independently of
# wippy.config.IMPORT_PROFILES: a profile added to or dropped from the code alone fails here.
DOCUMENTED_PROFILES = (
    "wasi1", "wasi_snapshot_preview1", "wasi:cli", "wasi:filesystem", "wasi:clocks", "wasi:io",
    "wasi:poll", "wasi:random", "wasi:sockets", "wasi:http",
)


def test_unknown_import_profile_lists_known_ones(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml(wasm_doc("imports: [wasi:cli, wasi:gpu]")))
    assert "entry myns:worker: field imports[1]: unknown import profile 'wasi:gpu'" in problem
    listed = re.search(r"\(known profiles: ([^)]*)\)", problem)
    assert listed is not None, problem
    assert listed.group(1).split(", ") == sorted(DOCUMENTED_PROFILES)


def test_every_documented_profile_is_accepted(write_yaml: WriteYaml) -> None:
    imports = ", ".join(DOCUMENTED_PROFILES)
    registry = load_ok(write_yaml(wasm_doc(f"imports: [{imports}]")))
    entry = registry.get_as("myns:worker", ProcessWasm)
    assert entry.imports == list(DOCUMENTED_PROFILES)


def test_guest_paths_must_be_absolute(write_yaml: WriteYaml) -> None:
    problems = load_problems(
        write_yaml(wasm_doc("wasi: {cwd: data, mounts: [{fs: myns:bin, guest: data}]}"))
    )
    text = "\n".join(problems)
    assert "field wasi.cwd: must be an absolute path" in text
    assert "entry myns:worker: field wasi.mounts[0].guest: must be an absolute path" in text


def test_guest_paths_must_be_unique(write_yaml: WriteYaml) -> None:
    problem = only_problem(
        write_yaml(
            wasm_doc("wasi: {mounts: [{fs: myns:bin, guest: /a}, {fs: myns:bin, guest: /a/}]}")
        )
    )
    expected = "field wasi.mounts: guest path '/a/' is mounted twice (mounts[0] and mounts[1])"
    assert expected in problem


def test_unknown_engine_is_an_error(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml(wasm_doc("engine: v8")))
    assert "field engine: " in problem
    assert "'wasmtime'" in problem


@pytest.mark.parametrize(
    ("limits", "field", "fragment"),
    [
        ("{fuel: 0}", "limits.fuel", "greater than 0"),
        ("{max_memory: 0}", "limits.max_memory", "greater than zero"),
        ("{max_memory: lots}", "limits.max_memory", "invalid size"),
        ("{max_execution_ms: -5}", "limits.max_execution_ms", "non-negative"),
        ("{max_execution_ms: soon}", "limits.max_execution_ms", "invalid duration"),
        ("{fuel: 1, cpu: 2}", "limits.cpu", "unknown field"),
    ],
)
def test_bad_limits(write_yaml: WriteYaml, limits: str, field: str, fragment: str) -> None:
    problem = only_problem(write_yaml(wasm_doc(f"limits: {limits}")))
    assert f"entry myns:worker: field {field}: " in problem
    assert fragment in problem


def test_method_must_not_be_empty(write_yaml: WriteYaml) -> None:
    assert "field method: must not be empty" in only_problem(write_yaml(wasm_doc().replace(
        "method: run", 'method: ""'
    )))


def test_module_path_must_stay_inside_fs(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml(wasm_doc().replace("path: w.wasm", "path: ../w.wasm")))
    assert "entry myns:worker: field path: path '../w.wasm' escapes the directory of myns:bin" in (
        problem
    )


def test_module_symlinked_outside_fs_is_an_error(write_yaml: WriteYaml, tmp_path: Path) -> None:
    (tmp_path / "elsewhere.wasm").write_bytes(b"")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "w.wasm").symlink_to(tmp_path / "elsewhere.wasm")
    problem = only_problem(write_yaml(wasm_doc().replace("directory: .", "directory: bin")))
    assert "entry myns:worker: field path: " in problem
    assert "resolves through a symlink" in problem


def test_module_path_is_checked_again_when_resolved(write_yaml: WriteYaml, tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    registry = load_ok(write_yaml(wasm_doc().replace("directory: .", "directory: bin")))
    entry = registry.get_as("myns:worker", ProcessWasm)
    assert registry.module_path(entry) == tmp_path / "bin" / "w.wasm"
    (tmp_path / "bin" / "w.wasm").symlink_to(tmp_path / "elsewhere.wasm")
    with pytest.raises(PathEscapeError, match="resolves through a symlink"):
        registry.module_path(entry)


def test_duplicate_guest_env_names_are_an_error(write_yaml: WriteYaml) -> None:
    problem = only_problem(
        write_yaml(wasm_doc("wasi: {env: [{id: myns:home}, {id: myns:home, name: HOME}]}"))
    )
    assert "field wasi.env[1]: guest variable 'HOME' is also set by wasi.env[0]" in problem


def test_typo_in_field_suggests_the_right_name(write_yaml: WriteYaml) -> None:
    problem = only_problem(
        write_yaml(wasm_doc("wasi: {mounts: [{fs: myns:bin, guest: /a, readonly: true}]}"))
    )
    assert "field wasi.mounts[0].readonly: unknown field (did you mean 'read_only'?)" in problem


def test_module_path_resolves_through_registry(write_yaml: WriteYaml, tmp_path: Path) -> None:
    registry = load_ok(write_yaml(wasm_doc()))
    entry = registry.get_as("myns:worker", ProcessWasm)
    assert registry.module_path(entry) == tmp_path / "w.wasm"


def test_pool_block_is_accepted_free_form(write_yaml: WriteYaml) -> None:
    entry = load_ok(write_yaml(wasm_doc("pool: {size: 4}"))).get_as("myns:worker", ProcessWasm)
    assert entry.pool == {"size": 4}
