"""An Obsidian vault (tests/fixtures/vault) as a user brings it: `ragnotes index --notes VAULT`
while `ragnotes serve` runs, then a plain `ragnotes index` from another directory, checked over
HTTP, then the CLI and `ragnotes mcp` run from `/` and from the checkout, compared.

Every command is the installed `ragnotes` in a process of its own, as a user types it; the data
directory is the one state they share.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from ragnotes.corpus.curated import CuratedRepo
from ragnotes_eval.loopback import free_port
from tests.conftest import FIXTURES

CHECKOUT = Path(__file__).resolve().parents[2]
RAGNOTES = str(Path(sys.executable).parent / "ragnotes")
ZCW = "Zero copy writes.md"


@dataclass(frozen=True)
class Vault:
    folder: Path
    data: Path
    base: str  # the running server
    env: dict[str, str]


def ragnotes(vault_env: dict[str, str], *args: str, cwd: Path = CHECKOUT) -> str:
    """Run `ragnotes ARGS` in `cwd` as a user would; its output (a failure fails the test)."""
    done = subprocess.run(
        [RAGNOTES, *args], cwd=cwd, env=vault_env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def _live_build(base: str) -> str | None:
    try:
        return str(httpx.get(f"{base}/healthz", timeout=2).json()["index"]["build_id"])
    except (httpx.HTTPError, KeyError, TypeError, ValueError):
        return None


def _wait(predicate: Any, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"{what}: not reached in {timeout:.0f} s")


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory, readme_repo: CuratedRepo) -> Iterator[Vault]:
    """The fixture vault indexed by the CLI while the server runs, then re-indexed plainly."""
    folder = tmp_path_factory.mktemp("vault")
    shutil.copytree(FIXTURES / "vault", folder, dirs_exist_ok=True)
    data = tmp_path_factory.mktemp("vault-data")
    readme = data / "readmes" / readme_repo.folder / readme_repo.files[0]
    readme.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / "page_readme" / "README.md", readme)
    env = {**os.environ, "RAGNOTES_DATA_DIR": str(data), "RAGNOTES_BUNDLED_NOTES": "false"}
    env.pop("RAGNOTES_NOTES_DIR", None)
    ragnotes(env, "index")  # the README alone, as on the first day
    port = free_port()
    server = subprocess.Popen(
        [RAGNOTES, "serve", "--port", str(port)],
        cwd=CHECKOUT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _live_build(base) is not None, "the server answers")
        first = _live_build(base)
        ragnotes(env, "index", "--notes", str(folder), cwd=folder.parent)
        _wait(lambda: _live_build(base) != first, "the server switches to the vault's build")
        # A plain index keeps the vault; run as `make index` does (a data dir relative to the
        # working directory), it still records paths every other directory reads the same.
        relative = {**env, "RAGNOTES_DATA_DIR": data.name}
        ragnotes(relative, "index", cwd=data.parent)
        yield Vault(folder, data, base, env)
    finally:
        server.terminate()
        server.wait(timeout=30)


def search(vault: Vault, q: str, **params: Any) -> list[dict[str, Any]]:
    r = httpx.get(f"{vault.base}/api/search", params={"q": q, **params}, timeout=60)
    assert r.status_code == 200, r.text
    return list(r.json()["passages"])


def test_a_plain_index_keeps_the_vault_and_every_citation_link_opens(vault: Vault) -> None:
    listed = ragnotes(vault.env, "notes", "list", cwd=Path("/"))
    assert f"{vault.folder.resolve()}\t5 notes indexed" in listed
    passages = search(vault, "two tower negatives ranking runbook zero copy", k=20)
    notes = [p for p in passages if p["citation"]["source"] == "notes"]
    assert {p["citation"]["path"] for p in notes} >= {ZCW, "ml/Ranking.md", "ops/Runbook.md"}
    for p in notes:
        url = p["citation"]["url"]  # opened as given: a name with spaces comes percent-encoded
        page = httpx.get(vault.base + url.split("#")[0], timeout=30)
        assert page.status_code == 200, url
        assert f'id="{url.split("#")[1]}"' in page.text  # the cited lines' anchor is on it
    status = httpx.get(f"{vault.base}/api/index", timeout=30).json()
    assert status["changed_files"] == 0, status


def test_ignored_commented_and_attached_files_are_not_indexed(vault: Vault) -> None:
    for words in ("capybara protocol", "quokka budget", "obsidian theme"):
        assert not any(words.split()[0] in p["text"] for p in search(vault, words, mode="bm25"))
    files = httpx.get(f"{vault.base}/api/index", timeout=30).json()["live"]["files"]
    assert files == 6  # five notes and the README: no canvas, image, PDF or private note


def test_an_alias_finds_its_note_first_and_tags_filter(vault: Vault) -> None:
    assert search(vault, "ZCW")[0]["citation"]["path"] == ZCW
    tagged = search(vault, "ranking candidates", tag="ml", k=10)
    assert tagged and all(
        any(t == "ml" or t.startswith("ml/") for t in p["citation"]["tags"]) for p in tagged
    )
    assert {p["citation"]["path"] for p in tagged} <= {"ml/Ranking.md", "ml/ranking/Two tower.md"}
    hashed = search(vault, "#ml ranking candidates", k=10)
    assert [p["citation"] for p in hashed] == [p["citation"] for p in tagged]
    everything = httpx.get(f"{vault.base}/", params={"q": "ranking"}, timeout=60).text
    page = httpx.get(f"{vault.base}/", params={"q": "#ml ranking"}, timeout=60).text
    assert "ops/Ranking.md" in everything and "ops/Ranking.md" not in page  # the page narrows
    assert "ml/Ranking.md" in page
    unknown = httpx.get(f"{vault.base}/api/search", params={"q": "x", "tag": "nope"}, timeout=30)
    assert unknown.status_code == 400 and "tag" in unknown.json()["detail"]


def test_callout_text_answers_a_question(vault: Vault) -> None:
    r = httpx.get(
        f"{vault.base}/api/answer",
        params={"q": "how long does the walrus snapshot take to rebuild?"},
        timeout=60,
    )
    top = r.json()["passages"][0]
    assert top["citation"]["path"] == ZCW and "Thirty-seven minutes" in top["text"]
    assert "[!tip]" in top["text"]  # the passage is the file's lines; the page renders the title
    quoted = [s for s in r.json()["answer"]["sentences"] if "Thirty-seven" in s["text"]]
    assert quoted and quoted[0]["text"].startswith("Thirty-seven minutes is how long")
    assert quoted[0]["start_line"] == quoted[0]["end_line"] == 11  # the body, not the title line


def test_the_note_view_reads_as_obsidian_shows_it(vault: Vault) -> None:
    page = httpx.get(f"{vault.base}/notes/{quote(ZCW)}", timeout=30).text
    assert "aliases:" not in page and "quokka" not in page and "%%" not in page
    assert page.count("<h1") == 1  # the note's own title, not the page's as well
    assert '<blockquote class="callout" data-callout="tip">' in page
    assert '<span class="callout-type">Tip</span> Why 37 minutes' in page
    assert 'href="/notes/ml/Ranking.md"' in page  # [[Ranking]]: two folders have one, shortest
    two_tower = re.search(r'href="/notes/ml/ranking/Two%20tower\.md#L(\d+)-L\d+"', page)
    assert two_tower is not None  # the heading "Negatives" of that note
    image = re.search(r'<img src="(/notes/attachments/diagram\.png)"', page)
    assert image is not None
    served = httpx.get(vault.base + image.group(1), timeout=30)
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    ranking = httpx.get(f"{vault.base}/notes/ml/Ranking.md", timeout=30).text
    assert re.search(r'href="/notes/ml/ranking/Two%20tower\.md#L11-L11"', ranking)  # ^mixed
    runbook = httpx.get(f"{vault.base}/notes/ops/Runbook.md", timeout=30).text
    assert 'href="/notes/ops/Ranking.md"' in runbook  # the linking note's folder first
    assert "Nowhere at all" in runbook and "[[" not in runbook
    for hidden in ("private/Secret.md", ".obsidian/app.json", "Board.canvas"):
        assert httpx.get(f"{vault.base}/notes/{hidden}", timeout=30).status_code == 404


def test_a_build_that_would_drop_the_vault_asks_for_prune(vault: Vault) -> None:
    state = vault.data / "notes-folders.json"
    saved = state.read_text()
    state.unlink()  # as if the vault had been forgotten
    try:
        done = subprocess.run(
            [RAGNOTES, "index"], env=vault.env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode != 0
        assert done.stderr.count("\n") == 1 and "--prune" in done.stderr, done.stderr
        assert str(vault.folder.resolve()) in done.stderr
    finally:
        state.write_text(saved)


def _ask(vault: Vault, cwd: Path) -> Any:
    out = ragnotes(vault.env, "ask", "zero copy writes feature server", "--json", cwd=cwd)
    body = json.loads(out[out.index("{") :])
    body.pop("took_ms")
    return body


def _mcp(vault: Vault, cwd: Path) -> dict[str, Any]:
    """status, a search and a `get` of the README through `ragnotes mcp` started in `cwd`."""
    params = StdioServerParameters(command=RAGNOTES, args=["mcp"], env=vault.env, cwd=cwd)
    seen: dict[str, Any] = {}

    async def session() -> None:
        with open(os.devnull, "w") as log:
            async with Client(stdio_client(params, errlog=log)) as client:
                await _tools(client, seen)

    with start_blocking_portal() as portal:
        portal.call(session)
    return seen


async def _tools(client: Client, seen: dict[str, Any]) -> None:
    seen["status"] = (await client.call_tool("status", {})).structured_content
    found = await client.call_tool("search", {"query": "zero copy writes", "k": 5})
    seen["search"] = found.structured_content["passages"]
    joins = {"query": "point-in-time joins", "k": 1, "source": "readmes"}
    found = await client.call_tool("search", joins)
    readme = found.structured_content["passages"][0]
    seen["readme"] = readme
    got = await client.call_tool(
        "get",
        {"path": readme["citation"]["path"], "source": readme["citation"]["source"]},
    )
    assert not got.is_error, got
    seen["get"] = got.structured_content["text"]
    note = await client.call_tool("get", {"path": ZCW, "source": "notes"})
    assert not note.is_error, note
    seen["note"] = note.structured_content["text"]


def test_the_cli_and_mcp_give_the_same_from_any_directory(vault: Vault) -> None:
    assert _ask(vault, Path("/")) == _ask(vault, CHECKOUT)
    here, there = _mcp(vault, CHECKOUT), _mcp(vault, Path("/"))
    assert here["status"]["changed_files"] == 0 == there["status"]["changed_files"]
    assert here["search"] == there["search"]
    assert here["readme"] == there["readme"] and not there["readme"]["citation"]["stale"]
    assert not any(p["citation"]["stale"] for p in here["search"])
    assert here["get"] == there["get"] and here["get"]
    # a note's %% comment is private in `get` too; its line keeps its number, blank
    assert here["note"] == there["note"] and "Zero copy writes hand" in here["note"]
    assert "quokka budget" not in here["note"]


def test_a_reader_that_leaves_early_gets_no_traceback(vault: Vault) -> None:
    """`ragnotes ask ... | head`: the pipe is closed before ragnotes writes (the model takes a
    moment to load), so its first write fails; it stops quietly."""
    proc = subprocess.Popen(
        [RAGNOTES, "ask", "zero copy writes", "-k", "3"],
        env=vault.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(timeout=300)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert proc.returncode == 141
