"""The page's test bed in a browser: the page index (`page_settings`, tests/conftest.py) served
by real uvicorn on a loopback port, and Debian's Chromium driven by Playwright.

Screenshots go to artifacts/screenshots/ (git-ignored) on every run.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from ragnotes.index.embedding import Embedder
from ragnotes.service.app import create_app
from ragnotes.service.settings import Settings
from ragnotes_eval.loopback import served

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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A browser test starts a browser: one that does not belongs in tests/integration."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here) and "browser" not in getattr(item, "fixturenames", ()):
            raise pytest.UsageError(
                f"{item.nodeid} starts no browser: move it to tests/integration"
            )


@pytest.fixture(scope="session")
def page_url(page_settings: Settings, embedder: Embedder) -> Iterator[str]:
    """Base URL of the app under real uvicorn."""
    with served(create_app(page_settings, embedder)) as url:
        yield url


# Package scope: Playwright's sync API keeps an event loop running in the main thread while it
# lives, so the browser is closed after tests/browser and later tests can run event loops of their own.
@pytest.fixture(scope="package")
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
