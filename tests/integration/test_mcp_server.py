"""The MCP server end to end through the official `mcp` client, over both transports.

stdio: the README's Claude Desktop snippet, launched as written (`ragnotes mcp`), over a build of
the bundled notes. HTTP: `ragnotes serve`'s app under real uvicorn, with the token and without.
The same checks run on both: the tools, a cited search, reading the cited lines, status, and
bad arguments that get a clear error while the server keeps serving.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from anyio.from_thread import start_blocking_portal
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from ragnotes.answers.responses import line_span
from ragnotes.corpus.documents import BUNDLED_NOTES_DIR
from ragnotes.index.build import index_sources
from ragnotes.index.embedding import Embedder
from ragnotes.service.app import create_app
from ragnotes.service.settings import Settings
from ragnotes_eval.loopback import served

README = Path(__file__).resolve().parents[2] / "README.md"
QUESTION = "what is a point-in-time join"
TOKEN = "mcp-read-token"
CANARY = "# Canary\n\nThe zebra-striped canary note arrived after the first build.\n"


@pytest.fixture(scope="module")
def notes_settings(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    """A build of the bundled notes plus an (empty at first) folder of the user's own."""
    own = tmp_path_factory.mktemp("own-notes")
    (own / "mine.md").write_text("# Mine\n\nA note of my own about nothing in particular.\n")
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("mcp-data"), notes_dir=str(own), readmes=False
    )
    index_sources(settings.sources(), embedder, settings.store())
    return settings


def run(session: Callable[[], Awaitable[None]]) -> None:
    """Run a client session on an event loop of its own thread (the browser tests' sync
    Playwright keeps one running on the main thread for the whole test session)."""
    with start_blocking_portal() as portal:
        portal.call(session)


def readme_snippet(name: str) -> dict[str, Any]:
    """The README's JSON config whose server entry has key `name` (the stdio one: "command")."""
    for block in re.findall(r"```json\n(.*?)```", README.read_text(), re.S):
        server = json.loads(block)["mcpServers"]["ragnotes"]
        if name in server:
            return dict(server)
    raise AssertionError(f"no MCP config with {name!r} in the README")


def _text(result: Any) -> str:
    return "\n".join(c.text for c in result.content)


async def exercise(client: Client, settings: Settings) -> None:
    """What an assistant does: list, search, read the cited lines, ask the status, make mistakes."""
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == {"search", "answer", "get", "status"}
    for tool in tools.values():
        assert tool.description and len(tool.description) > 60
        assert tool.input_schema["type"] == "object" and tool.output_schema
    assert tools["search"].input_schema["required"] == ["query"]

    found = await client.call_tool("search", {"query": QUESTION, "k": 3})
    assert not found.is_error
    top = found.structured_content["passages"][0]
    cite = top["citation"]
    assert cite["source"] == "notes" and "point-in-time" in cite["heading"].lower()
    lines = line_span(cite["start_line"], cite["end_line"])
    assert f"notes: {cite['path']}, {lines}" in _text(found)

    answered = await client.call_tool("answer", {"question": QUESTION, "k": 3})
    assert not answered.is_error
    reply = answered.structured_content
    assert reply["answer"]["generator"] == "extractive" and reply["answer"]["sentences"]
    ranks = {p["rank"]: p["citation"] for p in reply["passages"]}
    for sentence in reply["answer"]["sentences"]:
        assert set(sentence["citations"]) <= set(ranks)
        cited = ranks[sentence["citations"][0]]
        lines = line_span(cited["start_line"], cited["end_line"])
        where = f"{cited['source']}: {cited['path']}, {lines}"
        assert where in _text(answered)

    read = await client.call_tool(
        "get",
        {"path": cite["path"], "start_line": cite["start_line"], "end_line": cite["end_line"]},
    )
    assert not read.is_error
    file = BUNDLED_NOTES_DIR / cite["path"]
    lines = file.read_text().split("\n")[cite["start_line"] - 1 : cite["end_line"]]
    assert read.structured_content["text"] == "\n".join(lines)
    assert f"{cite['start_line']} | {lines[0]}" in _text(read)

    templates = {
        t.uri_template for t in (await client.list_resource_templates()).resource_templates
    }
    assert templates == {"ragnotes://notes/{+path}", "ragnotes://{owner}/{name}/{+path}"}
    resource = await client.read_resource(f"ragnotes://notes/{cite['path']}")
    assert resource.contents[0].text == file.read_text()

    status = await client.call_tool("status", {})
    build = settings.store().current_id()
    assert status.structured_content["index"]["build_id"] == build and build in _text(status)
    assert status.structured_content["changed_files"] == 0

    await bad_arguments(client)
    again = await client.call_tool("search", {"query": QUESTION, "k": 1})
    assert again.structured_content["passages"][0]["citation"] == cite  # still serving


async def bad_arguments(client: Client) -> None:
    cases = [
        ("search", {"query": ""}, "query"),
        ("search", {"query": "drift", "k": 500}, "less than or equal to 50"),
        ("search", {"query": "drift", "mode": "psychic"}, "hybrid"),
        ("search", {"query": "drift", "source": "nobody/nothing"}, "unknown source"),
        ("answer", {"question": "drift", "generator": "llm"}, "RAGNOTES_LLM_URL"),
        ("answer", {"question": "   "}, "question"),
        ("get", {"path": "../../pyproject.toml"}, "no indexed file"),
        ("get", {"path": "/etc/passwd"}, "no indexed file"),
        ("get", {"path": "mine.md", "start_line": 999}, "the file has 3 lines"),
        ("get", {"path": "mine.md", "start_line": 3, "end_line": 2}, "before start_line"),
        ("get", {}, "path"),
    ]
    for name, arguments, message in cases:
        result = await client.call_tool(name, arguments)
        assert result.is_error, (name, arguments)
        assert message in _text(result), (_text(result), arguments)
    for uri in ("ragnotes://notes/../../pyproject.toml", "ragnotes://notes/missing.md"):
        with pytest.raises(MCPError):
            await client.read_resource(uri)


def test_stdio_as_the_readme_configures_it(notes_settings: Settings, tmp_path: Path) -> None:
    snippet = readme_snippet("command")
    bin_dir = str(Path(sys.executable).parent)
    command = snippet["command"].replace("/path/to/ragnotes/.venv/bin", bin_dir)
    assert snippet["args"] == ["mcp"] and Path(command).is_file(), command
    env = {
        k: v.replace("/path/to/ragnotes/data", str(notes_settings.data_dir))
        for k, v in snippet["env"].items()
    }
    env |= {"RAGNOTES_NOTES_DIR": notes_settings.notes_dir, "RAGNOTES_READMES": "false"}
    env |= {k: v for k, v in os.environ.items() if k in ("RAGNOTES_MODELS_DIR", "HF_HUB_OFFLINE")}
    params = StdioServerParameters(command=command, args=snippet["args"], env=env)

    async def session() -> None:
        with (tmp_path / "server.log").open("w") as log:
            async with Client(stdio_client(params, errlog=log)) as client:
                await exercise(client, notes_settings)

    run(session)


def test_stdio_follows_new_builds(
    notes_settings: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    own = Path(notes_settings.notes_dir)
    env = {
        "RAGNOTES_DATA_DIR": str(notes_settings.data_dir),
        "RAGNOTES_NOTES_DIR": str(own),
        "RAGNOTES_READMES": "false",
        **{k: v for k, v in os.environ.items() if k == "RAGNOTES_MODELS_DIR"},
    }
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "ragnotes.service.cli", "mcp"], env=env
    )

    async def session() -> None:
        with (tmp_path / "server.log").open("w") as log:
            async with Client(stdio_client(params, errlog=log)) as client:
                before = (await client.call_tool("status", {})).structured_content
                (own / "canary.md").write_text(CANARY)
                changed = (await client.call_tool("status", {})).structured_content
                assert changed["changed_files"] == 1 and changed["changed_names"] == ["canary.md"]
                await anyio.to_thread.run_sync(
                    lambda: index_sources(
                        notes_settings.sources(), embedder, notes_settings.store()
                    )
                )
                for _ in range(100):  # the server polls the pointer twice a second
                    now = (await client.call_tool("status", {})).structured_content
                    if now["index"]["build_id"] != before["index"]["build_id"]:
                        break
                    await anyio.sleep(0.1)
                found = await client.call_tool("search", {"query": "zebra-striped canary", "k": 1})
                assert found.structured_content["passages"][0]["citation"]["path"] == "canary.md"

    try:
        run(session)
    finally:
        (own / "canary.md").unlink(missing_ok=True)
        index_sources(notes_settings.sources(), embedder, notes_settings.store())


@pytest.fixture(scope="module")
def http_server(notes_settings: Settings, embedder: Embedder) -> Iterator[str]:
    settings = notes_settings.model_copy(update={"api_token": TOKEN})
    with served(create_app(settings, embedder)) as base:
        yield base


@asynccontextmanager
async def _http_client(url: str, **headers: str) -> AsyncIterator[Client]:
    """The official client over streamable HTTP, sending `headers` (the SDK takes them this way)."""
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


def test_http_with_the_token(http_server: str, notes_settings: Settings) -> None:
    snippet = readme_snippet("url")
    assert snippet["url"] == "http://127.0.0.1:8000/mcp"
    url = snippet["url"].replace("http://127.0.0.1:8000", http_server)
    auth = snippet["headers"]["Authorization"].replace("YOUR_RAGNOTES_API_TOKEN", TOKEN)

    async def session() -> None:
        async with _http_client(url, Authorization=auth) as client:
            await exercise(client, notes_settings)

    run(session)


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "0"},
    },
}
ACCEPT = {"Accept": "application/json, text/event-stream"}


def test_http_without_the_token_is_401(http_server: str) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        r = httpx.post(f"{http_server}/mcp", json=INITIALIZE, headers={**ACCEPT, **headers})
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert "RAGNOTES_API_TOKEN" in r.json()["detail"]

    async def session() -> None:
        async with _http_client(f"{http_server}/mcp") as client:
            await client.list_tools()

    with pytest.raises(BaseException) as refused:  # the official client gives up at once
        run(session)
    assert any(isinstance(e, MCPError) for e in _leaves(refused.value))


def _leaves(error: BaseException) -> Iterator[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from _leaves(inner)
    else:
        yield error


def test_http_from_a_web_page_elsewhere_is_403(http_server: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for method in ("POST", "GET", "DELETE"):
        r = httpx.request(
            method,
            f"{http_server}/mcp",
            json=INITIALIZE if method == "POST" else None,
            headers={**ACCEPT, **auth, "Origin": "https://evil.example"},
        )
        assert r.status_code == 403, method
    own = httpx.post(
        f"{http_server}/mcp", json=INITIALIZE, headers={**ACCEPT, **auth, "Origin": http_server}
    )
    assert own.status_code == 200 and own.json()["result"]["serverInfo"]["name"] == "ragnotes"


def test_http_is_off_without_a_token_and_on_with_the_admin_token(
    notes_settings: Settings, embedder: Embedder
) -> None:
    with served(create_app(notes_settings, embedder)) as base:
        assert httpx.post(f"{base}/mcp", json=INITIALIZE, headers=ACCEPT).status_code == 404
    admin = notes_settings.model_copy(update={"admin_token": "admin-only"})
    with served(create_app(admin, embedder)) as base:
        headers = {**ACCEPT, "Authorization": "Bearer admin-only"}
        assert httpx.post(f"{base}/mcp", json=INITIALIZE, headers=headers).status_code == 200
        assert httpx.post(f"{base}/mcp", json=INITIALIZE, headers=ACCEPT).status_code == 401
