"""What the search page says about the index: when it was built, its size, and what changed since.

Modified and deleted files are checked on every call (FileHashes re-reads a file only when its
size or mtime moved); the listing of files on disk, needed only to spot added files, is
refreshed at most every `ttl` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from corpus.documents import NOTES_SOURCE, source_files
from index.freshness import Changes, FileHashes, compare
from index.pipeline import Sources
from index.searcher import Searcher

MAX_NAMED_CHANGES = 5


@dataclass(frozen=True)
class IndexStatus:
    """The loaded build as the page describes it."""

    built: str  # e.g. "2026-11-21 20:08 UTC"
    files: int
    chunks: int
    changes: Changes

    @property
    def changed_names(self) -> tuple[str, ...]:
        """The first few changed files, for the notice."""
        c = self.changes
        return (c.modified + c.added + c.deleted)[:MAX_NAMED_CHANGES]


def file_key(source: str, path: str) -> str:
    """How the page names a source file: the note's path, or "owner/name:path"."""
    return path if source == NOTES_SOURCE else f"{source}:{path}"


def readable_time(iso: str) -> str:
    """An ISO 8601 UTC time as "YYYY-MM-DD HH:MM UTC" (unchanged when it does not parse)."""
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso


class ChangeCheck:
    """Compares the loaded build with the source files on disk."""

    def __init__(
        self, sources: Callable[[], Sources], hashes: FileHashes, ttl: float = 30.0
    ) -> None:
        self._sources = sources
        self._hashes = hashes
        self._ttl = ttl
        self._listing: list[tuple[str, Path]] | None = None
        self._listed_at = 0.0
        self._lock = threading.Lock()

    def _current_files(self) -> list[tuple[str, Path]]:
        with self._lock:
            now = time.monotonic()
            if self._listing is None or now - self._listed_at > self._ttl:
                sources = self._sources()
                listed = source_files(sources.notes_roots, sources.readmes_dir, sources.repos)
                self._listing = [(file_key(source, path), file) for source, path, file in listed]
                self._listed_at = now
            return self._listing

    def changes(self, searcher: Searcher) -> Changes:
        """Source files modified, deleted or added since the build."""
        indexed = [
            (file_key(d.source, d.path), Path(d.file), d.sha256) for d in searcher.docs.values()
        ]
        return compare(indexed, self._current_files(), self._hashes)

    def status(self, searcher: Searcher) -> IndexStatus:
        """The build's time and size, and the files that changed since it."""
        m = searcher.manifest
        return IndexStatus(
            built=readable_time(m.built_at),
            files=m.file_count,
            chunks=m.chunk_count,
            changes=self.changes(searcher),
        )
