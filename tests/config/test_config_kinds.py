"""Pluggable kinds and generic reference checking."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import pytest

from tests.config.config_helpers import WriteYaml, doc, load_ok, load_problems, only_problem
from wippy.config import (
    ConfigModel,
    Entry,
    Ref,
    iter_references,
    kind_class,
    known_kinds,
    register_kind,
    unregister_kind,
)


class _Child(ConfigModel):
    process: Annotated[str, Ref("process.*")]
    after: list[Annotated[str, Ref("env.variable", "fs.directory")]] = []


class _Supervisor(Entry):
    children: list[_Child] = []
    primary: Annotated[str, Ref("process.wasm")] | None = None


@pytest.fixture
def supervisor_kind() -> Iterator[None]:
    register_kind("test.supervisor")(_Supervisor)
    yield
    unregister_kind("test.supervisor")


def test_builtin_kinds_are_registered() -> None:
    assert {"fs.directory", "env.variable", "process.host", "terminal.host", "process.wasm"} <= set(
        known_kinds()
    )
    assert kind_class("fs.directory").KIND == "fs.directory"


def test_kind_class_unknown_lists_known_kinds() -> None:
    with pytest.raises(KeyError, match=r"known kinds: .*fs\.directory"):
        kind_class("nope.kind")


def test_register_kind_refuses_conflicts_and_non_entries(supervisor_kind: None) -> None:
    class Other(Entry):
        pass

    with pytest.raises(ValueError, match="already registered"):
        register_kind("test.supervisor")(Other)
    with pytest.raises(TypeError):
        register_kind("test.other")(ConfigModel)  # type: ignore[type-var]
    with pytest.raises(ValueError, match="invalid kind"):
        register_kind("bad..kind")


def test_registered_kind_loads(supervisor_kind: None, write_yaml: WriteYaml) -> None:
    registry = load_ok(write_yaml(doc("- {name: s, kind: test.supervisor}")))
    assert isinstance(registry.get("myns:s"), _Supervisor)


SUPERVISED = """
- {name: bin, kind: fs.directory, directory: .}
- {name: var, kind: env.variable, variable: X}
- {name: host, kind: process.host}
- name: sup
  kind: test.supervisor
  children:
    - {process: myns:host, after: [myns:var, myns:bin]}
    - {process: %s, after: [%s]}
"""


def test_references_inside_nested_lists_are_checked(
    supervisor_kind: None, write_yaml: WriteYaml
) -> None:
    problems = load_problems(write_yaml(doc(SUPERVISED % ("myns:var", "myns:host"))))
    text = "\n".join(problems)
    assert len(problems) == 2, problems
    assert (
        "entry myns:sup: field children[1].process: refers to myns:var, which is a env.variable; "
        "expected a process.*"
    ) in text
    assert (
        "field children[1].after[0]: refers to myns:host, which is a process.host; "
        "expected a env.variable or fs.directory"
    ) in text


def test_glob_ref_accepts_any_matching_kind(supervisor_kind: None, write_yaml: WriteYaml) -> None:
    registry = load_ok(write_yaml(doc(SUPERVISED % ("myns:host", "myns:bin"))))
    paths = [path for path, _ in iter_references(registry.get("myns:sup"))]
    assert paths == [
        "children[0].process", "children[0].after[0]", "children[0].after[1]",
        "children[1].process", "children[1].after[0]",
    ]


def test_dangling_reference_names_the_field_and_suggests(
    supervisor_kind: None, write_yaml: WriteYaml
) -> None:
    problem = only_problem(write_yaml(doc(SUPERVISED % ("myns:hots", "myns:bin"))))
    expected = "entry myns:sup: field children[1].process: refers to myns:hots, which is not"
    assert expected in problem
    assert "did you mean myns:host" in problem


def test_reference_must_be_a_full_id(supervisor_kind: None, write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml(doc(SUPERVISED % ("host", "myns:bin"))))
    assert "field children[1].process: must be a full entry id 'namespace:name'" in problem


def test_wrong_kind_reference_in_process_wasm(write_yaml: WriteYaml) -> None:
    entries = """
    - {name: bin, kind: fs.directory, directory: .}
    - {name: var, kind: env.variable, variable: X}
    - name: w
      kind: process.wasm
      fs: myns:var
      path: w.wasm
      hash: sha256:%s
      method: run
      wasi:
        env: [{id: myns:bin}]
        mounts: [{fs: myns:var, guest: /x}]
    """ % ("0" * 64)
    problems = "\n".join(load_problems(write_yaml(doc(entries))))
    assert (
        "entry myns:w: field fs: refers to myns:var, which is a env.variable; "
        "expected a fs.directory"
    ) in problems
    assert (
        "field wasi.env[0].id: refers to myns:bin, which is a fs.directory; "
        "expected a env.variable"
    ) in problems
    assert "field wasi.mounts[0].fs: refers to myns:var" in problems


def test_reference_to_an_invalid_entry_reports_only_that_entry(write_yaml: WriteYaml) -> None:
    entries = """
    - {name: bin, kind: fs.directory, directory: ., mode: nope}
    - name: w
      kind: process.wasm
      fs: myns:bin
      path: w.wasm
      hash: sha256:%s
      method: run
    """ % ("0" * 64)
    problem = only_problem(write_yaml(doc(entries)))
    assert "entry myns:bin: field mode" in problem
