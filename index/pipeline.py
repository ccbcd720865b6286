"""From source folders to a published build: discover, then build."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from corpus.curated import CuratedRepo
from corpus.documents import MAX_FILE_BYTES, Discovery, discover
from corpus.errors import ConfigError
from index.ann import APPROXIMATE_ABOVE
from index.build import BuildResult, build_index
from index.chunking import DEFAULT_TARGET_TOKENS
from index.embedding import Embedder, Progress
from index.store import BuildStore


@dataclass(frozen=True)
class Sources:
    """Where documents come from for one build."""

    notes_roots: tuple[Path, ...]
    readmes_dir: Path | None  # None: leave the curated READMEs out
    repos: tuple[CuratedRepo, ...]
    max_file_bytes: int = MAX_FILE_BYTES  # larger files are skipped, never read

    def discover(self) -> Discovery:
        for root in self.notes_roots:
            if not root.is_dir():
                raise ConfigError(f"the notes folder {root} does not exist or is not a folder")
        return discover(self.notes_roots, self.readmes_dir, self.repos, self.max_file_bytes)


def run_index(
    sources: Sources,
    embedder: Embedder,
    store: BuildStore,
    *,
    target_tokens: int = DEFAULT_TARGET_TOKENS,
    progress: Progress | None = None,
    full: bool = False,
    approximate_above: int = APPROXIMATE_ABOVE,
    late_interaction: bool = True,
) -> tuple[BuildResult, Discovery]:
    """Discover documents and publish a new build of them."""
    found = sources.discover()
    if not found.documents:
        raise ConfigError(
            "found no Markdown files to index; check --notes / RAGNOTES_NOTES_DIR, "
            "or sync the curated READMEs with `ragnotes readmes sync`"
        )
    result = build_index(
        found.documents,
        embedder,
        store,
        target_tokens=target_tokens,
        progress=progress,
        full=full,
        approximate_above=approximate_above,
        late_interaction=late_interaction,
    )
    return result, found


def default_notes_roots(
    extra: Sequence[Path], bundled: bool, bundled_dir: Path
) -> tuple[Path, ...]:
    """The bundled notes folder (unless turned off) followed by the user's folders."""
    roots = ([bundled_dir] if bundled else []) + [p.expanduser().resolve() for p in extra]
    return tuple(dict.fromkeys(roots))
