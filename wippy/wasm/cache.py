"""On-disk cache of compiled modules, so a second start does not compile again.

Entries are keyed by the binary's sha256, the engine's name and version and a fingerprint of its
configuration. Each file stores a sha256 of its own payload: a truncated, corrupt or tampered
entry fails that check and is recompiled, never handed to the engine's deserializer.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

_MAGIC = b"WIPPYCC1"
_DIGEST_LEN = 32


def default_cache_dir() -> Path:
    """``$WIPPY_CACHE_DIR``, else ``$XDG_CACHE_HOME/wippy``, else ``~/.cache/wippy``."""
    explicit = os.environ.get("WIPPY_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "wippy"


class CompileCache:
    """A directory of compiled artifacts for one engine configuration.

    ``None`` as directory disables the cache (every load compiles).
    """

    def __init__(self, directory: Path | None, engine_key: str) -> None:
        self.directory = directory / engine_key if directory is not None else None
        self.hits = 0
        self.misses = 0

    def _path(self, digest: str) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / (digest.replace(":", "-") + ".bin")

    def get(self, digest: str) -> bytes | None:
        """Returns the verified artifact for ``digest``, or None (missing or corrupt)."""
        path = self._path(digest)
        if path is None:
            return None
        try:
            blob = path.read_bytes()
        except OSError:
            self.misses += 1
            return None
        header = len(_MAGIC) + _DIGEST_LEN
        payload = blob[header:]
        if (
            len(blob) < header
            or blob[: len(_MAGIC)] != _MAGIC
            or hashlib.sha256(payload).digest() != blob[len(_MAGIC) : header]
        ):
            log.warning("discarding corrupt compile cache entry %s", path)
            self._discard(path)
            self.misses += 1
            return None
        self.hits += 1
        return payload

    def put(self, digest: str, artifact: bytes) -> None:
        """Stores ``artifact`` atomically; cache write failures are logged, not raised."""
        path = self._path(digest)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as out:
                out.write(_MAGIC + hashlib.sha256(artifact).digest() + artifact)
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("cannot write compile cache entry %s: %s", path, exc)

    def discard(self, digest: str) -> None:
        """Removes the entry for ``digest`` (for example when the engine rejected it)."""
        path = self._path(digest)
        if path is not None:
            self._discard(path)

    @staticmethod
    def _discard(path: Path) -> None:
        with contextlib.suppress(OSError):
            path.unlink()
