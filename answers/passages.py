"""Turn search hits into cited passages: the one code path behind the API, the page and the CLI.

A `Passage` (answers/responses.py) is the searcher's `Hit` made citable: its chunk's text and
lines, a link to them, the sentence that best answers, and whether it is too weak to answer
from (answers/evidence.py, judged on the hit's raw scores). It is the one shape a passage has from
here on: the extractive answer, the LLM's prompt, the page and every response take it as it is.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ragnotes.answers.evidence import weak_flags
from ragnotes.answers.highlight import PREPARED, best_sentence
from ragnotes.answers.requests import AskRequest
from ragnotes.answers.responses import AskResponse, Citation, IndexInfo, Passage
from ragnotes.corpus.documents import NOTES_SOURCE
from ragnotes.corpus.obsidian import TAG
from ragnotes.errors import ConfigError
from ragnotes.index.chunking import Chunk
from ragnotes.index.freshness import FileHashes
from ragnotes.index.manifest import Manifest
from ragnotes.index.searcher import ChunkFilter, Hit, Searcher
from ragnotes.index.store import DocInfo

README_SOURCES = "readmes"


def index_info(m: Manifest) -> IndexInfo:
    """The build's identity as the API reports it."""
    return IndexInfo(
        build_id=m.build_id,
        built_at=m.built_at,
        model=m.model,
        files=m.file_count,
        chunks=m.chunk_count,
    )


# Filters are frozen dataclasses, equal when they keep the same chunks, so the searcher
# computes the chunks one allows once per build (`Searcher.allowed`) instead of every request.
@dataclass(frozen=True)
class _FromSource:
    """Chunks of one source, or with `readmes`, of every source but the notes."""

    source: str
    readmes: bool = False

    def __call__(self, chunk: Chunk) -> bool:
        return (chunk.source != self.source) if self.readmes else (chunk.source == self.source)


@dataclass(frozen=True)
class _Tagged:
    """Chunks of notes with every one of `tags` or a tag nested under it ("ml" takes "ml/serving")."""

    tags: tuple[str, ...]

    def __call__(self, chunk: Chunk) -> bool:
        return all(_has_tag(chunk, t) for t in self.tags)


@dataclass(frozen=True)
class _Both:
    first: ChunkFilter
    second: ChunkFilter

    def __call__(self, chunk: Chunk) -> bool:
        return self.first(chunk) and self.second(chunk)


def source_filter(source: str | None, searcher: Searcher) -> ChunkFilter | None:
    """A chunk filter for "notes", "readmes" or one "owner/name"; unknown names are an error."""
    if source is None:
        return None
    if source == NOTES_SOURCE:
        return _FromSource(NOTES_SOURCE)
    if source == README_SOURCES:
        return _FromSource(NOTES_SOURCE, readmes=True)
    known = {d.source for d in searcher.docs.values()}
    if source not in known:
        repos = sorted(known - {NOTES_SOURCE})
        listed = ", ".join(repos[:5]) + (", ..." if len(repos) > 5 else "")
        choices = f"one of the indexed repos ({listed})" if repos else "(no repos are indexed)"
        raise ConfigError(f'unknown source {source!r}; use "notes", "readmes" or {choices}')
    return _FromSource(source)


def _has_tag(chunk: Chunk, tag: str) -> bool:
    """Whether a chunk's note has `tag` or a tag nested under it ("ml" takes "ml/serving")."""
    return any(t.lower() == tag or t.lower().startswith(tag + "/") for t in chunk.tags)


def tag_filter(request: AskRequest, searcher: Searcher) -> tuple[str, ChunkFilter | None]:
    """The question to search, and a filter for the request's `tag` and each known "#tag" in
    the question (its word stays in the question); an unknown `tag` is an error."""
    wanted = []
    if request.tag is not None:
        tag = request.tag.strip().lstrip("#").lower()
        if tag not in searcher.tags:
            known = ", ".join(sorted(searcher.tags)[:8]) or "none"
            raise ConfigError(f"no indexed note has the tag {tag!r} (tags: {known})")
        wanted.append(tag)
    question = request.question
    for found in TAG.finditer(request.question):
        if found.group(1).lower() in searcher.tags:
            wanted.append(found.group(1).lower())
            question = question.replace(found.group(0), found.group(1), 1)
    if not wanted:
        return question, None
    return question, _Tagged(tuple(wanted))


def _both(first: ChunkFilter | None, second: ChunkFilter | None) -> ChunkFilter | None:
    if first is None or second is None:
        return first or second
    return _Both(first, second)


def line_url(source: str, path: str, commit: str | None, first: int, last: int) -> str:
    """The link that opens lines first..last: GitHub pinned to the commit, or ragnotes' /notes/."""
    anchor = f"#L{first}-L{last}"
    # percent-encoded: a note named "Feature Hashing.md" must give a link curl and MCP clients open
    quoted = quote(path, safe="/")
    if source == NOTES_SOURCE or commit is None:
        return f"/notes/{quoted}{anchor}"
    return f"https://github.com/{source}/blob/{commit}/{quoted}{anchor}"


@dataclass(frozen=True)
class _Cited:
    """What a chunk's citation says whatever the request: all but `stale` and a fresh tag list."""

    fields: dict[str, Any]
    file: str | None  # the indexed file, to ask whether it changed since the build
    sha256: str


def _cite(chunk: Chunk, doc: DocInfo | None) -> _Cited:
    lines = (chunk.start_line, chunk.end_line)
    fields = {
        "source": chunk.source,
        "path": chunk.path,
        "title": chunk.title,
        "heading": chunk.heading,
        "start_line": lines[0],
        "end_line": lines[1],
        "url": line_url(chunk.source, chunk.path, doc.commit if doc else None, *lines),
        "license": doc.license if doc else None,
    }
    return _Cited(fields, doc.file if doc else None, doc.sha256 if doc else "")


# A chunk's citation parts, found by the chunk object itself: one look-up where a key of its
# fields and its file's record cost a hash of each, and found cold after the search. An entry
# holds its chunk weakly (an old build's chunks are not kept alive by it; a dead one's id() may
# be another chunk's, and its entry is then not that chunk's), and the docs it was read from (a
# chunk is its build's, but a test may pair one with other docs). The same passages recur: as
# many stay as stay parsed, the oldest going first.
_CITED: dict[int, tuple[weakref.ref[Chunk], Mapping[tuple[str, str], DocInfo], _Cited]] = {}
_CITED_LOCK = threading.Lock()


def _cited(chunk: Chunk, searcher: Searcher) -> _Cited:
    entry = _CITED.get(id(chunk))
    if entry is not None and entry[0]() is chunk and entry[1] is searcher.docs:
        return entry[2]
    cited = _cite(chunk, searcher.docs.get((chunk.source, chunk.path)))
    with _CITED_LOCK:
        while len(_CITED) >= PREPARED:
            del _CITED[next(iter(_CITED))]
        _CITED[id(chunk)] = (weakref.ref(chunk), searcher.docs, cited)
    return cited


def _stale(cited: _Cited, hashes: FileHashes | None, asked: dict[str, bool] | None) -> bool:
    """Whether the chunk's file changed since the build; `asked` keeps the answer for the
    other passages of one response, so a file is looked at once a request, not once a passage."""
    if hashes is None or cited.file is None:
        return False
    if asked is not None and cited.file in asked:
        return asked[cited.file]
    stale = hashes.sha256(cited.file) != cited.sha256
    if asked is not None:
        asked[cited.file] = stale
    return stale


def _citation_fields(
    chunk: Chunk, searcher: Searcher, hashes: FileHashes | None, asked: dict[str, bool] | None
) -> dict[str, Any]:
    cited = _cited(chunk, searcher)
    return {**cited.fields, "stale": _stale(cited, hashes, asked), "tags": list(chunk.tags)}


def citation(chunk: Chunk, searcher: Searcher, hashes: FileHashes | None = None) -> Citation:
    """Where a chunk comes from, with a link that opens those exact lines.

    With `hashes`, the citation says whether the file changed since the build (`stale`): asked
    on every call, since a file can change at any time.
    """
    return Citation(**_citation_fields(chunk, searcher, hashes, None))


def to_passage(
    rank: int,
    hit: Hit,
    searcher: Searcher,
    hashes: FileHashes | None = None,
    question: str = "",
    weak: bool = False,
) -> Passage:
    """One hit as the passage ranked `rank`, cited, its best sentence for `question` marked."""
    return Passage.model_validate(_fields(rank, hit, searcher, hashes, question, weak, None))


def _fields(
    rank: int,
    hit: Hit,
    searcher: Searcher,
    hashes: FileHashes | None,
    question: str,
    weak: bool,
    asked: dict[str, bool] | None,
) -> dict[str, Any]:
    """`to_passage`'s fields, its citation's among them, for one validation of them all;
    `asked`, shared by the passages of one response, has each file's `stale` looked up once."""
    chunk = hit.chunk
    return {
        "rank": rank,
        "score": round(hit.score, 6),
        "text": chunk.text,
        "part": chunk.part,
        "citation": _citation_fields(chunk, searcher, hashes, asked),
        "best_sentence": best_sentence(chunk.text, question, chunk.part),
        "weak": weak,
    }


def _all_fields(
    hits: list[Hit], searcher: Searcher, hashes: FileHashes | None, question: str
) -> list[dict[str, Any]]:
    weak = weak_flags(hits, question)
    asked: dict[str, bool] = {}
    return [
        _fields(rank, hit, searcher, hashes, question, flag, asked)
        for rank, (hit, flag) in enumerate(zip(hits, weak, strict=True), 1)
    ]


def to_passages(
    hits: list[Hit], searcher: Searcher, hashes: FileHashes | None, question: str
) -> list[Passage]:
    """The hits as cited passages ranked from 1, each marked weak or not."""
    return [Passage.model_validate(f) for f in _all_fields(hits, searcher, hashes, question)]


def _searched(
    searcher: Searcher, request: AskRequest, hashes: FileHashes | None
) -> list[dict[str, Any]]:
    question, tagged = tag_filter(request, searcher)
    where = _both(source_filter(request.source, searcher), tagged)
    hits = searcher.search(question, request.k, request.mode, where=where, cosines=True)
    return _all_fields(hits, searcher, hashes, request.question)


def search_passages(
    searcher: Searcher, request: AskRequest, hashes: FileHashes | None = None
) -> list[Passage]:
    """Search one snapshot: the cited passages, best first, weak ones marked."""
    return [Passage.model_validate(f) for f in _searched(searcher, request, hashes)]


def ask_response(
    searcher: Searcher, request: AskRequest, hashes: FileHashes | None = None
) -> AskResponse:
    """Search one snapshot: the response of /api/ask, the cited passages and the build."""
    started = time.perf_counter()
    # The response and its passages validated in one call: pydantic's code, cold after the
    # search, is entered once rather than once a passage.
    response = AskResponse.model_validate(
        {
            "question": request.question,
            "mode": request.mode,
            "passages": _searched(searcher, request, hashes),
            "index": index_info(searcher.manifest),
            "took_ms": 0.0,
        }
    )
    response.took_ms = round((time.perf_counter() - started) * 1000, 2)
    return response
