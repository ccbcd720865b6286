"""Private by default, in headless Chromium: the page works by its loopback names, a rebound name
gets nothing, another site cannot read the API, and the read token's sign-in works."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from playwright.sync_api import Browser, Page, expect

from ragnotes.index.embedding import Embedder
from ragnotes.service.app import create_app
from ragnotes.service.login import COOKIE
from ragnotes.service.settings import Settings
from ragnotes_eval.loopback import served
from tests.browser.conftest import CHROMIUM_ARGS, open_context, screenshot
from tests.browser.test_page_browser import BATCH_SENTENCE, type_query

pytestmark = pytest.mark.browser

READ = "page-read-token"
# The attacker's domain, rebound to this machine: what its DNS would answer after rebinding.
REBIND_ARGS = [*CHROMIUM_ARGS, "--host-resolver-rules=MAP rebound.example 127.0.0.1"]


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost"])
def test_the_page_works_by_its_loopback_names(page: Page, page_url: str, name: str) -> None:
    base = page_url.replace("127.0.0.1", name)
    page.goto(f"{base}/")
    type_query(page, "nightly batch scoring")  # the live results come from /results
    first = page.locator("#results .result").first
    expect(first.locator(".best")).to_have_text(BATCH_SENTENCE)
    first.locator("a.open").click()
    expect(page).to_have_url(f"{base}/notes/serving.md#L11-L12")


@pytest.fixture(scope="module")
def rebinding_browser(browser: Browser) -> Iterator[Browser]:
    """A second Chromium whose resolver maps the attacker's name to this machine."""
    launched = browser.browser_type.launch(
        executable_path=shutil.which("chromium"), args=REBIND_ARGS
    )
    yield launched
    launched.close()


def test_a_rebound_domain_reads_nothing(rebinding_browser: Browser, page_url: str) -> None:
    rebound = page_url.replace("127.0.0.1", "rebound.example")
    context = open_context(rebinding_browser)
    page = context.new_page()
    for path in ("/", "/?q=batch", "/notes/serving.md", "/api/search?q=batch"):
        response = page.goto(f"{rebound}{path}")
        assert response is not None and response.status == 400, path
        expect(page.locator("body")).to_contain_text("RAGNOTES_ALLOWED_HOSTS")
        expect(page.locator("body")).not_to_contain_text("Batch scoring")
    context.close()


@pytest.fixture(scope="module")
def other_site() -> Iterator[str]:
    """Another origin on loopback (another port), so only CORS decides what it may read."""
    app = FastAPI()
    app.get("/", response_class=HTMLResponse)(lambda: "<p>another site</p>")
    with served(app) as base:
        yield base


READ_FROM_ELSEWHERE = """async (base) => {
  const tries = [
    fetch(base + "/api/search?q=batch"),
    fetch(base + "/api/ask", {method: "POST", body: '{"question": "batch"}'}),
    fetch(base + "/notes/serving.md"),
  ];
  const results = await Promise.allSettled(tries.map((p) => p.then((r) => r.text())));
  return results.map((r) => r.status === "fulfilled" ? r.value : "blocked");
}"""


def test_another_site_cannot_read_the_api(
    page: Page, page_url: str, other_site: str, page_settings: Settings, embedder: Embedder
) -> None:
    page.goto(f"{other_site}/")
    assert page.evaluate(READ_FROM_ELSEWHERE, page_url) == ["blocked"] * 3
    # The control: once RAGNOTES_CORS_ORIGINS names that site, the same search reads.
    allowed = page_settings.model_copy(update={"cors_origins": other_site})
    with served(create_app(allowed, embedder)) as base:
        search = page.evaluate(READ_FROM_ELSEWHERE, base)[0]
        assert '"passages"' in search


@pytest.fixture(scope="module")
def token_url(page_settings: Settings, embedder: Embedder) -> Iterator[str]:
    settings = page_settings.model_copy(update={"api_token": READ})
    with served(create_app(settings, embedder)) as base:
        yield base


def test_signing_in_with_the_read_token_opens_the_page(browser: Browser, token_url: str) -> None:
    context = open_context(browser, viewport={"width": 1000, "height": 800})
    page = context.new_page()
    page.goto(f"{token_url}/?q=nightly batch scoring")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.locator("#token").fill("not-the-token")
    page.locator("button[type=submit]").click()
    expect(page.locator("#message")).to_contain_text("not this server's read token")
    screenshot(page, "sign-in-refused")

    page.locator("#token").fill(READ)
    page.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/\?q=nightly(%20|\+)batch(%20|\+)scoring$"))
    expect(page.locator("#results .result .best").first).to_have_text(BATCH_SENTENCE)
    (cookie,) = [c for c in context.cookies() if c["name"] == COOKIE]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and READ not in cookie["value"]
    assert page.evaluate("document.cookie") == ""  # out of reach of scripts

    page.locator("#q").fill("")
    type_query(page, "shadow traffic mirrors production")  # the live results send the cookie
    expect(page.locator("#results a.open").first).to_have_text(
        "Operations handbook > Shadow deployment"
    )
    context.close()
