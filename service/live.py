"""The live searcher a server answers from, swapped atomically when a new build is published.

Requests call `snapshot()` once and use that Searcher to the end; a watcher thread notices a new
CURRENT pointer (from the CLI or the server's own re-index), loads it beside the old one, and
swaps the reference. A build that fails to load leaves the previous searcher serving.
"""

from __future__ import annotations

import logging
import threading

from corpus.errors import IndexNotFound, RagnotesError
from index.embedding import Embedder
from index.freshness import FileHashes
from index.searcher import Searcher
from index.store import BuildStore

log = logging.getLogger(__name__)


class LiveIndex:
    """Holds the current Searcher and reloads it when the pointer moves."""

    def __init__(self, store: BuildStore, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder
        self.hashes = FileHashes()
        self._searcher: Searcher | None = None
        self._error: RagnotesError | None = None
        self._loaded_id: str | None = None
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
    def error(self) -> RagnotesError | None:
        return self._error

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
                return False
            self._loaded_id = build_id
            try:
                searcher = Searcher.load(self.store, self.embedder)
            except RagnotesError as exc:
                log.warning("cannot load build %s: %s", build_id, exc)
                if self._searcher is None:
                    self._error = exc
                return False
            self._searcher = searcher
            self._error = None
            log.info("serving build %s", build_id)
            return True

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
        if self._thread is not None:
            self._thread.join(timeout=5)
