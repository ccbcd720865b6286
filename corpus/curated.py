"""The curated READMEs (`corpus/readmes.toml`): public repos pinned to a commit, and their files."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from ragnotes.errors import ConfigError

CURATED_PATH = Path(__file__).resolve().parent / "readmes.toml"


@dataclass(frozen=True)
class CuratedRepo:
    """One curated GitHub repo and the files taken from it."""

    name: str  # "owner/name"
    commit: str
    license: str
    files: tuple[str, ...]

    @property
    def folder(self) -> str:
        """Folder name in a mirror or the data directory: OWNER__NAME."""
        return self.name.replace("/", "__")


def load_curated(path: Path = CURATED_PATH) -> list[CuratedRepo]:
    """Read `corpus/readmes.toml`; a malformed entry is a ConfigError naming it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the curated README list {path}: {exc}") from exc
    repos = []
    for i, entry in enumerate(data.get("repo", []), 1):
        try:
            repos.append(
                CuratedRepo(
                    name=str(entry["name"]),
                    commit=str(entry["commit"]),
                    license=str(entry["license"]),
                    files=tuple(str(f) for f in entry["files"]),
                )
            )
        except KeyError as exc:
            raise ConfigError(f"{path}: repo entry {i} lacks the field {exc}") from exc
    return repos
