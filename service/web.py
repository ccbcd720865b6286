"""The search page (GET /), its live results (GET /results) and the note viewer (GET /notes/<path>).

Results come from `answer_question` (answers/answering.py), whose search is the API's
`search_passages`, so the page shows what /api/answer returns, and a search is a shareable URL that
works without JavaScript; service/static/search.js only makes it live, by fetching /results (the
same template, so live and server-rendered results cannot differ). Markdown from notes and
READMEs is rendered by service/render.py (markdown-it-py, then nh3); everything else goes through
autoescaping templates. Every page response carries a Content-Security-Policy that allows only
this server's own scripts and styles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anyio import to_thread
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from pydantic import ValidationError
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ragnotes.answers.answering import answer_question
from ragnotes.answers.llm import LLMConfig
from ragnotes.answers.passages import README_SOURCES
from ragnotes.answers.requests import AnswerRequest
from ragnotes.answers.responses import Passage, line_span
from ragnotes.corpus.documents import NOTES_SOURCE
from ragnotes.errors import IndexCorrupt, IndexMismatch, IndexNotFound, RagnotesError
from ragnotes.index.freshness import FileHashes
from ragnotes.index.searcher import Searcher
from ragnotes.service.answer_view import answer_view, stream_url
from ragnotes.service.index_status import ChangeCheck
from ragnotes.service.live import LiveIndex
from ragnotes.service.note_page import Render, install_note_viewer, note_links
from ragnotes.service.notes_view import NoteLinks
from ragnotes.service.render import passage_html
from ragnotes.service.security import CSP
from ragnotes.service.settings import Settings

PAGE_K = 10
_HERE = Path(__file__).resolve().parent
_INDEX_ERRORS = (IndexNotFound, IndexMismatch, IndexCorrupt)


@dataclass(frozen=True)
class ResultView:
    """One passage as the page shows it."""

    rank: int  # what [n] in the answer calls it; its element's id is p<rank>
    url: str
    heading: str
    meta: str  # "note · serving.md · lines 11-12", or "owner/name · README.md · lines 3-9 · MIT"
    stale: bool
    weak: bool  # bears too little on the question to answer from
    html: Markup  # the rendered passage, with <mark> and <strong class="best"> added


def passage_meta(p: Passage) -> str:
    """Source, path, lines, license and part, joined as the page prints them."""
    c = p.citation
    lines = line_span(c.start_line, c.end_line)
    source = "note" if c.source == NOTES_SOURCE else c.source
    return " · ".join(b for b in (source, c.path, lines, c.license, p.part) if b)


def summary(count: int) -> str:
    """The line above the results."""
    return "No passage matches." if count == 0 else f"{count} passage{'s' * (count != 1)}"


def result_view(p: Passage, question: str, links: NoteLinks | None = None) -> ResultView:
    """The page's view of one cited passage; a note's wikilinks resolved by `links`."""
    url = p.citation.url
    # Citation URLs are ours or GitHub's; refuse anything else rather than link to it.
    safe = url if url.startswith(("/notes/", "https://github.com/")) else "#"
    path = p.citation.path
    resolver = (
        (lambda link: links.href(link, path))
        if links is not None and p.citation.source == NOTES_SOURCE
        else None
    )
    return ResultView(
        rank=p.rank,
        url=safe,
        heading=p.citation.heading,
        meta=passage_meta(p),
        stale=p.citation.stale,
        weak=p.weak,
        html=passage_html(p.text, question, p.best_sentence, p.part, safe, resolver),
    )


def result_views(
    passages: list[Passage], question: str, searcher: Searcher | None = None
) -> list[ResultView]:
    """The page's views of the passages (Markdown rendering is CPU work: run it in a thread)."""
    links = note_links(searcher) if searcher is not None else None
    return [result_view(p, question, links) for p in passages]


def source_options(searcher: Searcher | None) -> list[tuple[str, str]]:
    """The filter's choices: everything, notes, READMEs, then each indexed repo."""
    options = [("", "Everything"), (NOTES_SOURCE, "Notes"), (README_SOURCES, "READMEs")]
    repos = {d.source for d in searcher.docs.values()} - {NOTES_SOURCE} if searcher else set()
    return options + [(name, name) for name in sorted(repos, key=str.lower)]


def _problem(exc: ValidationError) -> str:
    return "; ".join(f"The {e['loc'][-1]} {e['msg'].lower()}." for e in exc.errors())


async def answered(
    searcher: Searcher, q: str, source: str, hashes: FileHashes, llm: LLMConfig | None
) -> dict[str, Any]:
    """The answer and the passages for the page, from the answer branch's one search.

    The extractive answer comes at once; with an LLM configured, search.js then streams the
    generated one in its place (the extractive one stays for pages without JavaScript).
    """
    request = AnswerRequest(question=q, k=PAGE_K, source=source or None, generator="extractive")
    response = await answer_question(searcher, request, hashes, llm)
    passages = response.passages
    writes = llm is not None and response.answer.answerable
    return {
        "results": await to_thread.run_sync(result_views, passages, q, searcher),
        "message": summary(len(passages)),
        "answer": answer_view(response.answer, passages),
        "stream": stream_url(request.question, source, PAGE_K) if writes else None,
    }


async def page_results(
    live: LiveIndex, q: str, source: str, llm: LLMConfig | None
) -> tuple[dict[str, Any], int, Searcher | None]:
    """What a search shows, its status code, and the snapshot it used (None without an index)."""
    context: dict[str, Any] = {"results": None, "message": ""}
    status_code, searcher = 200, None
    try:
        searcher = live.snapshot()
        if q.strip():
            context.update(await answered(searcher, q, source, live.hashes, llm))
    except ValidationError as exc:
        context["message"], status_code = _problem(exc), 422
    except RagnotesError as exc:
        status_code = 503 if isinstance(exc, _INDEX_ERRORS) else 400
        context["message"] = str(exc)
    return context, status_code, searcher


def install_page(app: FastAPI, live: LiveIndex, settings: Settings) -> None:
    """Add the page routes, the static files and the page's security headers to `app`."""
    env = Environment(loader=FileSystemLoader(_HERE / "templates"), autoescape=True)

    def render(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(template).render(**context), status_code=status_code)

    _install_search(app, live, settings, render)
    install_note_viewer(app, live, settings, render)
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    app.add_middleware(PageHeaders)


def _install_search(app: FastAPI, live: LiveIndex, settings: Settings, render: Render) -> None:
    """GET / (the page) and GET /results (its results alone, for search.js)."""
    check = ChangeCheck(settings.sources, live.hashes)
    llm = settings.llm()

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def search_page(q: str = "", source: str = "") -> HTMLResponse:
        """The search box, with the answer and passages rendered on the server when the URL has ?q=."""
        context, status_code, searcher = await page_results(live, q, source, llm)
        status = await to_thread.run_sync(check.status, live) if searcher else None
        sources = source_options(searcher)
        return render(
            "search.html",
            status_code,
            q=q,
            source=source,
            status=status,
            sources=sources,
            **context,
        )

    @app.get("/results", response_class=HTMLResponse, include_in_schema=False)
    async def results_fragment(q: str = "", source: str = "") -> HTMLResponse:
        """The results part of the page alone, for search.js to swap in as you type; with an LLM
        configured the answer is left for search.js to stream."""
        context, status_code, _ = await page_results(live, q, source, llm)
        return render("results.html", status_code, fragment=True, **context)


class PageHeaders:
    """Security headers on the page, the note viewer and static files, as pure ASGI middleware:
    API requests pass straight through, with none of the cost of Starlette's `BaseHTTPMiddleware`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path in ("/", "/results") or path.startswith(("/notes/", "/static/"))):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = CSP
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
            await send(message)

        await self.app(scope, receive, send_with_headers)
