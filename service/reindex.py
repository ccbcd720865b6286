"""Re-index jobs, and the one build every way of starting one makes.

`build_configured` is the build the settings describe (`index_sources` with their sources and
`BuildOptions`), whoever runs it: `ragnotes index` in the foreground (service/index_cli.py, with a
progress bar), a server's build process (service/build_worker.py), the Ray deployment's
coordinator (service/ray_jobs.py). A server tracks its builds as `Reindexer` jobs: one at a
time, each run in a background thread that waits on the build process, so queries keep being
answered from the live build until the new one is published, then LiveIndex swaps to it. Jobs
triggered while one runs are refused over HTTP (409) and coalesced into one follow-up run for the
file watcher (service/watch.py).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal, Protocol

from ragnotes.corpus.documents import BUNDLED_NOTES_DIR, Discovery
from ragnotes.corpus.notes_folders import NotesFolders, refuse_drops
from ragnotes.errors import NotFoundError, RagnotesError, ReindexRunning
from ragnotes.index.build import BuildResult, index_sources, live_notes
from ragnotes.index.embedding import Embedder, Progress
from ragnotes.index.vector_cache import FanOut
from ragnotes.service.live import LiveIndex
from ragnotes.service.settings import Settings

log = logging.getLogger(__name__)
JobState = Literal["running", "succeeded", "failed"]


def build_configured(
    settings: Settings,
    embedder: Embedder,
    progress: Progress | None = None,
    full: bool = False,
    prune: bool = False,
    fan_out: FanOut | None = None,
) -> tuple[BuildResult, Discovery]:
    """The build `settings` describe, published; its notes folders are recorded in the data dir.

    A build that would drop the notes of a folder the live build holds, not taken out with
    `ragnotes notes remove`, is refused unless `prune` says to drop them. With `fan_out`, the
    missing vectors are computed there (`ragnotes index --ray`).
    """
    options = settings.build_options(full=full)
    state = NotesFolders.read(settings.data_dir)
    sources = settings.sources()
    if not prune:
        refuse_drops(live_notes(settings.store()), sources.notes_roots, state.removed)
    result, found = index_sources(sources, embedder, settings.store(), options, progress, fan_out)
    extra = [root for root in sources.notes_roots if root != BUNDLED_NOTES_DIR]
    state.built(extra).write(settings.data_dir)
    return result, found


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


class ReindexJobs(Protocol):
    """What the HTTP routes and the file watcher ask of re-index jobs: a `Reindexer` in this
    process, or one shared by every replica of a Ray deployment (service/ray_jobs.py)."""

    def start(self, trigger: str = "http") -> JobStatus: ...

    def request(self, trigger: str) -> None: ...

    def status(self, job_id: str) -> JobStatus: ...

    def latest(self) -> JobStatus | None: ...

    def wait_idle(self, timeout: float | None = None) -> bool: ...


class Reindexer:
    """Starts builds in a background thread and tracks the latest job; `live`, when given, is
    refreshed as soon as a build is published."""

    def __init__(
        self, build: Callable[[Progress], BuildResult], live: LiveIndex | None = None
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
            if self._live is not None:
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
