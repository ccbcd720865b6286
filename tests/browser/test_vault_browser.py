"""The fixture Obsidian vault in Chromium: a passage's callout, the note view with its image
and wikilinks, and a wikilink followed to the heading it names."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from ragnotes.index.build import index_sources
from ragnotes.index.embedding import Embedder
from ragnotes.service.app import create_app
from ragnotes.service.settings import Settings
from ragnotes_eval.loopback import served
from tests.browser.conftest import screenshot
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def vault_url(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[str]:
    vault = tmp_path_factory.mktemp("vault")
    shutil.copytree(FIXTURES / "vault", vault, dirs_exist_ok=True)
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("vault-data"),
        notes_dir=str(vault),
        bundled_notes=False,
        readmes=False,
    )
    index_sources(settings.sources(), embedder, settings.store())
    with served(create_app(settings, embedder)) as url:
        yield url


def test_a_vault_note_reads_as_in_obsidian(page: Page, vault_url: str) -> None:
    page.goto(f"{vault_url}/?q=" + quote("how long does the walrus snapshot take"))
    first = page.locator("#results .text").first
    titles = first.locator("blockquote.callout .callout-title")
    expect(titles.first).to_have_text("Tip Why 37 minutes")
    page.goto(f"{vault_url}/notes/{quote('Zero copy writes.md')}")
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("main")).not_to_contain_text("aliases")
    expect(page.locator("main")).not_to_contain_text("quokka")
    image = page.locator("main img")
    expect(image).to_have_attribute("alt", "diagram.png")
    assert image.evaluate("img => img.complete && img.naturalWidth") == 240  # it loaded
    expect(page.locator("blockquote.callout[data-callout=warning] .callout-type")).to_have_text(
        "Warning"
    )
    screenshot(page, "vault-note-view")
    assert page.evaluate("window.__violations") == []
    link = page.locator("a.wikilink", has_text="negative sampling")
    href = link.get_attribute("href") or ""
    assert re.fullmatch(r"/notes/ml/ranking/Two%20tower\.md#L\d+-L\d+", href), href
    page.goto(vault_url + href)
    lit = page.locator(".hl")
    expect(lit.first).to_contain_text("In-batch negatives")
    expect(lit.first).to_be_in_viewport()
    screenshot(page, "vault-wikilink-at-its-heading", full_page=False)
