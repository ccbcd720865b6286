"""Session-scoped real components: the bundled model, and an index built over a small fixture corpus."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from ragnotes.corpus.curated import CuratedRepo, load_curated
from ragnotes.index.embedding import Embedder
from ragnotes.service.app import create_app
from ragnotes.service.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_READMES = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "readmes"
# `make test MIRROR=DIR` passes the mirror on, so a checkout anywhere can find it.
MIRROR_ENV = "README_MIRROR"


def pytest_configure(config: pytest.Config) -> None:
    """The environment every test and the servers it starts share: one ONNX export for the
    whole run, and the host name of the in-process test client."""
    if config.cache is not None and "RAGNOTES_MODELS_DIR" not in os.environ:
        os.environ["RAGNOTES_MODELS_DIR"] = str(config.cache.mkdir("ragnotes-models"))
    # Starlette's TestClient sends `Host: testserver`; the in-process tests may use that name.
    # The Host tests (tests/integration/test_guards.py) set their own list.
    os.environ["RAGNOTES_ALLOWED_HOSTS"] = "testserver"


@pytest.fixture(scope="session")
def readme_mirror() -> Path:
    """The local mirror of the curated READMEs ($README_MIRROR, else ../shared beside the checkout)."""
    mirror = Path(os.environ.get(MIRROR_ENV) or SHARED_READMES)
    if not mirror.is_dir():
        pytest.skip(f"the README mirror {mirror} is absent (make test MIRROR=DIR points at one)")
    return mirror


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The default model on the default backend, as `ragnotes` runs it."""
    return Settings().load_embedder()


@pytest.fixture(scope="session")
def fixture_notes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the fixture notes (tests may not edit the repo's files)."""
    target = tmp_path_factory.mktemp("notes")
    shutil.copytree(FIXTURES / "notes", target, dirs_exist_ok=True)
    return target


def fixture_settings(data_dir: Path, notes: Path) -> Settings:
    return Settings(data_dir=data_dir, notes_dir=str(notes), bundled_notes=False, readmes=False)


@pytest.fixture(scope="session")
def built_settings(
    tmp_path_factory: pytest.TempPathFactory, fixture_notes: Path, embedder: Embedder
) -> Settings:
    """Settings whose data directory holds a published build of the fixture notes."""
    from ragnotes.index.build import index_sources

    settings = fixture_settings(tmp_path_factory.mktemp("data"), fixture_notes)
    index_sources(settings.sources(), embedder, settings.store())
    return settings


@pytest.fixture(scope="session")
def client(built_settings: Settings, embedder: Embedder) -> Iterator[TestClient]:
    with TestClient(create_app(built_settings, embedder)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def llm_url() -> Iterator[str]:
    """One llama.cpp server (SmolLM2-135M-Instruct) for the whole run; its OpenAI base URL."""
    from tests.llm import llama_server

    with llama_server() as url:
        yield url


@pytest.fixture(scope="session")
def readme_repo() -> CuratedRepo:
    """The curated repo whose first file the stand-in README plays."""
    return load_curated()[0]


@pytest.fixture(scope="session")
def page_settings(
    tmp_path_factory: pytest.TempPathFactory,
    fixture_notes: Path,
    embedder: Embedder,
    readme_repo: CuratedRepo,
) -> Settings:
    """A published build of the fixture notes, the page notes and the stand-in README."""
    from ragnotes.index.build import index_sources

    page_notes = tmp_path_factory.mktemp("page_notes")
    shutil.copytree(FIXTURES / "page_notes", page_notes, dirs_exist_ok=True)
    data = tmp_path_factory.mktemp("page_data")
    readme = data / "readmes" / readme_repo.folder / readme_repo.files[0]
    readme.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / "page_readme" / "README.md", readme)
    settings = Settings(
        data_dir=data,
        notes_dir=os.pathsep.join([str(fixture_notes), str(page_notes)]),
        bundled_notes=False,
        readmes=True,
    )
    index_sources(settings.sources(), embedder, settings.store())
    return settings


@pytest.fixture(scope="session")
def page_client(page_settings: Settings, embedder: Embedder) -> Iterator[TestClient]:
    with TestClient(create_app(page_settings, embedder)) as client:
        yield client


def wait_healthy(base: str, log_path: Path, seconds: float) -> None:
    """Wait until a `ragnotes serve` process at `base` answers /healthz; fail with its log if not."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    pytest.fail(f"server did not start: {log_path.read_text(errors='replace')}")
