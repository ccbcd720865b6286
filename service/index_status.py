"""The live build's status: its manifest, the source files changed since it, and any problem.

One record, `LiveStatus`, made by `ChangeCheck.status`; the page, GET /api/index
(service/admin.py) and the MCP `status` tool each show it in their own shape, the last two with
the same `ChangeCounts`.
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

from pydantic import BaseModel, Field

from ragnotes.corpus.documents import NOTES_SOURCE, Sources
from ragnotes.errors import RagnotesError
from ragnotes.index.freshness import Changes, FileHashes, compare
from ragnotes.index.manifest import Manifest
from ragnotes.index.searcher import Searcher
from ragnotes.service.live import LiveIndex

NO_CHANGES = Changes((), (), ())
MAX_NAMED_CHANGES = 5  # the page's notice names this many


@dataclass(frozen=True)
class LiveStatus:
    """The build answering queries (None: none is) and how current it is."""

    manifest: Manifest | None
    changes: Changes
    problem: str | None = None  # no index, or the loaded build damaged on disk

    @property
    def built(self) -> str:
        """When the build was made, e.g. "2026-11-21 20:08 UTC"."""
        return "" if self.manifest is None else readable_time(self.manifest.built_at)

    def changed_names(self, limit: int = MAX_NAMED_CHANGES) -> tuple[str, ...]:
        """The first `limit` changed files, by name."""
        c = self.changes
        return (c.modified + c.added + c.deleted)[:limit]


class ChangeCounts(BaseModel):
    """Source files that differ from the live build."""

    modified: int = Field(description="Indexed files whose text changed.")
    deleted: int = Field(description="Indexed files that are gone.")
    added: int = Field(description="New files not in the build.")


def change_counts(changes: Changes) -> ChangeCounts:
    """`changes` counted by kind."""
    return ChangeCounts(
        modified=len(changes.modified), deleted=len(changes.deleted), added=len(changes.added)
    )


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
                listed = self._sources().files()
                self._listing = [(file_key(source, path), file) for source, path, file in listed]
                self._listed_at = now
            return self._listing

    def changes(self, searcher: Searcher) -> Changes:
        """Source files modified, deleted or added since the build."""
        indexed = [
            (file_key(d.source, d.path), Path(d.file), d.sha256) for d in searcher.docs.values()
        ]
        return compare(indexed, self._current_files(), self._hashes)

    def status(self, live: LiveIndex) -> LiveStatus:
        """The live build, the files changed since it, and what is wrong, if anything."""
        try:
            searcher = live.snapshot()
        except RagnotesError as exc:
            return LiveStatus(None, NO_CHANGES, str(exc))
        return LiveStatus(searcher.manifest, self.changes(searcher), live.problem)
