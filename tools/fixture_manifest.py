#!/usr/bin/env python3
"""The pinned sha256 of every committed WebAssembly binary: ``tests/fixtures/manifest.sha256``.

The manifest is in ``sha256sum`` format (``<hex>  <path relative to the repository>``, sorted by
path), so ``sha256sum -c tests/fixtures/manifest.sha256`` checks it too. It covers every
``.wasm`` under ``tests/fixtures/`` and ``examples/``. ``tools/build-fixtures.sh`` rewrites it
after rebuilding the binaries; ``make test`` checks the files against it
(``tools/check-fixtures.py --manifest``), and the tests and benchmarks take the hashes they pin
in their registries from it instead of hashing the files, so a changed binary fails loudly.

Only the standard library is used: the build script runs this with any ``python3``.

Usage: python3 tools/fixture_manifest.py [--write]   (without --write: check, exit 1 on a problem)
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "tests" / "fixtures" / "manifest.sha256"
COVERED = ("tests/fixtures", "examples")
"""The folders (relative to the repository) whose ``.wasm`` files the manifest pins."""


def binaries(root: Path = ROOT) -> list[str]:
    """Every ``.wasm`` under the covered folders of ``root``, as sorted relative POSIX paths."""
    found = {
        path.relative_to(root).as_posix()
        for folder in COVERED
        for path in (root / folder).rglob("*.wasm")
        if path.is_file()
    }
    return sorted(found)


def sha256_of(path: Path) -> str:
    """The ``sha256:<hex>`` digest of a file's bytes."""
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def parse(text: str) -> dict[str, str]:
    """Reads manifest text into ``{relative path: "sha256:<hex>"}``.

    Raises ValueError naming the line that is not ``<64 hex digits>  <path>``.
    """
    pins: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"manifest line {number} is not '<sha256 hex>  <path>': {line!r}")
        if name in pins:
            raise ValueError(f"manifest line {number}: {name} is listed twice")
        pins[name] = "sha256:" + digest
    return pins


def render(pins: dict[str, str]) -> str:
    """Manifest text for ``pins`` (sorted by path, ``sha256sum`` format)."""
    return "".join(f"{pins[name].removeprefix('sha256:')}  {name}\n" for name in sorted(pins))


def read(manifest: Path = MANIFEST) -> dict[str, str]:
    """The pins of ``manifest``. Raises OSError when it is missing, ValueError when malformed."""
    return parse(manifest.read_text(encoding="utf-8"))


@cache
def _committed() -> dict[str, str]:
    return read(MANIFEST)


def pinned(path: Path) -> str:
    """The manifest's ``sha256:<hex>`` for a committed binary (an absolute path in the checkout).

    Raises KeyError when the manifest does not list it (add it with ``tools/build-fixtures.sh``).
    """
    name = path.resolve().relative_to(ROOT).as_posix()
    try:
        return _committed()[name]
    except KeyError:
        raise KeyError(
            f"{name} is not pinned in {MANIFEST.relative_to(ROOT)} (run tools/build-fixtures.sh)"
        ) from None


def problems(root: Path = ROOT, manifest: Path | None = None) -> list[str]:
    """What differs between the binaries under ``root`` and the manifest, one line each.

    Names the file and, for a changed binary, both hashes. Empty when everything matches.
    """
    manifest = manifest if manifest is not None else root / MANIFEST.relative_to(ROOT)
    try:
        pins = read(manifest)
    except (OSError, ValueError) as exc:
        return [f"cannot read the fixture manifest {manifest}: {exc}"]
    found = binaries(root)
    result = []
    for name in found:
        actual = sha256_of(root / name)
        if name not in pins:
            result.append(f"{name}: not in the manifest (its sha256 is {actual})")
        elif pins[name] != actual:
            result.append(f"{name}: manifest pins {pins[name]}, the file has {actual}")
    for name in sorted(set(pins) - set(found)):
        result.append(f"{name}: listed in the manifest, but there is no such file")
    return result


def write(root: Path = ROOT) -> Path:
    """Rewrites the manifest of ``root`` from the binaries there; returns its path."""
    path = root / MANIFEST.relative_to(ROOT)
    path.write_text(render({name: sha256_of(root / name) for name in binaries(root)}))
    return path


def main(argv: list[str] | None = None) -> int:
    """Checks the manifest (exit 1 and one line per problem) or, with ``--write``, rewrites it."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite the manifest from the files")
    args = parser.parse_args(argv)
    if args.write:
        path = write()
        print(f"wrote {path.relative_to(ROOT)} ({len(binaries())} binaries)")
        return 0
    found = problems()
    for line in found:
        print(f"FAIL {line}", file=sys.stderr)
    if found:
        print("a committed binary differs from its pin: rebuild with tools/build-fixtures.sh, "
              "which rewrites the manifest", file=sys.stderr)
        return 1
    print(f"ok   {len(binaries())} binaries match {MANIFEST.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
