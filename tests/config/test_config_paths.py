"""fs.directory path resolution: refusing paths that escape the directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.config.config_helpers import WriteYaml, doc, load_ok
from wippy.config import FsDirectory, PathEscapeError


@pytest.fixture
def files(write_yaml: WriteYaml, tmp_path: Path) -> FsDirectory:
    (tmp_path / "files" / "sub").mkdir(parents=True)
    (tmp_path / "files" / "sub" / "a.txt").write_text("a")
    (tmp_path / "outside").mkdir()
    registry = load_ok(write_yaml(doc("- {name: files, kind: fs.directory, directory: files}")))
    return registry.get_as("myns:files", FsDirectory)


def test_relative_path_resolves_inside(files: FsDirectory, tmp_path: Path) -> None:
    assert files.path == tmp_path / "files"
    assert files.resolve("sub/a.txt") == tmp_path / "files" / "sub" / "a.txt"
    assert files.resolve("sub/../sub/a.txt") == tmp_path / "files" / "sub" / "a.txt"
    assert files.resolve("missing/later.txt") == tmp_path / "files" / "missing" / "later.txt"


def test_dotdot_escape_is_refused(files: FsDirectory) -> None:
    with pytest.raises(PathEscapeError, match=r"'\.\./outside' escapes the directory of myns:fil"):
        files.resolve("../outside")
    with pytest.raises(PathEscapeError):
        files.resolve("sub/../../outside/x")


def test_dotdot_climbing_out_and_back_in_is_refused(files: FsDirectory) -> None:
    with pytest.raises(PathEscapeError, match="escapes"):
        files.resolve("../files/sub/a.txt")


def test_a_leading_slash_is_rooted_at_the_directory(files: FsDirectory, tmp_path: Path) -> None:
    assert files.resolve("/sub/a.txt") == tmp_path / "files" / "sub" / "a.txt"
    assert files.resolve("//sub/a.txt") == tmp_path / "files" / "sub" / "a.txt"
    assert files.resolve("/etc/passwd") == tmp_path / "files" / "etc" / "passwd"
    assert files.resolve(str(tmp_path)) == tmp_path / "files" / str(tmp_path).lstrip("/")


def test_a_rooted_path_climbing_out_is_refused(files: FsDirectory) -> None:
    with pytest.raises(PathEscapeError, match=r"'/\.\./outside' escapes the directory of myns:f"):
        files.resolve("/../outside")
    with pytest.raises(PathEscapeError, match="escapes"):
        files.resolve("/sub/../../files/sub/a.txt")


def test_a_rooted_symlink_pointing_outside_is_refused(files: FsDirectory, tmp_path: Path
                                                      ) -> None:
    os.symlink(tmp_path / "outside", tmp_path / "files" / "link")
    with pytest.raises(PathEscapeError, match=r"'/link/secret.txt' escapes .* through a symlink"):
        files.resolve("/link/secret.txt")


def test_symlink_pointing_outside_is_refused(files: FsDirectory, tmp_path: Path) -> None:
    os.symlink(tmp_path / "outside", tmp_path / "files" / "link")
    with pytest.raises(PathEscapeError, match=r"escapes .* through a symlink"):
        files.resolve("link/secret.txt")


def test_symlink_staying_inside_is_allowed(files: FsDirectory, tmp_path: Path) -> None:
    os.symlink(tmp_path / "files" / "sub", tmp_path / "files" / "alias")
    assert files.resolve("alias/a.txt") == tmp_path / "files" / "alias" / "a.txt"


def test_path_escape_error_is_a_value_error(files: FsDirectory) -> None:
    with pytest.raises(ValueError):
        files.resolve("/../etc/passwd")


def test_directory_reached_through_a_symlink_still_resolves(
    write_yaml: WriteYaml, tmp_path: Path
) -> None:
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "linked")
    registry = load_ok(write_yaml(doc("- {name: d, kind: fs.directory, directory: linked}")))
    directory = registry.get_as("myns:d", FsDirectory)
    assert directory.resolve("x.wasm") == tmp_path / "linked" / "x.wasm"
