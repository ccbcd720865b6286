"""What the MCP tools do, apart from any transport: search, read an indexed file, and status.

Each tool returns a pydantic model (the structured content) and the same result as text an
assistant can quote, citations down to the line. Search goes through `ask_response()`, the API's
code path. `get` serves only files the live build indexed, through the path checks of
service/note_files.py, so no argument reaches a file outside the notes folders and the synced
READMEs.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field

from ragnotes.answers.passages import ask_response, index_info, line_url
from ragnotes.answers.requests import AskRequest
from ragnotes.answers.responses import AskResponse, IndexInfo, line_span
from ragnotes.corpus.documents import NOTES_SOURCE
from ragnotes.corpus.markdown import parse
from ragnotes.errors import NotFoundError, RagnotesError
from ragnotes.index.searcher import Searcher
from ragnotes.index.store import DocInfo
from ragnotes.service.index_status import ChangeCheck, ChangeCounts, change_counts
from ragnotes.service.live import LiveIndex
from ragnotes.service.note_files import indexed_note, read_note

MAX_LINES = 400  # one `get` without a range; the text says how to read on
MAX_NAMED = 10


class FileText(BaseModel):
    """Lines of one indexed file."""

    source: str = Field(description='"notes", or the curated repo as "owner/name".')
    path: str = Field(description="The file's path inside its notes folder or repo.")
    start_line: int = Field(description="First line returned, 1-based.")
    end_line: int = Field(description="Last line returned, inclusive.")
    total_lines: int = Field(description="Lines in the whole file.")
    url: str = Field(description="Link to these lines (GitHub permalink, or ragnotes' /notes/).")
    stale: bool = Field(description="True when the file changed after the live build was made.")
    text: str = Field(description="The lines, as they are in the file (without line numbers).")


class BuildStatus(BaseModel):
    """The live build and how current it is."""

    index: IndexInfo | None = Field(description="The build answering, or null when none is.")
    age_seconds: float | None = Field(description="Seconds since that build was made.")
    changed_files: int = Field(description="Source files changed, added or deleted since.")
    changes: ChangeCounts = Field(description="changed_files broken down.")
    changed_names: list[str] = Field(description="The first changed files, by name.")
    problem: str | None = Field(description="What is wrong, if anything (e.g. no index yet).")


def passages_text(response: AskResponse) -> str:
    """The passages as an assistant quotes them: each with where it comes from, to the line."""
    if not response.passages:
        return f"No passage matches {response.question!r}."
    blocks = []
    for p in response.passages:
        c = p.citation
        where = f"{c.source}: {c.path}, {line_span(c.start_line, c.end_line)}"
        extras = ", ".join(x for x in (c.license, "changed since indexed" if c.stale else "") if x)
        # A note's /notes/ link is relative to a running server; the path and lines say it all.
        link = f"\n{c.url}" if c.url.startswith("http") else ""
        blocks.append(
            f"[{p.rank}] {c.heading}\n{where}"
            + (f" ({extras})" if extras else "")
            + f"{link}\n\n{p.text}"
        )
    head = f"{len(response.passages)} passages for {response.question!r}, best first:\n\n"
    return head + "\n\n---\n\n".join(blocks)


def search(live: LiveIndex, request: AskRequest) -> AskResponse:
    return ask_response(live.snapshot(), request, live.hashes)


def _doc(searcher: Searcher, path: str, source: str | None) -> DocInfo:
    """The indexed document a `get` names; several with that path need a source."""
    if source is not None:
        doc = searcher.docs.get((source, path))
        if doc is None:
            raise NotFoundError(
                f"{path!r} is not an indexed file of {source!r}; use a source and path "
                "from a search result's citation"
            )
        return doc
    found = [d for (s, p), d in searcher.docs.items() if p == path]
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFoundError(
            f"no indexed file has the path {path!r}; use a path from a search result's citation"
        )
    sources = ", ".join(sorted(d.source for d in found)[:MAX_NAMED])
    raise NotFoundError(f"several indexed files have the path {path!r}; pass source ({sources})")


def indexed_file(doc: DocInfo) -> Path:
    """Where an indexed document is on disk, through the path checks of service/note_files.py."""
    return indexed_note(doc.file, doc.path)


def line_range(start: int | None, end: int | None, total: int) -> tuple[int, int]:
    first = start or 1
    if first > max(total, 1):
        raise RagnotesError(f"start_line {first} is past the end: the file has {total} lines")
    last = min(end if end is not None else first + MAX_LINES - 1, total, first + MAX_LINES - 1)
    if last < first:
        raise RagnotesError(f"end_line {end} is before start_line {first}")
    return first, last


def get_lines(
    live: LiveIndex,
    path: str,
    lines: tuple[int | None, int | None],
    source: str | None = None,
) -> FileText:
    searcher = live.snapshot()
    doc = _doc(searcher, path, source)
    file = indexed_file(doc)
    all_lines = shown_lines(doc, file)
    first, last = line_range(lines[0], lines[1], len(all_lines))
    url = line_url(doc.source, doc.path, doc.commit, first, last)
    return FileText(
        source=doc.source,
        path=doc.path,
        start_line=first,
        end_line=last,
        total_lines=len(all_lines),
        url=url,
        stale=live.hashes.sha256(file) != doc.sha256,
        text="\n".join(all_lines[first - 1 : last]),
    )


def shown_lines(doc: DocInfo, file: Path) -> list[str]:
    """The file's lines as ragnotes shows them: a note's "%% comments %%" blanked (they are
    private, as in the index and the note view), every line kept in its place."""
    text = read_note(file).removesuffix("\n")
    if doc.source != NOTES_SOURCE:
        return text.split("\n")
    return list(parse(text, inline=False, note=True).lines)


def whole_file(live: LiveIndex, source: str, path: str) -> str:
    """An indexed file's whole text as shown, for the MCP resources."""
    doc = _doc(live.snapshot(), path, source)
    return "\n".join(shown_lines(doc, indexed_file(doc))) + "\n"


def file_text(result: FileText) -> str:
    """The lines numbered as in the file, under a header that cites them."""
    header = (
        f"{result.source}: {result.path}, {line_span(result.start_line, result.end_line)} "
        f"of {result.total_lines}" + (" (changed since indexed)" if result.stale else "")
    )
    width = len(str(result.end_line))
    numbered = [
        f"{n:>{width}} | {line}"
        for n, line in enumerate(result.text.split("\n"), result.start_line)
    ]
    more = (
        f"\n(more: start_line={result.end_line + 1})"
        if result.end_line < result.total_lines
        else ""
    )
    link = f"\n{result.url}" if result.url.startswith("http") else ""  # as in passages_text
    return f"{header}{link}\n\n" + "\n".join(numbered) + more


def status(live: LiveIndex, check: ChangeCheck) -> BuildStatus:
    """The live build, its age and the files changed since, as the `status` tool returns them."""
    found = check.status(live)
    manifest = found.manifest
    built = None if manifest is None else datetime.fromisoformat(manifest.built_at).timestamp()
    return BuildStatus(
        index=None if manifest is None else index_info(manifest),
        age_seconds=None if built is None else round(time.time() - built, 1),
        changed_files=found.changes.total,
        changes=change_counts(found.changes),
        changed_names=list(found.changed_names(MAX_NAMED)),
        problem=found.problem,
    )


def status_text(result: BuildStatus) -> str:
    if result.index is None:
        return f"No index is loaded: {result.problem}"
    i = result.index
    hours = (result.age_seconds or 0) / 3600
    lines = [
        f"Build {i.build_id}, made {i.built_at} ({hours:.1f} h ago) with {i.model}: "
        f"{i.files} files, {i.chunks} passages.",
        f"{result.changed_files} source files changed since"
        + (f": {', '.join(result.changed_names)}" if result.changed_names else "."),
    ]
    if result.problem:
        lines.append(f"Problem: {result.problem}")
    return "\n".join(lines)
