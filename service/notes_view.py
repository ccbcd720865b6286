"""The /notes/<path> page's model: which file a URL may open, and its blocks grouped by citation.

Only Markdown files inside the indexed notes folders are served. A path is refused before it
touches the disk when it is absolute or has a `..`, hidden or empty part, and after it is
resolved (symlinks followed) when it lands outside its folder; every refusal is the same
NotFoundError, so a 404 says nothing about what exists elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from corpus.documents import MARKDOWN_SUFFIXES, read_markdown
from corpus.errors import NotFoundError
from corpus.notes_folders import folder_of
from service.render import NoteBlock


@dataclass(frozen=True)
class BlockGroup:
    """Consecutive blocks; `anchor` ("L9-L10") is set when they are the blocks one cited span
    overlaps, so that the URL's #L9-L10 lands on them (and :target lights them without scripts).
    """

    anchor: str | None
    blocks: tuple[NoteBlock, ...]


def _safe_parts(path: str) -> tuple[str, ...]:
    pure = PurePosixPath(path)
    bad = (
        not path
        or "\x00" in path
        or "\\" in path
        or pure.is_absolute()
        or any(p in ("", ".", "..") or p.startswith(".") for p in path.split("/"))
        or pure.suffix.lower() not in MARKDOWN_SUFFIXES
    )
    if bad:
        raise NotFoundError(f"no note at {path!r}")
    return pure.parts


def resolve_note(roots: Sequence[Path], path: str) -> Path:
    """The file a /notes/ URL names: the first notes folder holding it, as discovery does."""
    parts = _safe_parts(path)
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


def block_groups(blocks: Sequence[NoteBlock], spans: Iterable[tuple[int, int]]) -> list[BlockGroup]:
    """The note's blocks, with those each cited span overlaps grouped under its anchor.

    A span whose blocks were already taken by an earlier span (two pieces of one long code
    block) gets no group of its own; note.js still lights its lines.
    """
    groups: list[BlockGroup] = []
    pos = 0  # next block not yet grouped
    for start, end in sorted(set(spans)):
        hit = [i for i, b in enumerate(blocks) if b.start_line <= end and b.end_line >= start]
        if not hit or hit[0] < pos or end < start:
            continue  # overlaps the previous span, or the file has changed since the build
        if hit[0] > pos:
            groups.append(BlockGroup(None, tuple(blocks[pos : hit[0]])))
        groups.append(BlockGroup(f"L{start}-L{end}", tuple(blocks[hit[0] : hit[-1] + 1])))
        pos = hit[-1] + 1
    if pos < len(blocks):
        groups.append(BlockGroup(None, tuple(blocks[pos:])))
    return groups
