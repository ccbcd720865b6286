"""The /notes/<path> page's model: a note's blocks grouped by citation, and where its wikilinks go.

Which file a path may open is service/note_files.py's to say, for the page and the MCP tools alike.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ragnotes.corpus.documents import NOTES_SOURCE
from ragnotes.corpus.links import FileNames
from ragnotes.corpus.notes_folders import folder_of
from ragnotes.corpus.obsidian import BLOCK_ID, WikiLink
from ragnotes.errors import NotFoundError
from ragnotes.index.chunking import Chunk
from ragnotes.index.searcher import Searcher
from ragnotes.service.note_files import indexed_note, read_note
from ragnotes.service.render import NoteBlock

# Images a note may embed that /notes/ serves from a notes folder (SVG is left out: it can
# carry scripts).
SERVED_IMAGES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".avif"})


@dataclass(frozen=True)
class BlockGroup:
    """Consecutive blocks; `anchor` ("L9-L10") is set when they are the blocks one cited span
    overlaps, so that the URL's #L9-L10 lands on them (and :target lights them without scripts).
    """

    anchor: str | None
    blocks: tuple[NoteBlock, ...]


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


def _images(root: Path) -> Iterator[str]:
    """Paths of the images a notes folder holds, hidden folders left out."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if Path(name).suffix.lower() in SERVED_IMAGES:
                yield Path(folder, name).relative_to(root).as_posix()


class NoteLinks:
    """Where the wikilinks of one build's notes go: the note view of the indexed note each
    names (at the lines of the heading or block it names), or an image in the note's folder."""

    def __init__(self, searcher: Searcher) -> None:
        self._searcher = searcher
        self._notes = FileNames(p for s, p in searcher.docs if s == NOTES_SOURCE)
        self._chunks: dict[str, list[Chunk]] = {}
        for chunk in searcher.chunks:
            if chunk.source == NOTES_SOURCE:
                self._chunks.setdefault(chunk.path, []).append(chunk)
        self._images: dict[Path, FileNames] = {}  # each folder listed when first needed

    def roots(self) -> list[Path]:
        """The folders the build's notes were found in."""
        docs = self._searcher.docs.values()
        found = (folder_of(d.file, d.path) for d in docs if d.source == NOTES_SOURCE)
        return list(dict.fromkeys(found))

    def href(self, link: WikiLink, source: str) -> str | None:
        """The URL of what `link`, in the note at `source`, names; None when nothing indexed."""
        if link.image:
            return self._image(link, source)
        path = self._notes.resolve(link.target, source)
        return None if path is None else f"/notes/{quote(path)}{self._anchor(path, link)}"

    def _anchor(self, path: str, link: WikiLink) -> str:
        if link.heading:  # "Note#A#B" names B under A: the last heading is the one to open
            wanted = link.heading.rsplit("#", 1)[-1].strip().lower()
            for c in self._chunks.get(path, []):
                if c.heading.rsplit(" > ", 1)[-1].lower() == wanted:
                    return f"#L{c.start_line}-L{c.end_line}"
        if link.block:
            doc = self._searcher.docs[(NOTES_SOURCE, path)]
            try:
                lines = read_note(indexed_note(doc.file, path)).split("\n")
            except NotFoundError:
                return ""
            for n, line in enumerate(lines, 1):
                found = BLOCK_ID.search(line)
                if found and found.group(1) == link.block:
                    return f"#L{n}-L{n}"
        return ""

    def _image(self, link: WikiLink, source: str) -> str | None:
        doc = self._searcher.docs.get((NOTES_SOURCE, source))
        if doc is None:
            return None
        root = folder_of(doc.file, doc.path)
        if root not in self._images:
            self._images[root] = FileNames(_images(root))
        path = self._images[root].resolve(link.target, source)
        return None if path is None else f"/notes/{quote(path)}"
