"""The fixture manifest pins every committed binary, and a changed binary fails by name."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, FIXTURES, ROOT
from tools import fixture_manifest
from tools.fixture_manifest import MANIFEST, pinned, problems, write


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _tree(root: Path) -> dict[str, bytes]:
    """A miniature checkout: two binaries under tests/fixtures, one under examples."""
    files = {
        "tests/fixtures/wasm/a.wasm": b"\0asm\1\0\0\0",
        "tests/fixtures/wasm/sub/b.wasm": b"\0asm\1\0\0\0b",
        "examples/app/wasm/c.wasm": b"\0asm\1\0\0\0c",
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    (root / "tests/fixtures/wasm/notes.txt").write_text("not a binary")
    return files


def test_the_committed_manifest_matches_every_committed_binary() -> None:
    assert problems() == []
    listed = set(fixture_manifest.read())
    on_disk = {p.relative_to(ROOT).as_posix() for d in (FIXTURES.parent, EXAMPLES)
               for p in d.rglob("*.wasm")}
    assert listed == on_disk
    assert len(listed) >= 20  # the fixtures and example binaries as of the manifest's creation


def test_pinned_reads_the_manifest_not_the_file() -> None:
    traps = FIXTURES / "traps.wasm"
    line = next(line for line in MANIFEST.read_text().splitlines()
                if line.endswith("  tests/fixtures/wasm/traps.wasm"))
    assert pinned(traps) == "sha256:" + line.split()[0]
    with pytest.raises(KeyError, match="is not pinned"):
        pinned(ROOT / "tests" / "conftest.py")


def test_a_changed_binary_is_named_with_both_hashes(tmp_path: Path) -> None:
    files = _tree(tmp_path)
    write(tmp_path)
    assert problems(tmp_path) == []
    old = files["tests/fixtures/wasm/a.wasm"]
    new = old + b"\x01"
    (tmp_path / "tests/fixtures/wasm/a.wasm").write_bytes(new)
    assert problems(tmp_path) == [
        f"tests/fixtures/wasm/a.wasm: manifest pins {_sha(old)}, the file has {_sha(new)}"
    ]


def test_unpinned_and_vanished_binaries_are_named(tmp_path: Path) -> None:
    _tree(tmp_path)
    write(tmp_path)
    (tmp_path / "examples/app/wasm/c.wasm").unlink()
    extra = tmp_path / "examples/app/wasm/d.wasm"
    extra.write_bytes(b"\0asm\1\0\0\0d")
    assert problems(tmp_path) == [
        f"examples/app/wasm/d.wasm: not in the manifest (its sha256 is {_sha(extra.read_bytes())})",
        "examples/app/wasm/c.wasm: listed in the manifest, but there is no such file",
    ]


def test_a_malformed_manifest_is_reported(tmp_path: Path) -> None:
    _tree(tmp_path)
    path = write(tmp_path)
    path.write_text("not-a-hash  tests/fixtures/wasm/a.wasm\n")
    [problem] = problems(tmp_path)
    assert "manifest line 1 is not '<sha256 hex>  <path>'" in problem


def test_the_manifest_is_sha256sum_format(tmp_path: Path) -> None:
    files = _tree(tmp_path)
    text = write(tmp_path).read_text()
    assert text == "".join(
        f"{_sha(files[name]).removeprefix('sha256:')}  {name}\n" for name in sorted(files)
    )


def test_check_fixtures_manifest_passes_on_the_checkout() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "check-fixtures.py"), "--manifest"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "binaries match tests/fixtures/manifest.sha256" in done.stdout
