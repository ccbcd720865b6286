"""The /notes/<path> page's model: which file a URL may open, and its lines grouped by citation.

Only Markdown files inside the indexed notes folders are served. A path is refused before it
touches the disk when it is absolute or has a `..`, hidden or empty part, and after it is
resolved (symlinks followed) when it lands outside its folder; every refusal is the same
NotFoundError, so a 404 says nothing about what exists elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from corpus.documents import MARKDOWN_SUFFIXES, read_markdown
from corpus.errors import NotFoundError

_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_HEADING = re.compile(r"^ {0,3}#{1,6}(\s|$)")


@dataclass(frozen=True)
class Line:
    """One numbered line of a note, with how the page styles it."""

    number: int
    text: str
    kind: str  # "text", "heading", "code" or "front" (front matter)


@dataclass(frozen=True)
class LineGroup:
    """Consecutive lines; `anchor` ("L9-L10") is set when they are exactly one cited span."""

    anchor: str | None
    lines: tuple[Line, ...]


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


def read_note(file: Path) -> str:
    """The note's text as the indexer reads it; an unreadable note is not found."""
    text = read_markdown(file)
    if not isinstance(text, str):
        raise NotFoundError(f"cannot show {file.name}: {text.reason}")
    return text


def _kinds(lines: list[str]) -> Iterable[str]:
    in_front = bool(lines) and lines[0].strip() == "---"
    in_code = False
    for i, line in enumerate(lines):
        if in_front:
            in_front = i == 0 or line.strip() != "---"
            yield "front"
        elif _FENCE.match(line):
            in_code = not in_code
            yield "code"
        else:
            yield "code" if in_code else "heading" if _HEADING.match(line) else "text"


def line_groups(text: str, spans: Iterable[tuple[int, int]]) -> list[LineGroup]:
    """The note's lines, with each cited span that overlaps no other one grouped under its anchor."""
    raw = text.removesuffix("\n").split("\n")
    lines = [Line(n, t, k) for n, (t, k) in enumerate(zip(raw, _kinds(raw), strict=True), 1)]
    groups: list[LineGroup] = []
    pos = 1  # next line number not yet grouped
    for start, end in sorted(set(spans)):
        if start < pos or end > len(lines) or end < start:
            continue  # overlaps the previous span, or the file has shrunk since the build
        if start > pos:
            groups.append(LineGroup(None, tuple(lines[pos - 1 : start - 1])))
        groups.append(LineGroup(f"L{start}-L{end}", tuple(lines[start - 1 : end])))
        pos = end + 1
    if pos <= len(lines):
        groups.append(LineGroup(None, tuple(lines[pos - 1 :])))
    return groups
