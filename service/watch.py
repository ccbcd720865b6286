"""Re-index when notes change: one call per burst of file events under the notes folders.

`ragnotes serve --watch` passes `Reindexer.request`, which coalesces a burst that arrives while
a build runs into one more build right after it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path


class NotesWatcher:
    """Calls `on_change` once per burst of file events under the notes folders."""

    def __init__(
        self, roots: Sequence[Path], on_change: Callable[[], None], debounce: float = 1.0
    ) -> None:
        self._roots = [r for r in roots if r.is_dir()]
        self._on_change = on_change
        self._debounce = debounce
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._observer: object | None = None

    def _event(self, path: str) -> None:
        name = Path(path).name
        if name.startswith(".") or name.endswith(("~", ".swp", ".tmp")):
            return  # editor scratch files
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self._debounce, self._on_change)
            self._timer.daemon = True
            self._timer.start()

    def start(self) -> None:
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if event.is_directory and event.event_type == "modified":
                    return  # only says an entry changed, and that entry has its own event
                if event.event_type in ("created", "modified", "deleted", "moved"):
                    watcher._event(str(event.src_path))
                    if getattr(event, "dest_path", ""):
                        watcher._event(str(event.dest_path))

        observer = Observer()
        for root in self._roots:
            observer.schedule(Handler(), str(root), recursive=True)
        observer.daemon = True
        observer.start()
        self._observer = observer

    def stop(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
        if self._observer is not None:
            self._observer.stop()  # type: ignore[attr-defined]
            self._observer.join(timeout=5)  # type: ignore[attr-defined]
