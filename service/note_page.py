"""GET /notes/<path>: a note of the live build, rendered with its cited lines; and the images
its wikilinks embed.

A note is served from the folder the live build found it in, so every citation link of the build
opens, whatever folders the server was started with; a file the build does not hold is not shown
(with no build yet, the configured folders are looked in). Images are served only from the
build's notes folders, and only the raster kinds of SERVED_IMAGES.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from pathlib import PurePosixPath

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response

from ragnotes.corpus.documents import NOTES_SOURCE
from ragnotes.errors import NotFoundError, RagnotesError
from ragnotes.index.searcher import Searcher
from ragnotes.service.live import LiveIndex
from ragnotes.service.note_files import indexed_note, read_note, resolve_note
from ragnotes.service.notes_view import SERVED_IMAGES, NoteLinks, block_groups
from ragnotes.service.render import NoteBlock, note_blocks
from ragnotes.service.settings import Settings

Render = Callable[..., HTMLResponse]  # a template's name, the status code, then its context


_LINKS: weakref.WeakKeyDictionary[Searcher, NoteLinks] = weakref.WeakKeyDictionary()


def note_links(searcher: Searcher) -> NoteLinks:
    """Where the wikilinks of a build's notes go, made once per loaded build (and let go with it)."""
    links = _LINKS.get(searcher)
    if links is None:
        links = _LINKS[searcher] = NoteLinks(searcher)
    return links


def _own_title(blocks: list[NoteBlock]) -> bool:
    """Whether the note opens with its own top heading (then the page does not repeat it)."""
    return bool(blocks) and blocks[0].kind == "heading" and blocks[0].html.startswith("<h1")


def install_note_viewer(app: FastAPI, live: LiveIndex, settings: Settings, render: Render) -> None:
    """GET /notes/<path>: a note, with the lines the index cites from it, or an embedded image."""

    @app.get("/notes/{path:path}", response_class=HTMLResponse, include_in_schema=False)
    def note_page(path: str) -> Response:
        """A note rendered, its blocks numbered; those cited by the URL's #L<a>-L<b> are highlighted."""
        try:
            searcher: Searcher | None = live.snapshot()
        except RagnotesError:
            searcher = None  # no index yet: the note is still worth showing, without citations
        if PurePosixPath(path).suffix.lower() in SERVED_IMAGES:
            return _image(searcher, path, render)
        doc = searcher.docs.get((NOTES_SOURCE, path)) if searcher else None
        try:
            if doc is not None:
                file = indexed_note(doc.file, doc.path)
            elif searcher is None:
                file = resolve_note(settings.notes_roots(), path)
            else:
                raise NotFoundError(f"no indexed note at {path!r}")
            text = read_note(file)
        except NotFoundError:
            return render("not_found.html", 404, path=path)
        chunks = (
            [c for c in searcher.chunks if c.path == path and c.source == NOTES_SOURCE]
            if searcher
            else []
        )
        links = note_links(searcher) if searcher is not None else None
        blocks = note_blocks(
            text, f"/notes/{path}", (lambda link: links.href(link, path)) if links else None
        )
        return render(
            "note.html",
            path=path,
            title=chunks[0].title if chunks else file.stem,
            own_title=_own_title(blocks),
            groups=block_groups(blocks, ((c.start_line, c.end_line) for c in chunks)),
            stale=doc is not None and live.hashes.sha256(file) != doc.sha256,
        )


def _image(searcher: Searcher | None, path: str, render: Render) -> Response:
    """An image inside one of the live build's notes folders."""
    try:
        if searcher is None:
            raise NotFoundError(f"no image at {path!r}")
        file = resolve_note(note_links(searcher).roots(), path, SERVED_IMAGES)
    except NotFoundError:
        return render("not_found.html", 404, path=path)
    return FileResponse(file)
