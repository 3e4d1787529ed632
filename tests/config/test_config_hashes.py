"""Hash syntax (``sha256:<hex>``) and file digests."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.config.config_helpers import VALID_HASH, WriteYaml, doc, load_ok, only_problem
from wippy.config import ProcessWasm, file_digest, parse_hash


def test_parse_hash_splits_algorithm_and_lowercases_digest() -> None:
    assert parse_hash("sha256:" + "AB" * 32) == ("sha256", "ab" * 32)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("md5:" + "a" * 32, "unsupported hash algorithm 'md5'"),
        ("sha256:" + "a" * 63, "64 hex digits, got 63"),
        ("sha256:" + "a" * 65, "64 hex digits, got 65"),
        ("sha256:" + "g" * 64, "hexadecimal"),
        ("sha256:", "hexadecimal"),
        ("a" * 64, "'<algorithm>:<hex digest>'"),
    ],
)
def test_malformed_hashes_are_rejected(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_hash(text)


def test_file_digest_is_sha256_of_contents(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(b"hello wasm" * 1000)
    assert file_digest(path) == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_file_digest_refuses_unknown_algorithm(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="md5"):
        file_digest(path, "md5")


def _wasm_doc(hash_text: str) -> str:
    return doc(
        f"""
        - name: bin
          kind: fs.directory
          directory: .
        - name: worker
          kind: process.wasm
          fs: myns:bin
          path: w.wasm
          hash: "{hash_text}"
          method: run
        """
    )


def test_hash_field_is_normalised(write_yaml: WriteYaml) -> None:
    registry = load_ok(write_yaml(_wasm_doc(VALID_HASH.upper().replace("SHA256", "sha256"))))
    entry = registry.get_as("myns:worker", ProcessWasm)
    assert entry.hash == VALID_HASH
    assert entry.hash_parts == ("sha256", "ab" * 32)


@pytest.mark.parametrize(
    ("hash_text", "fragment"),
    [
        ("md5:" + "a" * 32, "unsupported hash algorithm 'md5'"),
        ("sha256:abc", "64 hex digits"),
        ("sha256:" + "z" * 64, "hexadecimal"),
    ],
)
def test_bad_hash_field_names_entry_and_field(
    write_yaml: WriteYaml, hash_text: str, fragment: str
) -> None:
    problem = only_problem(write_yaml(_wasm_doc(hash_text)))
    assert "main.yaml: entry myns:worker: field hash: " in problem
    assert fragment in problem


def test_file_digest_without_hashlib_file_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(b"x" * (3 << 20))
    monkeypatch.delattr(hashlib, "file_digest", raising=False)
    assert file_digest(path) == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
