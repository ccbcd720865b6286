"""Which source files changed since a build: the basis of `stale` flags and change counts.

Files are re-hashed only when their size or modification time moved, so asking is cheap
enough to do on every request.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ragnotes.corpus.reading import read_markdown

_Stamp = tuple[int, int]  # (mtime_ns, size)


class FileHashes:
    """sha256 of a file's indexed text, memoized by (mtime, size); None when unreadable or gone."""

    def __init__(self) -> None:
        # By the path's text: a citation's file is a build's string, and two Paths naming one
        # file would each be compared part by part on every look-up.
        self._memo: dict[str, tuple[_Stamp, str | None]] = {}
        self._lock = threading.Lock()

    @property
    def hashed(self) -> int:
        """How many files have been hashed."""
        return len(self._memo)

    def sha256(self, file: Path | str) -> str | None:
        key = os.fspath(file)
        try:
            st = os.stat(key)
        except OSError:
            return None
        stamp = (st.st_mtime_ns, st.st_size)
        with self._lock:
            memo = self._memo.get(key)
        if memo is not None and memo[0] == stamp:
            return memo[1]
        text = read_markdown(Path(key))
        digest = (
            None if not isinstance(text, str) else hashlib.sha256(text.encode("utf-8")).hexdigest()
        )
        with self._lock:
            self._memo[key] = (stamp, digest)
        return digest


@dataclass(frozen=True)
class Changes:
    """Source files that differ from a build."""

    modified: tuple[str, ...]
    deleted: tuple[str, ...]
    added: tuple[str, ...]

    @property
    def total(self) -> int:
        return len(self.modified) + len(self.deleted) + len(self.added)


def compare(
    indexed: Iterable[tuple[str, Path, str]],
    current_files: Iterable[tuple[str, Path]],
    hashes: FileHashes,
) -> Changes:
    """Compare (key, file, sha256) rows of a build with the (key, file) pairs on disk now."""
    modified, deleted = [], []
    known = set()
    for key, file, sha in indexed:
        known.add(key)
        now = hashes.sha256(file)
        if now is None:
            deleted.append(key)
        elif now != sha:
            modified.append(key)
    added = [
        key for key, file in current_files if key not in known and hashes.sha256(file) is not None
    ]
    return Changes(tuple(sorted(modified)), tuple(sorted(deleted)), tuple(sorted(added)))
