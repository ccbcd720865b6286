"""Index status and re-indexing over HTTP. Re-indexing changes state, so it needs the admin token."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel, Field

from ragnotes.answers.passages import index_info
from ragnotes.service.http_errors import AdminDisabled, Unauthorized
from ragnotes.service.index_status import ChangeCheck, ChangeCounts, change_counts
from ragnotes.service.live import LiveIndex
from ragnotes.service.reindex import JobStatus, ReindexJobs
from ragnotes.service.schemas import IndexInfo, error_responses
from ragnotes.service.security import bearer_matches
from ragnotes.service.settings import Settings


class JobInfo(BaseModel):
    """A re-index job."""

    id: str = Field(description="Job id, for GET /api/reindex/{id}.")
    trigger: str = Field(description='What started it: "http" or "watch".')
    state: str = Field(description="running, succeeded or failed.")
    stage: str = Field(description="What it is doing: discover, chunk, embed, write, published.")
    done: int = Field(description="Chunks embedded so far in this stage.")
    total: int = Field(
        description="Chunks to embed in this stage (unchanged text is reused, not counted)."
    )
    started_at: float = Field(description="Unix time the job started.")
    finished_at: float | None = Field(default=None, description="Unix time it ended.")
    build_id: str | None = Field(default=None, description="The build it published.")
    files: int | None = Field(default=None, description="Files in that build.")
    chunks: int | None = Field(default=None, description="Chunks in that build.")
    embedded: int | None = Field(
        default=None, description="Chunks whose vectors had to be computed."
    )
    error: str | None = Field(
        default=None, description="Why it failed; the live index kept serving."
    )


class IndexStatus(BaseModel):
    """The live build, the latest re-index job and how stale the build is."""

    live: IndexInfo | None = Field(description="The build answering queries, or null.")
    job: JobInfo | None = Field(description="The running job, else the latest one, else null.")
    changed_files: int = Field(
        description="Source files changed, added or deleted since the live build."
    )
    changes: ChangeCounts = Field(description="changed_files broken down.")


class Accepted(BaseModel):
    """A re-index job that was started."""

    job_id: str = Field(
        description="Poll GET /api/reindex/{job_id} or GET /api/index for progress."
    )
    status_url: str = Field(description="Where to poll.")


def _job_info(job: JobStatus | None) -> JobInfo | None:
    return None if job is None else JobInfo(**asdict(job))


def check_admin(token: str | None, authorization: str | None) -> None:
    """Refuse a write unless `authorization` carries the admin `token` (constant-time compare)."""
    if not token:
        raise AdminDisabled(
            "re-indexing over HTTP is disabled; set RAGNOTES_ADMIN_TOKEN on the server to enable it"
        )
    if not bearer_matches(authorization, [token]):
        raise Unauthorized("send the admin token as 'Authorization: Bearer <RAGNOTES_ADMIN_TOKEN>'")


def admin_router(live: LiveIndex, reindexer: ReindexJobs, settings: Settings) -> APIRouter:
    """Routes for /api/index and /api/reindex."""
    router = APIRouter(tags=["index"])
    check = ChangeCheck(settings.sources, live.hashes, ttl=0)

    def require_admin(authorization: Annotated[str | None, Header()] = None) -> None:
        check_admin(settings.admin_token, authorization)

    @router.get("/api/index", response_model=IndexStatus, responses=error_responses(429))
    def index_status() -> IndexStatus:
        """The live build, re-index progress, and how many source files changed since the build."""
        status = check.status(live)
        return IndexStatus(
            live=None if status.manifest is None else index_info(status.manifest),
            job=_job_info(reindexer.latest()),
            changed_files=status.changes.total,
            changes=change_counts(status.changes),
        )

    @router.post(
        "/api/reindex",
        status_code=202,
        response_model=Accepted,
        dependencies=[Depends(require_admin)],
        responses=error_responses(401, 403, 409, 413, 415, 422, 429),
    )
    def reindex() -> Accepted:
        """Start a re-index in the background (needs the admin bearer token)."""
        job = reindexer.start("http")
        return Accepted(job_id=job.id, status_url=f"/api/reindex/{job.id}")

    @router.get(
        "/api/reindex/{job_id}", response_model=JobInfo, responses=error_responses(404, 422, 429)
    )
    def job_status(job_id: str) -> JobInfo:
        """One re-index job's progress or outcome."""
        info = _job_info(reindexer.status(job_id))
        assert info is not None
        return info

    return router
