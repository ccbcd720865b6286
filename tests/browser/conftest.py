"""The page's test bed: an index over the fixture notes, page notes and one stand-in README, served
by real uvicorn on a loopback port, and Debian's Chromium driven by Playwright.

Screenshots go to artifacts/screenshots/ (git-ignored) on every run.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from corpus.manifest import CuratedRepo, load_manifest
from index.embedding import Embedder
from index.pipeline import run_index
from service.app import create_app
from service.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Collects Content-Security-Policy violations: a blocked inline script would show up here.
WATCH_CSP = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
"""


@pytest.fixture(scope="session")
def readme_repo() -> CuratedRepo:
    """The curated repo whose first file the stand-in README plays."""
    return load_manifest()[0]


@pytest.fixture(scope="session")
def page_settings(
    tmp_path_factory: pytest.TempPathFactory,
    fixture_notes: Path,
    embedder: Embedder,
    readme_repo: CuratedRepo,
) -> Settings:
    """A published build of the fixture notes, the page notes and the stand-in README."""
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
    run_index(settings.sources(), embedder, settings.store())
    return settings


@pytest.fixture(scope="session")
def page_client(page_settings: Settings, embedder: Embedder) -> Iterator[TestClient]:
    with TestClient(create_app(page_settings, embedder)) as client:
        yield client


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """`app` under real uvicorn, in a thread, on a free loopback port; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(1200):  # up to a minute
        if server.started or not thread.is_alive():
            break
        time.sleep(0.05)
    if not server.started:
        pytest.fail("uvicorn did not start")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)
    sock.close()


@pytest.fixture(scope="session")
def page_url(page_settings: Settings, embedder: Embedder) -> Iterator[str]:
    """Base URL of the app under real uvicorn."""
    with serve(create_app(page_settings, embedder)) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium is not installed: run `make browser` (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def open_context(browser: Browser, **options: object) -> BrowserContext:
    """A fresh browser context that records CSP violations."""
    context = browser.new_context(**options)  # type: ignore[arg-type]
    context.add_init_script(WATCH_CSP)
    return context


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A desktop-sized page with JavaScript; any uncaught script error fails the test."""
    context = open_context(browser, viewport={"width": 1000, "height": 800})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert errors == []


def screenshot(page: Page, name: str, full_page: bool = True) -> Path:
    """Save a screenshot (the whole page, or what is in view) as a test artifact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
