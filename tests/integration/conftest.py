"""What the guard and sign-in tests share (test_guards.py, test_login.py): a build of their own,
served by real uvicorn with an admin token, and again with a read token and an extra host name."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ragnotes.corpus.curated import load_curated
from ragnotes.corpus.sync import sync_readmes
from ragnotes.index.build import index_sources
from ragnotes.index.embedding import Embedder
from ragnotes.service.app import create_app
from ragnotes.service.settings import Settings
from ragnotes_eval.loopback import served
from tests.conftest import FIXTURES, fixture_settings

ADMIN, READ = "admin-secret", "read-secret"
ASK = {"question": "nightly precomputed recommendations", "k": 1}
EVIL = "http://attacker.example"
# Every kind of route: the page, a note, the API (read and write), the docs, the assets.
ROUTES = [
    ("GET", "/"),
    ("GET", "/?q=batch"),
    ("GET", "/results?q=batch"),
    ("GET", "/notes/serving.md"),
    ("GET", "/api/search?q=batch"),
    ("POST", "/api/ask"),
    ("GET", "/api/index"),
    ("POST", "/api/reindex"),
    ("GET", "/api/reindex/some-job"),
    ("GET", "/healthz"),
    ("GET", "/docs"),
    ("GET", "/openapi.json"),
    ("GET", "/static/search.js"),
]


def send(base: str, method: str, path: str, **kwargs: object) -> httpx.Response:
    body = {"json": ASK} if path == "/api/ask" else {}
    return httpx.request(method, base + path, timeout=60, **body, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def guarded_settings(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    """A build of its own: the re-index below publishes into it."""
    notes = tmp_path_factory.mktemp("private-notes")
    shutil.copytree(FIXTURES / "notes", notes, dirs_exist_ok=True)
    settings = fixture_settings(tmp_path_factory.mktemp("private-data"), notes)
    index_sources(settings.sources(), embedder, settings.store())
    return settings.model_copy(update={"allowed_hosts": "", "admin_token": ADMIN})


@pytest.fixture(scope="session")
def guarded_server(guarded_settings: Settings, embedder: Embedder) -> Iterator[str]:
    """No extra host names, an admin token, no read token, one CORS origin."""
    settings = guarded_settings.model_copy(update={"cors_origins": "https://notes.example"})
    with served(create_app(settings, embedder)) as base:
        yield base


@pytest.fixture(scope="session")
def token_server(guarded_settings: Settings, embedder: Embedder) -> Iterator[str]:
    """The same with a read token and one extra host name."""
    settings = guarded_settings.model_copy(update={"api_token": READ, "allowed_hosts": "notes.lan"})
    with served(create_app(settings, embedder)) as base:
        yield base


@pytest.fixture(scope="session")
def full_index(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, readme_mirror: Path
) -> Settings:
    """Settings whose data directory holds the full index, as `make run` would build it: the
    eval gate's and the answers' tests share it."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("eval-data"))
    sync_readmes(load_curated(), settings.readmes_dir, readme_mirror)
    index_sources(settings.sources(), embedder, settings.store(), settings.build_options())
    return settings
