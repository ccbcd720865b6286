"""The notes folders a data directory indexes: state kept beside the builds, not flags.

DATA_DIR/notes-folders.json holds the user's notes folders as absolute paths, and those taken
out with `ragnotes notes remove` whose notes the next build may drop. `ragnotes notes add` and
`remove` edit it; every build adds the folders it was given (`--notes`, RAGNOTES_NOTES_DIR), so
a later plain `ragnotes index`, `serve`, `mcp` or `/api/reindex` uses the same set.

A build that would leave out the notes of a folder the live build indexed, without that folder
having been removed, is refused (`dropped_folders`): `--prune` lets it through.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ragnotes.errors import ConfigError

FILE_NAME = "notes-folders.json"


@dataclass(frozen=True)
class NotesFolders:
    """The recorded notes folders, and the removed ones whose notes may leave the index."""

    folders: tuple[Path, ...] = ()
    removed: tuple[Path, ...] = ()

    @classmethod
    def read(cls, data_dir: Path) -> NotesFolders:
        """The state of `data_dir` (nothing recorded when the file is absent)."""
        path = data_dir / FILE_NAME
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                tuple(Path(p) for p in raw.get("folders", [])),
                tuple(Path(p) for p in raw.get("removed", [])),
            )
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            raise ConfigError(
                f"{path} cannot be read ({exc}); fix it or delete it and add your folders "
                "again with `ragnotes notes add DIR`"
            ) from exc

    def write(self, data_dir: Path) -> None:
        """Replace the state file atomically."""
        data_dir.mkdir(parents=True, exist_ok=True)
        body = {
            "folders": [str(p) for p in self.folders],
            "removed": [str(p) for p in self.removed],
        }
        tmp = data_dir / f".{FILE_NAME}.tmp"
        tmp.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, data_dir / FILE_NAME)

    def add(self, folder: Path) -> NotesFolders:
        """With `folder` (an existing folder, made absolute) recorded."""
        folder = absolute(folder)
        if not folder.is_dir():
            raise ConfigError(f"{folder} is not a folder; give the path of your notes folder")
        return NotesFolders(
            tuple(dict.fromkeys([*self.folders, folder])),
            tuple(p for p in self.removed if p != folder),
        )

    def remove(self, folder: Path) -> NotesFolders:
        """Without `folder`; its notes leave the index at the next build."""
        folder = absolute(folder)
        if folder not in self.folders:
            listed = ", ".join(str(p) for p in self.folders) or "none"
            raise ConfigError(f"{folder} is not a recorded notes folder (recorded: {listed})")
        return NotesFolders(
            tuple(p for p in self.folders if p != folder),
            tuple(dict.fromkeys([*self.removed, folder])),
        )

    def built(self, folders: Iterable[Path]) -> NotesFolders:
        """After a build of `folders`: each recorded, nothing left pending removal."""
        return NotesFolders(tuple(dict.fromkeys([*self.folders, *folders])), ())


def absolute(folder: Path) -> Path:
    """A folder as recorded: user expanded, absolute, symlinks resolved."""
    return folder.expanduser().resolve()


def folder_of(file: str, path: str) -> Path:
    """The notes folder a note was found in: its file less its path inside the folder."""
    parts = Path(file).parts
    return Path(*parts[: len(parts) - len(PurePosixPath(path).parts)])


def dropped_folders(
    indexed: Iterable[tuple[str, str]], roots: Sequence[Path], allowed: Iterable[Path]
) -> dict[Path, int]:
    """Folders of the live build's notes, given as (file, path), that `roots` leave out and
    `allowed` does not let go, with how many notes each holds."""
    keep = {*roots, *allowed}
    dropped: dict[Path, int] = {}
    for file, path in indexed:
        folder = folder_of(file, path)
        if folder not in keep:
            dropped[folder] = dropped.get(folder, 0) + 1
    return dropped


def refuse_drops(
    indexed: Iterable[tuple[str, str]], roots: Sequence[Path], allowed: Iterable[Path]
) -> None:
    """A ConfigError naming a folder whose indexed notes a build of `roots` would leave out."""
    dropped = dropped_folders(indexed, roots, allowed)
    if dropped:
        folder, count = next(iter(dropped.items()))
        more = f" (and {len(dropped) - 1} more folders)" if len(dropped) > 1 else ""
        raise ConfigError(
            f"this build would drop the {count} indexed notes of {folder}{more}, which is not "
            f"a notes folder any more; keep them with `ragnotes notes add {folder}`, "
            "or drop them with `ragnotes index --prune`"
        )
