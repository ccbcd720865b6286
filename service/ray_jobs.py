"""One re-index job at a time for a whole Ray deployment, whichever replica is asked.

Each replica of `ragnotes serve --ray` would otherwise hold its own `Reindexer`: two POSTs landing
on two replicas would both start a build, and a job started on one replica would be unknown
(404) to the replica that answers the next poll. So the deployment's jobs live in one named Ray
actor, `BuildCoordinator`, created by the first replica that needs it and found by name by the
others; every replica's routes talk to it through `ClusterJobs`, the same `ReindexJobs` shape
a single server's `Reindexer` has. The actor runs the build in its own process, niced, so no
replica's queries wait behind it; the replicas see the result as every server does, when
`CURRENT` moves. The data directory's build lock (`BuildStore.build_lock`) still refuses a
`ragnotes index` run at the same time on the shared folder.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from ragnotes.errors import NotFoundError, ReindexRunning
from ragnotes.index.build import BuildResult
from ragnotes.index.embedding import Embedder, Progress
from ragnotes.service.reindex import JobStatus, Reindexer, build_configured
from ragnotes.service.settings import Settings

NAMESPACE = "ragnotes"
_PRIORITY = 19  # as the single server's build worker: queries win the CPU


class BuildCoordinator:
    """The deployment's re-index jobs (a Ray actor; its methods return values, not errors,
    so that a refusal crosses the process boundary as plainly as a job does)."""

    def __init__(self, settings_data: dict[str, Any]) -> None:
        with contextlib.suppress(OSError):
            os.nice(_PRIORITY)
        self._settings = Settings(**settings_data)
        self._embedder: Embedder | None = None
        self._jobs = Reindexer(self._build)

    def _build(self, progress: Progress) -> BuildResult:
        if self._embedder is None:  # loaded on the first job, not for a deployment never re-indexed
            self._embedder = self._settings.load_embedder()
        result, _ = build_configured(self._settings, self._embedder, progress)
        return result

    def start(self, trigger: str) -> JobStatus | str:
        """The job started, or why none could be (one is running)."""
        try:
            return self._jobs.start(trigger)
        except ReindexRunning as exc:
            return str(exc)

    def request(self, trigger: str) -> None:
        self._jobs.request(trigger)

    def status(self, job_id: str) -> JobStatus | str:
        try:
            return self._jobs.status(job_id)
        except NotFoundError as exc:
            return str(exc)

    def latest(self) -> JobStatus | None:
        return self._jobs.latest()

    def wait_idle(self, timeout: float | None) -> bool:
        return self._jobs.wait_idle(timeout)


def coordinator_name(app_name: str) -> str:
    """The actor's name: one per Serve application."""
    return f"ragnotes-builds-{app_name}"


class ClusterJobs:
    """A replica's handle on the deployment's `BuildCoordinator` (a `ReindexJobs`)."""

    def __init__(self, app_name: str, settings: Settings) -> None:
        import ray

        actor_class = ray.remote(BuildCoordinator)
        self._actor = actor_class.options(
            name=coordinator_name(app_name),
            namespace=NAMESPACE,
            get_if_exists=True,
            lifetime="detached",  # outlives the replica that happened to create it
            max_restarts=-1,  # started again elsewhere if its node goes (a job it ran is lost)
            num_cpus=0,
            max_concurrency=8,  # status polls are answered while a build runs
        ).remote(settings.model_dump())

    def _call(self, method: str, *args: object) -> Any:
        import ray

        return ray.get(getattr(self._actor, method).remote(*args))

    def start(self, trigger: str = "http") -> JobStatus:
        result = self._call("start", trigger)
        if isinstance(result, str):
            raise ReindexRunning(result)
        job: JobStatus = result
        return job

    def request(self, trigger: str) -> None:
        self._call("request", trigger)

    def status(self, job_id: str) -> JobStatus:
        result = self._call("status", job_id)
        if isinstance(result, str):
            raise NotFoundError(result)
        job: JobStatus = result
        return job

    def latest(self) -> JobStatus | None:
        job: JobStatus | None = self._call("latest")
        return job

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Nothing to wait for in a replica: the build belongs to the deployment, not to it."""
        return True


def remove_coordinator(app_name: str) -> None:
    """Stop the deployment's coordinator (when the deployment is deleted)."""
    import ray

    with contextlib.suppress(ValueError):
        ray.kill(ray.get_actor(coordinator_name(app_name), namespace=NAMESPACE))
