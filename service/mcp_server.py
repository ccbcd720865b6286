"""ragnotes as a Model Context Protocol server, built on the official `mcp` SDK.

One `MCPServer` serves both transports: `ragnotes mcp` speaks it over stdio, and `ragnotes
serve` mounts it as streamable HTTP at /mcp when a token is configured. Over HTTP every request
needs that token as a bearer token and a browser page elsewhere is refused by its `Origin`.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, TypeVar

from fastapi import FastAPI
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import Headers
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ragnotes.answers.answer_schemas import AnswerRequest, AnswerResponse, Generator
from ragnotes.answers.answer_text import answer_lines
from ragnotes.answers.answering import answer_question
from ragnotes.corpus.documents import NOTES_SOURCE
from ragnotes.errors import RagnotesError
from ragnotes.service import mcp_tools
from ragnotes.service.guards import foreign_origin
from ragnotes.service.index_status import ChangeCheck
from ragnotes.service.limits import send_json_error
from ragnotes.service.live import LiveIndex
from ragnotes.service.mcp_tools import BuildStatus, FileText
from ragnotes.service.schemas import (
    AskRequest,
    AskResponse,
    ModeField,
    Question,
    SourceFilter,
    TagFilter,
    TopK,
)
from ragnotes.service.security import bearer_matches
from ragnotes.service.settings import Settings

INSTRUCTIONS = (
    "ragnotes searches the user's ML system design notes and curated public READMEs. Call "
    "`search` with a question; every passage cites its source, file and line range, so quote "
    "it with that citation. `answer` gives a few sentences that cite those passages as [n]. "
    "Call `get` with a citation's path (and source) to read the lines around it. `status` says "
    "which build answers and whether files changed since."
)
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
T = TypeVar("T")


def _call(work: Callable[[], T]) -> T:
    """Run a tool's work; a problem the user can fix is a tool error with its message."""
    try:
        return work()
    except RagnotesError as exc:
        raise ToolError(str(exc)) from None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ToolError(f"invalid arguments: {problems}") from None


def _result(text: str, model: BaseModel) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=model.model_dump(mode="json"),
    )


class Tools:
    """The tools, bound to the live index; each method's docstring is its description."""

    def __init__(self, live: LiveIndex, settings: Settings) -> None:
        self.live, self.settings = live, settings
        self.check = ChangeCheck(settings.sources, live.hashes, ttl=0)  # asked rarely: look now
        self.llm = settings.llm()  # None: answers are extractive

    def search(
        self,
        query: Question,
        k: TopK = 5,
        mode: ModeField = "hybrid",
        source: SourceFilter = None,
        tag: TagFilter = None,
    ) -> Annotated[CallToolResult, AskResponse]:
        """Search the notes and curated READMEs for passages that answer a question. Returns the
        best passages, each with its heading, source ("notes" or the repo "owner/name"), file
        path, start and end line, license and a link to those lines."""
        request = _call(lambda: AskRequest(question=query, k=k, mode=mode, source=source, tag=tag))
        response = _call(lambda: mcp_tools.search(self.live, request))
        return _result(mcp_tools.passages_text(response), response)

    async def answer(
        self,
        question: Question,
        k: TopK = 5,
        mode: ModeField = "hybrid",
        source: SourceFilter = None,
        tag: TagFilter = None,
        generator: Annotated[
            Generator | None,
            Field(
                description="extractive (sentences quoted from the passages) or llm (written by "
                "the server's LLM); unset: llm when the server has one, else extractive."
            ),
        ] = None,
    ) -> Annotated[CallToolResult, AnswerResponse]:
        """Answer a question in a few sentences, each citing [n] the passages it comes from,
        followed by those passages' sources (file and lines). Says so plainly when the notes do
        not answer the question."""
        body = dict(question=question, k=k, mode=mode, source=source, tag=tag, generator=generator)
        request = _call(lambda: AnswerRequest.model_validate(body))
        try:
            searcher = self.live.snapshot()
            response = await answer_question(searcher, request, self.live.hashes, self.llm)
        except RagnotesError as exc:
            raise ToolError(str(exc)) from None
        return _result("\n".join(answer_lines(response)), response)

    def get(
        self,
        path: Annotated[
            str, Field(max_length=1000, description="The file's path, as a citation gives it.")
        ],
        start_line: Annotated[
            int | None, Field(ge=1, description="First line to return (default 1).")
        ] = None,
        end_line: Annotated[
            int | None,
            Field(
                ge=1, description=f"Last line, inclusive (default: up to {mcp_tools.MAX_LINES})."
            ),
        ] = None,
        source: Annotated[
            str | None,
            Field(max_length=200, description='"notes" or "owner/name"; needed when paths clash.'),
        ] = None,
    ) -> Annotated[CallToolResult, FileText]:
        """Read an indexed note or curated README, whole or a line range, with line numbers, to
        read around a citation. Only files in the index can be read."""
        lines = (start_line, end_line)
        found = _call(lambda: mcp_tools.get_lines(self.live, path, lines, source))
        return _result(mcp_tools.file_text(found), found)

    def status(self) -> Annotated[CallToolResult, BuildStatus]:
        """Which index build answers: when it was made, its files and passages, and which source
        files changed since (then answers may be out of date until `ragnotes index` runs)."""
        found = _call(lambda: mcp_tools.status(self.live, self.check))
        return _result(mcp_tools.status_text(found), found)


def _add_resources(server: MCPServer, live: LiveIndex) -> None:
    """Every indexed file as a resource: ragnotes://notes/<path>, ragnotes://<owner>/<name>/<path>."""

    def read(source: str, path: str) -> str:
        try:
            return mcp_tools.whole_file(live, source, path)
        except RagnotesError as exc:
            raise ResourceError(str(exc)) from None

    def note(path: str) -> str:
        return read(NOTES_SOURCE, path)

    def readme(owner: str, name: str, path: str) -> str:
        return read(f"{owner}/{name}", path)

    markdown = "text/markdown"
    server.resource(
        "ragnotes://notes/{+path}", name="note", description="An indexed note", mime_type=markdown
    )(note)
    server.resource(
        "ragnotes://{owner}/{name}/{+path}",
        name="readme",
        description="A file of an indexed curated repo, e.g. ragnotes://feast-dev/feast/README.md",
        mime_type=markdown,
    )(readme)


def build_mcp(live: LiveIndex, settings: Settings) -> MCPServer:
    """The MCP server with its tools and resources, over the given live index."""
    server: MCPServer = MCPServer("ragnotes", instructions=INSTRUCTIONS, log_level="WARNING")
    tools = Tools(live, settings)
    for tool in (tools.search, tools.answer, tools.get, tools.status):
        server.add_tool(tool, annotations=READ_ONLY)
    _add_resources(server, live)
    return server


class McpGate:
    """/mcp: a foreign `Origin` is a 403, a request without the bearer token a 401."""

    def __init__(self, app: ASGIApp, tokens: list[str], cors_origins: list[str]) -> None:
        self.app, self.tokens, self.cors_origins = app, tokens, cors_origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is not None and foreign_origin(origin, headers, self.cors_origins):
            detail = (
                f"MCP requests from the web page at {origin} are refused (RAGNOTES_CORS_ORIGINS)"
            )
            await send_json_error(send, 403, detail)
            return
        if not bearer_matches(headers.get("authorization"), self.tokens):
            detail = (
                "MCP over HTTP needs 'Authorization: Bearer <token>' with RAGNOTES_API_TOKEN "
                "or RAGNOTES_ADMIN_TOKEN"
            )
            await send_json_error(send, 401, detail, {"WWW-Authenticate": "Bearer"})
            return
        await self.app(scope, receive, send)


def mount_mcp(
    app: FastAPI, live: LiveIndex, settings: Settings
) -> Callable[[], AbstractAsyncContextManager[None]]:
    """Mount streamable HTTP at /mcp when a token is set; returns what the lifespan must run."""
    tokens = [t for t in (settings.api_token, settings.admin_token) if t]
    if not tokens:
        return contextlib.nullcontext
    server = build_mcp(live, settings)
    # Stateless JSON: every request stands alone, so any worker thread can answer it. Host and
    # Origin are checked by the app's HostCheck and McpGate, with the server's own settings.
    server.streamable_http_app(
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    endpoint = StreamableHTTPASGIApp(server.session_manager)
    gate = McpGate(endpoint, tokens, settings.cors_origin_list())
    app.router.routes.append(Route("/mcp", gate))

    @asynccontextmanager
    async def sessions() -> AsyncIterator[None]:
        async with server.session_manager.run():
            yield

    return sessions


def run_stdio(settings: Settings) -> int:
    """`ragnotes mcp`: load the index once, follow new builds, speak MCP on stdin/stdout."""
    with contextlib.redirect_stdout(sys.stderr):  # stdout is the protocol's; loading may print
        live = LiveIndex(settings.store(), settings.load_embedder())
        live.refresh()
    live.start_watching()
    try:
        build_mcp(live, settings).run("stdio")
    finally:
        live.stop()
    return 0
