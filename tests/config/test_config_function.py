"""function.wasm and function.wat entries: the fields of process.wasm, plus wit, pool, source."""

from __future__ import annotations

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
from wippy.config import FunctionWasm, FunctionWat, WitFunction, parse_wit_function

BIN = "- {name: bin, kind: fs.directory, directory: .}"


def test_function_wasm_has_the_fields_of_process_wasm(write_yaml: WriteYaml) -> None:
    entry = load_ok(write_yaml(doc(f"""
        {BIN}
        - {{name: home, kind: env.variable, variable: HOME}}
        - name: add
          kind: function.wasm
          fs: myns:bin
          path: /w.wasm
          hash: {VALID_HASH}
          method: add
          imports: [wasi:cli]
          wasi: {{args: [a], env: [{{id: myns:home}}], mounts: [{{fs: myns:bin, guest: /d}}]}}
          limits: {{max_execution_ms: 500, fuel: 1000, max_memory: 1MiB}}
          wit: "add: func(a: s32, b: s32) -> s32"
          pool: {{type: static, size: 3, wait_timeout: 2s}}
        """))).get_as("myns:add", FunctionWasm)
    assert (entry.fs, entry.path, entry.method, entry.imports) == (
        "myns:bin", "/w.wasm", "add", ["wasi:cli"])
    assert (entry.limits.max_execution_ms, entry.limits.fuel, entry.limits.max_memory) == (
        0.5, 1000, 1 << 20)
    assert entry.wit_function == WitFunction("add", (("a", "s32"), ("b", "s32")), "s32")
    assert (entry.pool.type, entry.pool.capacity, entry.pool.wait_timeout) == ("static", 3, 2.0)
    assert entry.transport == "payload"


def test_pool_defaults_and_capacities(write_yaml: WriteYaml) -> None:
    registry = load_ok(write_yaml(doc("""
        - {name: a, kind: function.wat, source: "(module)", method: f}
        - {name: b, kind: function.wat, source: "(module)", method: f, pool: {type: inline}}
        - {name: c, kind: function.wat, source: "(module)", method: f, pool: {type: lazy}}
        - {name: d, kind: function.wat, source: "(module)", method: f,
           pool: {type: lazy, max_size: 2}}
        """)))
    pools = [registry.get_as(f"myns:{n}", FunctionWat).pool for n in "abcd"]
    assert [(p.type, p.capacity) for p in pools] == [
        ("lazy", 16), ("inline", None), ("lazy", 16), ("lazy", 2)]
    assert pools[0].wait_timeout == 30.0


@pytest.mark.parametrize(("pool", "message"), [
    ("{type: adaptive}", "field pool.type: unknown pool type 'adaptive' (supported: inline, "
     "lazy, static)"),
    ("{type: static}", "field pool: a static pool needs a size"),
    ("{type: static, max_size: 2}", "field pool: max_size is for lazy pools, not static; a "
     "static pool has a size"),
    ("{type: lazy, size: 2}", "field pool: size is for static pools, not lazy; a lazy pool has "
     "a max_size"),
    ("{type: inline, max_size: 2}", "field pool: max_size is for lazy pools, not inline"),
    ("{type: lazy, max_size: 0}", "field pool.max_size: Input should be greater than or equal"),
    ("{type: static, size: 2, workers: 2}", "field pool.workers: unknown field (allowed: type, "
     "max_size, size, wait_timeout)"),
    ("{wait_timeout: 5}", "field pool.wait_timeout: a bare number is not a duration here"),
])
def test_bad_pools_name_the_field(write_yaml: WriteYaml, pool: str, message: str) -> None:
    problem = only_problem(write_yaml(doc(
        f'- {{name: f, kind: function.wat, source: "(module)", method: f, pool: {pool}}}')))
    assert f"entry myns:f: {message}" in problem


def test_function_wat_source_is_inline_text_or_a_file_beside_the_yaml(
    write_yaml: WriteYaml, tmp_path: Path
) -> None:
    (tmp_path / "wat").mkdir()
    (tmp_path / "wat" / "answer.wat").write_text("(module)")
    registry = load_ok(write_yaml(doc("""
        - name: inline
          kind: function.wat
          source: |
            (module (func (export "answer") (result i32) i32.const 42))
          method: answer
        - {name: file, kind: function.wat, source: "file://wat/answer.wat", method: answer}
        """), "sub/../app.yaml"))
    inline = registry.get_as("myns:inline", FunctionWat)
    assert inline.wat_file is None and inline.wat_text().startswith("(module (func")
    from_file = registry.get_as("myns:file", FunctionWat)
    assert from_file.wat_file == tmp_path / "wat" / "answer.wat"
    assert from_file.wat_text() == "(module)"
    assert from_file.source == tmp_path / "app.yaml"  # the YAML file, as for every entry


def test_a_missing_wat_file_is_a_problem_on_source(write_yaml: WriteYaml, tmp_path: Path) -> None:
    problem = only_problem(write_yaml(doc(
        '- {name: f, kind: function.wat, source: "file://nope.wat", method: f}')))
    assert f"entry myns:f: field source: {tmp_path / 'nope.wat'} does not exist" in problem


def test_function_wat_needs_source_and_method(write_yaml: WriteYaml) -> None:
    problems = load_problems(write_yaml(doc(
        "- {name: f, kind: function.wat, sorce: x, method: f}")))
    assert [p.split(": entry ")[1] for p in problems] == [
        "myns:f: field source: missing required field",
        "myns:f: field sorce: unknown field (did you mean 'source'?)",
    ]
    problem = only_problem(write_yaml(doc("- {name: f, kind: function.wat, method: f}")))
    assert "entry myns:f: field source: missing required field" in problem


def test_function_wasm_needs_fs_path_and_hash(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml(doc(f"""
        {BIN}
        - {{name: f, kind: function.wasm, fs: myns:bin, path: ../w.wasm, hash: {VALID_HASH},
           method: f}}
        """)))
    assert "entry myns:f: field path: path '../w.wasm' escapes the directory of myns:bin" in problem


def test_wit_names_must_match_the_method(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml(doc(
        '- {name: f, kind: function.wat, source: "(module)", method: add, '
        'wit: "sub: func(a: s32) -> s32"}')))
    assert "entry myns:f: field wit: the signature is for 'sub' but method is 'add'" in problem


@pytest.mark.parametrize(("wit", "message"), [
    ("add: func(a: string) -> s32", "parameter 'a' has type 'string', which a core module "
     "cannot take or return"),
    ("add: func(a: i32) -> s32", "parameter 'a' has unknown type 'i32' (did you mean s32?)"),
    ("add: func() -> list<u8>", "the result has type 'list<u8>', which a core module cannot"),
    ("add(a: s32)", "'add(a: s32)' is not a WIT function signature"),
    ("add: func(a) -> s32", "parameter 1 ('a') must be written 'name: type'"),
    ("a: func(); b: func();", "must declare one function"),
])
def test_bad_wit_signatures(write_yaml: WriteYaml, wit: str, message: str) -> None:
    problem = only_problem(write_yaml(doc(
        f'- {{name: f, kind: function.wat, source: "(module)", method: add, wit: "{wit}"}}')))
    assert f"entry myns:f: field wit: {message}" in problem


def test_wit_signature_forms() -> None:
    assert parse_wit_function("answer: func() -> s32;\n") == WitFunction("answer", (), "s32")
    assert parse_wit_function("func(x: u8, y: char,)") == WitFunction(
        None, (("x", "u8"), ("y", "char")), None)
    wit = parse_wit_function("%f: func(%a: bool, b: u64) -> f32")
    assert (wit.name, wit.core_params, wit.core_results) == ("f", ("i32", "i64"), ("f32",))
    assert str(wit) == "f: func(a: bool, b: u64) -> f32"


def test_transport_other_than_payload_is_refused(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml(doc(
        '- {name: f, kind: function.wat, source: "(module)", method: f, transport: wasi-http}')))
    assert "field transport: transport 'wasi-http' is not supported" in problem
