"""Run an index build from the command line: progress bar, skipped files, summary line."""

from __future__ import annotations

import sys

from tqdm import tqdm

from corpus.documents import Discovery
from index.build import BuildResult
from index.embedding import Embedder, Progress
from index.pipeline import run_index
from service.settings import Settings

MAX_LISTED_SKIPS = 20


def summary_line(result: BuildResult) -> str:
    """One line: files, chunks, seconds, chunks per second."""
    rate = result.chunks / result.seconds if result.seconds > 0 else 0.0
    return (
        f"indexed {result.files} files into {result.chunks} chunks in {result.seconds:.1f} s "
        f"({rate:.0f} chunks/s; {result.embedded} embedded, {result.chunks - result.embedded} from cache; "
        f"{result.reused_files} files unchanged) -> build {result.build_id}"
    )


def index_configured(
    settings: Settings, embedder: Embedder, progress: Progress | None = None, *, full: bool = False
) -> tuple[BuildResult, Discovery]:
    """Discover and build what `settings` describe, the way they say."""
    return run_index(
        settings.sources(),
        embedder,
        settings.store(),
        target_tokens=settings.target_tokens,
        progress=progress,
        full=full,
        approximate_above=settings.approximate_above,
        late_interaction=settings.rerank,
    )


def index_with_progress(settings: Settings, full: bool = False) -> int:
    """Build the index for `settings`, printing progress and a summary; 0 on success."""
    embedder = settings.load_embedder()
    bar: tqdm | None = None

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc="embedding", unit="chunk", file=sys.stderr, disable=None)
        bar.update(done - bar.n)

    try:
        result, found = index_configured(settings, embedder, progress, full=full)
    finally:
        if bar is not None:
            bar.close()
    for skip in found.skipped[:MAX_LISTED_SKIPS]:
        print(f"skipped {skip.file}: {skip.reason}", file=sys.stderr)
    if len(found.skipped) > MAX_LISTED_SKIPS:
        print(
            f"... and {len(found.skipped) - MAX_LISTED_SKIPS} more skipped files", file=sys.stderr
        )
    if found.missing_repos:
        print(
            f"{len(found.missing_repos)} curated repos are not synced and were left out; "
            "run `ragnotes readmes sync` to add them",
            file=sys.stderr,
        )
    if result.full_reason and result.full_reason != "no previous build":
        print(f"full rebuild: {result.full_reason}", file=sys.stderr)
    print(summary_line(result))
    return 0
