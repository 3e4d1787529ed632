"""Which YAML of a folder is the app's: the rest of the tree must not break it."""

from __future__ import annotations

import logging
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
from wippy.config import read_app

COMPOSE = """\
version: "3.8"
services:
  db: {image: postgres}
"""


def test_a_docker_compose_file_beside_the_app_is_skipped_with_a_note(
    write_yaml: WriteYaml, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_yaml(doc("- {name: h, kind: terminal.host}"), "app.yaml")
    write_yaml(COMPOSE, "docker-compose.yml")
    write_yaml("name: ci\non: [push]\njobs: {}\n---\n- a list\n", "ci/workflow.yaml")
    with caplog.at_level(logging.INFO, logger="wippy.config"):
        registry = load_ok(tmp_path)
    assert list(registry.entries) == ["myns:h"]
    notes = [r.getMessage() for r in caplog.records if r.getMessage().startswith("skipped")]
    assert notes == [
        f"skipped {tmp_path / 'ci' / 'workflow.yaml'} (document 1): not a registry document "
        "(no version, namespace and entries)",
        f"skipped {tmp_path / 'ci' / 'workflow.yaml'} (document 2): not a registry document "
        "(no version, namespace and entries)",
        f"skipped {tmp_path / 'docker-compose.yml'}: not a registry document "
        "(no version, namespace and entries)",
    ]


@pytest.mark.parametrize("folder", [".venv", "venv", "node_modules", "__pycache__", ".git"])
def test_tool_folders_are_not_searched(write_yaml: WriteYaml, tmp_path: Path, folder: str,
                                       caplog: pytest.LogCaptureFixture) -> None:
    write_yaml(doc("- {name: h, kind: terminal.host}"), "app.yaml")
    write_yaml(doc("- {name: x, kind: nope}"), f"{folder}/lib/broken.yaml")
    write_yaml("version: [\n", f"{folder}/syntax.yml")
    if folder == "venv":
        (tmp_path / folder / "pyvenv.cfg").write_text("home = /usr/bin\n")
    with caplog.at_level(logging.INFO, logger="wippy.config"):
        assert list(load_ok(tmp_path).entries) == ["myns:h"]
    assert f"skipped {tmp_path / folder}: " in caplog.text


def test_a_folder_named_venv_without_pyvenv_cfg_is_part_of_the_app(
    write_yaml: WriteYaml, tmp_path: Path
) -> None:
    write_yaml(doc("- {name: v, kind: terminal.host}"), "venv/app.yaml")
    assert list(load_ok(tmp_path).entries) == ["myns:v"]


def test_index_files_are_the_app_when_there_are_any(write_yaml: WriteYaml,
                                                    tmp_path: Path) -> None:
    write_yaml(doc("- {name: root, kind: terminal.host}"), "_index.yaml")
    write_yaml(doc("- {name: sub, kind: terminal.host}", "sub"), "src/sub/_index.yml")
    write_yaml(doc("- {name: ignored, kind: nope}"), "src/sub/other.yaml")
    write_yaml("version: [\n", "notes.yaml")
    registry = load_ok(tmp_path)
    assert list(registry.entries) == ["myns:root", "sub:sub"]


def test_a_document_with_entries_but_no_version_is_still_reported(
    write_yaml: WriteYaml, tmp_path: Path
) -> None:
    write_yaml("namespace: x\nentries: []\n", "app.yaml")
    assert "app.yaml: field version: missing required field" in only_problem(tmp_path)


def test_a_misspelled_entries_key_is_still_reported(write_yaml: WriteYaml,
                                                    tmp_path: Path) -> None:
    write_yaml('version: "1.0"\nnamespace: x\nentires: []\n', "app.yaml")
    assert "field entires: unknown field (did you mean 'entries'?)" in only_problem(tmp_path)


def test_a_folder_with_yaml_but_no_registry_documents_says_so(write_yaml: WriteYaml,
                                                              tmp_path: Path) -> None:
    write_yaml(COMPOSE, "docker-compose.yml")
    write_yaml("a: 1\n", "other.yaml")
    problem = only_problem(tmp_path)
    assert problem.endswith(": no registry documents in 2 YAML files (a registry document has "
                            "version, namespace and entries; -v lists what was skipped)")


def test_a_file_named_on_its_own_is_read_strictly(write_yaml: WriteYaml) -> None:
    problems = load_problems(write_yaml(COMPOSE, "docker-compose.yml"))
    assert any("docker-compose.yml: field namespace: missing required field" in problem
               for problem in problems), problems


def test_a_symlinked_folder_is_not_followed(write_yaml: WriteYaml, tmp_path: Path) -> None:
    write_yaml(doc("- {name: h, kind: terminal.host}"), "app/app.yaml")
    write_yaml(doc("- {name: x, kind: nope}"), "elsewhere/x.yaml")
    (tmp_path / "app" / "link").symlink_to(tmp_path / "elsewhere")
    assert list(load_ok(tmp_path / "app").entries) == ["myns:h"]


def test_read_app_keeps_the_valid_entries_beside_the_problems(write_yaml: WriteYaml,
                                                              tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    write_yaml(doc(f"""
        - {{name: bin, kind: fs.directory, directory: bin}}
        - {{name: gone, kind: fs.directory, directory: missing}}
        - {{name: ok, kind: process.wasm, fs: myns:bin, path: a.wasm, hash: "{VALID_HASH}",
           method: run}}
        - {{name: on_gone, kind: process.wasm, fs: myns:gone, path: a.wasm, hash: "{VALID_HASH}",
           method: run}}
        - {{name: bad, kind: process.host, host: {{workers: 0}}}}
        """), "app.yaml")
    result = read_app(tmp_path)
    assert [p.entry for p in result.problems] == ["myns:bad", "myns:gone"]
    assert list(result.registry.entries) == ["myns:bin", "myns:ok"]
