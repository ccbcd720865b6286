"""Bring the curated READMEs into the data directory, from GitHub or from a local mirror.

Both ways write DEST/OWNER__NAME/<path in repo> for exactly the files the manifest lists, at
its pinned commit. Each repo is staged in a temporary folder and swapped in whole, so a sync
that fails half-way leaves the previous copy of that repo intact.
"""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ragnotes.corpus.curated import CuratedRepo
from ragnotes.errors import RagnotesError

RAW_URL = "https://raw.githubusercontent.com/{name}/{commit}/{path}"
Fetch = Callable[[CuratedRepo, str], bytes]


class SyncError(RagnotesError):
    """Curated READMEs could not be fetched or copied."""


@dataclass(frozen=True)
class SyncReport:
    repos: int
    files: int
    bytes: int


def _fetch_github(repo: CuratedRepo, path: str, timeout: float = 20.0) -> bytes:
    url = RAW_URL.format(name=repo.name, commit=repo.commit, path=path)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data: bytes = response.read()
            return data
    except urllib.error.HTTPError as exc:
        raise SyncError(f"GitHub answered {exc.code} for {url}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SyncError(
            f"cannot reach GitHub ({reason}); copy from a local mirror with "
            "`ragnotes readmes sync --from DIR`, or just run `ragnotes index`, which indexes "
            "the notes alone"
        ) from exc


def _mirror_fetcher(mirror: Path) -> Fetch:
    if not mirror.is_dir():
        raise SyncError(f"the mirror folder {mirror} does not exist")

    def fetch(repo: CuratedRepo, path: str) -> bytes:
        file = mirror / repo.folder / path
        try:
            return file.read_bytes()
        except OSError as exc:
            raise SyncError(
                f"{file} is missing from the mirror; it should hold DIR/{repo.folder}/{path}"
            ) from exc

    return fetch


def _sync_repo(repo: CuratedRepo, dest: Path, fetch: Fetch) -> tuple[int, int]:
    stage = dest / f".staging-{repo.folder}"
    shutil.rmtree(stage, ignore_errors=True)
    total = 0
    try:
        for path in repo.files:
            data = fetch(repo, path)
            target = stage / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            total += len(data)
        (stage / ".ragnotes-sync.json").write_text(
            json.dumps({"repo": repo.name, "commit": repo.commit})
        )
        final = dest / repo.folder
        old = dest / f".old-{repo.folder}"
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            final.rename(old)
        stage.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return len(repo.files), total


def sync_readmes(
    repos: Sequence[CuratedRepo],
    dest: Path,
    mirror: Path | None = None,
    on_repo: Callable[[CuratedRepo], None] | None = None,
) -> SyncReport:
    """Copy (mirror) or download (GitHub) every manifest file into `dest`."""
    fetch = _mirror_fetcher(mirror) if mirror is not None else _fetch_github
    dest.mkdir(parents=True, exist_ok=True)
    files = size = 0
    for repo in repos:
        n, b = _sync_repo(repo, dest, fetch)
        files += n
        size += b
        if on_repo is not None:
            on_repo(repo)
    return SyncReport(len(repos), files, size)
