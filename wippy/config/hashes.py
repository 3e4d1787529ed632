"""Content hashes: the ``sha256:<hex>`` syntax of ``hash`` fields and file digests in that form."""

from __future__ import annotations

import hashlib
import os
import re
from typing import Annotated, Any

from pydantic import BeforeValidator

__all__ = ["HASH_ALGORITHMS", "HashStr", "file_digest", "parse_hash"]

HASH_ALGORITHMS: dict[str, int] = {"sha256": 64}
"""Supported algorithms and the length of their hex digest."""

_HEX = re.compile(r"[0-9a-fA-F]+")


def parse_hash(text: str) -> tuple[str, str]:
    """Splits ``sha256:<64 hex>`` into ``("sha256", "<lower-case hex>")``.

    Raises ValueError when the prefix is missing, the algorithm is not supported (e.g. ``md5``),
    or the digest is not hex of the algorithm's length.
    """
    algorithm, sep, digest = text.strip().partition(":")
    known = ", ".join(HASH_ALGORITHMS)
    if not sep:
        raise ValueError(
            f"hash {text!r} must be written as '<algorithm>:<hex digest>', e.g. 'sha256:...'"
        )
    algorithm = algorithm.lower()
    if algorithm not in HASH_ALGORITHMS:
        raise ValueError(f"unsupported hash algorithm {algorithm!r} (supported: {known})")
    length = HASH_ALGORITHMS[algorithm]
    if not _HEX.fullmatch(digest):
        raise ValueError(f"{algorithm} digest must be hexadecimal, got {digest!r}")
    if len(digest) != length:
        raise ValueError(f"{algorithm} digest must be {length} hex digits, got {len(digest)}")
    return algorithm, digest.lower()


def _normalise_hash(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError(f"expected a hash string like 'sha256:<hex>', got {type(value).__name__}")
    algorithm, digest = parse_hash(value)
    return f"{algorithm}:{digest}"


HashStr = Annotated[str, BeforeValidator(_normalise_hash)]
"""A validated ``algorithm:hex`` hash string, normalised to lower case."""


def file_digest(path: str | os.PathLike[str], algorithm: str = "sha256") -> str:
    """Returns the digest of the file at ``path`` as ``"<algorithm>:<hex>"``.

    Raises ValueError for an unsupported algorithm and OSError when the file cannot be read.
    """
    if algorithm not in HASH_ALGORITHMS:
        known = ", ".join(HASH_ALGORITHMS)
        raise ValueError(f"unsupported hash algorithm {algorithm!r} (supported: {known})")
    with open(path, "rb") as handle:
        if hasattr(hashlib, "file_digest"):
            hasher = hashlib.file_digest(handle, algorithm)
        else:  # Python 3.10
            hasher = hashlib.new(algorithm)
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(chunk)
    return f"{algorithm}:{hasher.hexdigest()}"
