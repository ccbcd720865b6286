"""The live searcher a server answers from, swapped atomically when a new build is published.

Requests call `snapshot()` once and use that Searcher to the end; a watcher thread notices a new
CURRENT pointer (from the CLI or the server's own re-index), loads it beside the old one, and
swaps the reference. A build that fails to load leaves the previous searcher serving, and so does
damage to the loaded build's files on disk (it is in memory); both are reported by `problem`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from ragnotes.errors import IndexNotFound, RagnotesError
from ragnotes.index.embedding import Embedder
from ragnotes.index.freshness import FileHashes
from ragnotes.index.searcher import Searcher
from ragnotes.index.store import BuildStore

log = logging.getLogger(__name__)
_BUILD_FILES = ("manifest.json", "chunks.jsonl", "docs.jsonl", "vectors.faiss")
FileStamps = dict[str, tuple[int, int] | None]
# Work on a newly loaded searcher, in a background thread, until the event is set (a newer build
# was loaded, or the server stops): `answers/warm.py` `prepare_build`.
Prepare = Callable[[Searcher, threading.Event], object]


def _stamps(folder: Path) -> FileStamps:
    """Size and modification time of a build's files (None: missing), to notice damage cheaply."""
    stamps: FileStamps = {}
    for name in _BUILD_FILES:
        try:
            stat = (folder / name).stat()
            stamps[name] = (stat.st_size, stat.st_mtime_ns)
        except OSError:
            stamps[name] = None
    return stamps


class LiveIndex:
    """Holds the current Searcher and reloads it when the pointer moves."""

    def __init__(
        self, store: BuildStore, embedder: Embedder, prepare: Prepare | None = None
    ) -> None:
        self.store = store
        self.embedder = embedder
        self._prepare = prepare
        self._stop_preparing = threading.Event()  # set: the loaded build's preparing ends
        self._preparing: threading.Thread | None = None
        self.hashes = FileHashes()
        self._searcher: Searcher | None = None
        self._error: RagnotesError | None = None
        self._loaded_id: str | None = None
        self._problem: str | None = None
        self._stamps: FileStamps = {}
        self._reload_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def snapshot(self) -> Searcher:
        """The searcher to use for one whole request."""
        searcher = self._searcher
        if searcher is None:
            raise self._error or IndexNotFound(
                "no index has been built yet; run `ragnotes index` first"
            )
        return searcher

    @property
    def problem(self) -> str | None:
        """What is wrong on disk while a loaded build keeps serving (None: nothing)."""
        return self._problem

    def _check_loaded(self) -> None:
        """Notice when the served build's files change or vanish under it."""
        searcher = self._searcher
        if searcher is None or self._loaded_id != searcher.build_id:
            return
        now = _stamps(searcher.folder)
        changed = [name for name, stamp in now.items() if stamp != self._stamps.get(name)]
        if changed:
            self._problem = (
                f"build {searcher.build_id} changed on disk since it was loaded "
                f"({', '.join(changed)}); still serving the loaded copy. "
                "Run `ragnotes index` to build a new one"
            )

    def refresh(self) -> bool:
        """Load the build CURRENT points at, if it is not the loaded one; True when swapped."""
        with self._reload_lock:
            build_id = self.store.current_id()
            if build_id is None:
                self._error = IndexNotFound(
                    "no index has been built yet; run `ragnotes index` first"
                )
                return False
            if build_id == self._loaded_id:
                self._check_loaded()
                return False
            self._loaded_id = build_id
            try:
                stamps = _stamps(self.store.build_dir(build_id))
                searcher = Searcher.load(self.store, self.embedder)
            except RagnotesError as exc:
                log.warning("cannot load build %s: %s", build_id, exc)
                if self._searcher is None:
                    self._error = exc
                else:
                    self._problem = f"{exc} (still serving build {self._searcher.build_id})"
                return False
            self._searcher, self._stamps = searcher, stamps
            self._error = self._problem = None
            log.info("serving build %s", build_id)
            self._start_preparing(searcher)
            return True

    def _start_preparing(self, searcher: Searcher) -> None:
        self._stop_preparing.set()  # the previous build's, if still going
        if self._prepare is None:
            return
        stop = self._stop_preparing = threading.Event()
        prepare = self._prepare

        def run() -> None:
            try:
                prepare(searcher, stop)
            except Exception:  # only a head start: requests prepare what they need anyway
                log.exception("preparing build %s's passages failed", searcher.build_id)

        self._preparing = threading.Thread(target=run, name="ragnotes-prepare", daemon=True)
        self._preparing.start()

    def wait_prepared(self, timeout: float) -> None:
        """Wait, at most `timeout` seconds, for the loaded build's preparing to end."""
        if self._preparing is not None:
            self._preparing.join(timeout)

    def start_watching(self, interval: float = 0.5) -> None:
        """Poll the pointer in a daemon thread."""

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.refresh()
                except Exception:  # keep serving the old build whatever happens
                    log.exception("reloading the index failed")

        self._thread = threading.Thread(target=loop, name="ragnotes-index-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._stop_preparing.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
