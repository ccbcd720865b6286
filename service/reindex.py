"""Background re-indexing for a running server: one job at a time, progress, and a debounced watcher.

A job runs the same build as `ragnotes index` (in the build worker process, see
service/build_worker.py); queries keep being answered from the live build until the new one is
published, then LiveIndex swaps to it. Jobs triggered while one
runs are refused over HTTP (409) and coalesced into one follow-up run for the file watcher.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from corpus.errors import NotFoundError, RagnotesError, ReindexRunning
from index.build import BuildResult
from index.embedding import Progress
from service.live import LiveIndex

log = logging.getLogger(__name__)
JobState = Literal["running", "succeeded", "failed"]


@dataclass(frozen=True)
class JobStatus:
    """A re-index job as reported by GET /api/index and /api/reindex/{id}."""

    id: str
    trigger: str
    state: JobState
    stage: str
    done: int
    total: int
    started_at: float
    finished_at: float | None = None
    build_id: str | None = None
    files: int | None = None
    chunks: int | None = None
    embedded: int | None = None
    error: str | None = None


class Reindexer:
    """Starts builds in a background thread and tracks the latest job."""

    def __init__(
        self,
        build: Callable[[Progress], BuildResult],
        live: LiveIndex,
    ) -> None:
        self._build = build
        self._live = live
        self._lock = threading.Lock()
        self._jobs: dict[str, JobStatus] = {}
        self._running: str | None = None
        self._again: str | None = None  # a trigger that arrived while a job ran
        self._idle = threading.Event()
        self._idle.set()

    def start(self, trigger: str = "http") -> JobStatus:
        """Start a job now; ReindexRunning when one is already running."""
        with self._lock:
            if self._running is not None:
                raise ReindexRunning(
                    f"re-index job {self._running} is still running; wait for it to finish"
                )
            return self._launch(trigger)

    def request(self, trigger: str) -> None:
        """Start a job, or run one more right after the current job (coalescing bursts)."""
        with self._lock:
            if self._running is None:
                self._launch(trigger)
            else:
                self._again = trigger

    def _launch(self, trigger: str) -> JobStatus:
        job = JobStatus(uuid.uuid4().hex[:12], trigger, "running", "discover", 0, 0, time.time())
        self._jobs[job.id] = job
        self._running = job.id
        self._idle.clear()
        threading.Thread(
            target=self._run, args=(job.id,), name=f"reindex-{job.id}", daemon=True
        ).start()
        return job

    def _update(self, job_id: str, **changes: object) -> None:
        with self._lock:
            self._jobs[job_id] = replace(self._jobs[job_id], **changes)  # type: ignore[arg-type]

    def _run(self, job_id: str) -> None:
        try:
            result = self._build(
                lambda stage, done, total: self._update(job_id, stage=stage, done=done, total=total)
            )
            self._live.refresh()
            self._update(
                job_id,
                state="succeeded",
                stage="published",
                build_id=result.build_id,
                files=result.files,
                chunks=result.chunks,
                embedded=result.embedded,
                finished_at=time.time(),
            )
        except RagnotesError as exc:
            self._update(job_id, state="failed", error=str(exc), finished_at=time.time())
        except Exception as exc:  # a bug must not kill the server; the live index keeps serving
            log.exception("re-index job %s failed", job_id)
            self._update(
                job_id, state="failed", error=f"internal error: {exc}", finished_at=time.time()
            )
        finally:
            self._finish()

    def _finish(self) -> None:
        with self._lock:
            self._running = None
            again, self._again = self._again, None
            if again is not None:
                self._launch(again)
            else:
                self._idle.set()

    def status(self, job_id: str) -> JobStatus:
        """One job's status; NotFoundError for an unknown id."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no re-index job {job_id!r}")
        return job

    def latest(self) -> JobStatus | None:
        """The running job, else the most recent one."""
        with self._lock:
            if self._running is not None:
                return self._jobs[self._running]
            return max(self._jobs.values(), key=lambda j: j.started_at, default=None)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job runs or is queued (for tests and shutdown)."""
        return self._idle.wait(timeout)


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
