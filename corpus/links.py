"""Which file a wikilink names, by Obsidian's rules.

A link is a path or a file's name, ".md" left off for notes, matched without regard to case:
"[[Ranking]]", "[[ml/Ranking]]", "[[ml/ranking.md]]". A name (or "./", "../") is first looked
for in the linking note's folder, a path from the vault's root; then every file whose path ends
with the link is a candidate, and among several the one in the linking note's folder wins, else
the shortest path (fewest folders, then alphabetical): the file a "shortest path" link names.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable

from ragnotes.corpus.reading import MARKDOWN_SUFFIXES


def _folder(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


class FileNames:
    """The files of a vault by lower-case path and name, to resolve links against."""

    def __init__(self, paths: Iterable[str]) -> None:
        self._by_path: dict[str, str] = {}
        self._by_name: dict[str, list[str]] = {}
        for path in sorted(paths):
            self._by_path.setdefault(path.lower(), path)
            self._by_name.setdefault(path.rsplit("/", 1)[-1].lower(), []).append(path)

    def resolve(self, target: str, source: str | None = None) -> str | None:
        """The path `target` names, linked from the file at `source`; None when none does."""
        wanted = target.strip().lstrip("/").lower()
        if not wanted:
            return source  # "[[#Heading]]": the note itself
        if posixpath.splitext(wanted)[1] not in MARKDOWN_SUFFIXES and not self._is_file(wanted):
            wanted += ".md"
        here = _folder(source or "")
        relative = posixpath.normpath(posixpath.join(here, wanted)) if here else wanted
        # A bare name or "./", "../" is read from the linking note's folder; a path, from the root.
        tries = (relative, wanted) if "/" not in wanted or wanted[0] == "." else (wanted, relative)
        for path in tries:
            if path in self._by_path:
                return self._by_path[path]
        name = wanted.rsplit("/", 1)[-1]
        found = [
            p
            for p in self._by_name.get(name, [])
            if p.lower() == wanted or p.lower().endswith("/" + wanted)
        ]
        if not found:
            return None
        return min(found, key=lambda p: (_folder(p) != here, p.count("/"), p.lower()))

    def _is_file(self, wanted: str) -> bool:
        """Whether a link with a dot in its name names a file that has it ("diagram.png")."""
        return wanted.rsplit("/", 1)[-1] in self._by_name
