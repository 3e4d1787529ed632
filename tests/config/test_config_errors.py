"""Problem rendering and ConfigError aggregation."""

from __future__ import annotations

import pickle
from pathlib import Path

from wippy.config import ConfigError, Problem


def test_problem_str_names_file_entry_field_and_message(tmp_path: Path) -> None:
    problem = Problem(tmp_path / "app" / "main.yaml", "myns:worker", "wasi.mounts[0].guest",
                      "must be an absolute path")
    assert str(problem).endswith(
        "app/main.yaml: entry myns:worker: field wasi.mounts[0].guest: must be an absolute path"
    )


def test_problem_str_omits_missing_entry_and_field() -> None:
    assert str(Problem(Path("a.yaml"), None, None, "bad")) == "a.yaml: bad"


def test_problem_path_shown_relative_to_current_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert str(Problem(tmp_path / "app" / "x.yaml", None, None, "m")) == "app/x.yaml: m"


def test_config_error_lists_every_problem_under_a_count_header() -> None:
    error = ConfigError([Problem(Path("a.yaml"), None, None, "one"),
                         Problem(Path("b.yaml"), "ns:x", "kind", "two")])
    lines = str(error).splitlines()
    assert lines[0] == "2 configuration problems:"
    assert lines[1].strip() == "a.yaml: one"
    assert lines[2].strip() == "b.yaml: entry ns:x: field kind: two"


def test_config_error_singular_header() -> None:
    assert str(ConfigError([Problem(Path("a.yaml"), None, None, "x")])).startswith(
        "1 configuration problem:"
    )


def test_config_error_survives_pickling() -> None:
    error = ConfigError([Problem(Path("a.yaml"), "ns:x", None, "bad")])
    copy = pickle.loads(pickle.dumps(error))
    assert copy.problems == error.problems
