"""Which file a note path may open, for every reader of a note: the note view (/notes/) and the
MCP tools (`get` and the resources).

Only files inside the indexed notes folders are opened. A path is refused before it touches the
disk when it is absolute or has a `..`, hidden or empty part, and after it is resolved (symlinks
followed) when it lands outside its folder; every refusal is the same NotFoundError, so a 404
says nothing about what exists elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from ragnotes.corpus.notes_folders import folder_of
from ragnotes.corpus.reading import MARKDOWN_SUFFIXES, read_markdown
from ragnotes.errors import NotFoundError


def _safe_parts(path: str, suffixes: frozenset[str] = MARKDOWN_SUFFIXES) -> tuple[str, ...]:
    pure = PurePosixPath(path)
    bad = (
        not path
        or "\x00" in path
        or "\\" in path
        or pure.is_absolute()
        or any(p in ("", ".", "..") or p.startswith(".") for p in path.split("/"))
        or pure.suffix.lower() not in suffixes
    )
    if bad:
        raise NotFoundError(f"no note at {path!r}")
    return pure.parts


def resolve_note(
    roots: Sequence[Path], path: str, suffixes: frozenset[str] = MARKDOWN_SUFFIXES
) -> Path:
    """The file a /notes/ URL names: the first notes folder holding it, as discovery does."""
    parts = _safe_parts(path, suffixes)
    for root in roots:
        base = root.resolve()
        file = base.joinpath(*parts).resolve()
        if file.is_relative_to(base) and file.is_file():
            return file
    raise NotFoundError(f"no note at {path!r}")


def indexed_note(file: str, path: str) -> Path:
    """Where a build's note is on disk: its folder as the build found it (the file less the
    path), and the path through the checks above (no `..`, no hidden parts, no symlink out)."""
    return resolve_note([folder_of(file, path)], path)


def read_note(file: Path) -> str:
    """The note's text as the indexer reads it; an unreadable note is not found."""
    text = read_markdown(file)
    if not isinstance(text, str):
        raise NotFoundError(f"cannot show {file.name}: {text.reason}")
    return text
