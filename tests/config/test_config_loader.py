"""Loading files and folders of registry documents; every problem is reported together."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.config.config_helpers import WriteYaml, doc, load_ok, load_problems, only_problem
from wippy.config import ConfigError, load_registry, load_registry_from_documents

HOST = "- {name: h, kind: terminal.host}"


def test_loads_a_single_file_with_several_documents(write_yaml: WriteYaml) -> None:
    text = doc(HOST) + "---\n" + doc("- {name: h, kind: terminal.host}", namespace="other")
    registry = load_ok(write_yaml(text))
    assert list(registry.entries) == ["myns:h", "other:h"]
    entry = registry.get("other:h")
    assert (entry.id, entry.namespace, entry.name, entry.kind) == (
        "other:h", "other", "h", "terminal.host"
    )


def test_loads_a_folder_recursively_in_sorted_order(write_yaml: WriteYaml, tmp_path: Path) -> None:
    write_yaml(doc("- {name: b, kind: terminal.host}"), "b.yaml")
    write_yaml(doc("- {name: a, kind: terminal.host}"), "a.yml")
    write_yaml(doc("- {name: c, kind: terminal.host}"), "sub/c.yaml")
    write_yaml(doc("- {name: skip, kind: nope}"), "notes.txt")
    write_yaml(doc("- {name: hidden, kind: nope}"), ".hidden/x.yaml")
    registry = load_ok(tmp_path)
    assert list(registry.entries) == ["myns:a", "myns:b", "myns:c"]
    assert registry.root == tmp_path
    assert registry.get("myns:c").source == tmp_path / "sub" / "c.yaml"


def test_empty_documents_are_ignored(write_yaml: WriteYaml) -> None:
    assert len(load_ok(write_yaml("---\n" + doc(HOST) + "---\n"))) == 1


def test_missing_path_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file or directory"):
        load_registry(tmp_path / "absent")


def test_folder_without_yaml_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no \*\.yaml or \*\.yml files"):
        load_registry(tmp_path)


def test_yaml_syntax_error_reports_line(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml('version: "1.0"\nnamespace: myns\nentries: [a, b\n'))
    assert "main.yaml: YAML syntax error at line 4" in problem


def test_duplicate_yaml_key_is_an_error(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml(doc("- {name: h, kind: terminal.host, name: g}")))
    assert "duplicate key 'name'" in problem
    assert "line 4" in problem


def test_document_must_be_a_mapping(write_yaml: WriteYaml) -> None:
    assert "main.yaml: expected a mapping with version, namespace and entries, got list" in (
        only_problem(write_yaml("- a\n- b\n"))
    )


def test_missing_version_and_namespace(write_yaml: WriteYaml) -> None:
    problems = load_problems(write_yaml("entries: []\n"))
    assert any("field version: missing required field" in p for p in problems)
    assert any("field namespace: missing required field" in p for p in problems)


def test_unsupported_version(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml('version: "2.0"\nnamespace: x\nentries: []\n'))
    assert "field version: unsupported version '2.0' (supported: 1.0)" in problem


def test_unquoted_version_number_is_accepted(write_yaml: WriteYaml) -> None:
    assert len(load_ok(write_yaml(doc(HOST).replace('"1.0"', "1.0")))) == 1


def test_unknown_top_level_key(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml(doc(HOST) + "extra: 1\n"))
    assert "field extra: unknown field" in problem


def test_multi_document_problems_name_the_document(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml(doc(HOST) + '---\nversion: "9"\nnamespace: x\n'))
    assert "document 2: unsupported version" in problem


@pytest.mark.parametrize("namespace", ["'my ns'", "'a:b'", "'x/y'"])
def test_bad_namespace(write_yaml: WriteYaml, namespace: str) -> None:
    problem = only_problem(write_yaml(doc(HOST, namespace=namespace)))
    assert "field namespace: invalid namespace" in problem


@pytest.mark.parametrize("name", ["'my worker'", "'a:b'", "''", "12"])
def test_bad_entry_name(write_yaml: WriteYaml, name: str) -> None:
    problem = only_problem(write_yaml(doc(f"- {{name: {name}, kind: terminal.host}}")))
    assert "field entries[0].name: invalid name" in problem


def test_names_allow_dots_dashes_and_underscores(write_yaml: WriteYaml) -> None:
    registry = load_ok(write_yaml(doc("- {name: a.b-c_1, kind: terminal.host}", "app.v-2_x")))
    assert "app.v-2_x:a.b-c_1" in registry


def test_entry_must_be_a_mapping_with_a_name(write_yaml: WriteYaml) -> None:
    problems = load_problems(write_yaml(doc("- just text\n- {kind: terminal.host}")))
    assert any("field entries[0]: expected a mapping with name and kind, got str" in p
               for p in problems)
    assert any("field entries[1].name: missing required field" in p for p in problems)


def test_duplicate_ids_name_both_files(write_yaml: WriteYaml, tmp_path: Path) -> None:
    write_yaml(doc(HOST), "a.yaml")
    write_yaml(doc(HOST), "b.yaml")
    problem = only_problem(tmp_path)
    assert "b.yaml: entry myns:h: duplicate entry id (also defined in " in problem
    assert "a.yaml)" in problem


def test_unknown_kind_lists_known_kinds(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml(doc("- {name: d, kind: fs.dir}")))
    assert "entry myns:d: field kind: unknown kind 'fs.dir' (did you mean fs.directory?)" in problem
    assert ("known kinds: cluster.ray, env.variable, fs.directory, function.lua, function.wasm, "
            "function.wat, process.host") in problem


def test_missing_kind(write_yaml: WriteYaml) -> None:
    assert "entry myns:d: field kind: missing required field" in only_problem(
        write_yaml(doc("- {name: d}"))
    )


@pytest.mark.parametrize("field", ["id", "namespace", "source"])
def test_loader_fields_must_not_be_written(write_yaml: WriteYaml, field: str) -> None:
    problem = only_problem(write_yaml(doc(f"- {{name: h, kind: terminal.host, {field}: x}}")))
    assert f"entry myns:h: field {field}: is set by the loader" in problem


def test_unknown_field_lists_allowed_fields(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml(doc("- {name: h, kind: terminal.host, zzz: 1}")))
    assert "field zzz: unknown field (allowed: name, kind, meta, lifecycle)" in problem


def test_all_problems_of_a_load_are_reported_together(
    write_yaml: WriteYaml, tmp_path: Path
) -> None:
    write_yaml("version: [\n", "a_broken.yaml")
    write_yaml(
        doc(
            """
            - {name: h, kind: terminal.host}
            - {name: h, kind: terminal.host}
            - {name: x, kind: nope}
            - {name: 'bad name', kind: terminal.host}
            - {name: p, kind: process.host, host: {workers: 0}}
            - {name: d, kind: fs.directory, directory: missing}
            - {name: v, kind: env.variable}
            """
        ),
        "b.yaml",
    )
    with pytest.raises(ConfigError) as info:
        load_registry(tmp_path)
    text = str(info.value)
    assert text.splitlines()[0] == "7 configuration problems:"
    for fragment in [
        "a_broken.yaml: YAML syntax error at line",
        "entry myns:h: duplicate entry id",
        "entry myns:x: field kind: unknown kind 'nope'",
        "field entries[3].name: invalid name 'bad name'",
        "entry myns:p: field host.workers: Input should be greater than or equal to 1",
        "entry myns:d: field directory: directory",
        "entry myns:v: field variable: missing required field",
    ]:
        assert fragment in text
    assert [p.entry for p in info.value.problems] == [
        None, "myns:h", "myns:x", None, "myns:p", "myns:v", "myns:d"
    ]


def test_load_from_parsed_documents(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    document = {
        "version": "1.0",
        "namespace": "t",
        "entries": [{"name": "bin", "kind": "fs.directory", "directory": "bin"}],
    }
    registry = load_registry_from_documents([(tmp_path / "virtual.yaml", document)], tmp_path)
    assert registry.get("t:bin").source == tmp_path / "virtual.yaml"
    assert registry.root == tmp_path
    with pytest.raises(ConfigError, match=r"virtual\.yaml: expected a mapping"):
        load_registry_from_documents([(tmp_path / "virtual.yaml", [1])])


def test_yaml_merge_keys_share_fields_and_may_be_overridden(write_yaml: WriteYaml) -> None:
    registry = load_ok(write_yaml(doc("""
        - &host {name: a, kind: process.host, host: {workers: 3}}
        - <<: *host
          name: b
        """)))
    assert [entry.id for entry in registry] == ["myns:a", "myns:b"]
    assert registry.get("myns:b").host.workers == 3  # type: ignore[attr-defined]
