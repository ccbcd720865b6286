"""The search page in headless Chromium, against real uvicorn: typing, keys, notes, safety, no-JS."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page, expect

from ragnotes.corpus.curated import CuratedRepo
from ragnotes.index.embedding import Embedder
from ragnotes.service.app import create_app
from ragnotes.service.settings import Settings
from ragnotes_eval.loopback import served
from tests.browser.conftest import open_context, screenshot

pytestmark = pytest.mark.browser

BATCH_QUERY = "nightly batch scoring"
BATCH_SENTENCE = (
    "Batch scoring is the right call when inputs are known ahead of time and hours of "
    "staleness are acceptable."
)
# Each result as the reader sees it, to compare live (JavaScript) and server-rendered results.
READ_RESULTS = """() => [...document.querySelectorAll("#results .result")].map((li) => ({
  heading: li.querySelector("a.open").textContent,
  href: li.querySelector("a.open").getAttribute("href"),
  meta: li.querySelector(".meta").textContent,
  text: li.querySelector(".text").textContent,
  marks: [...li.querySelectorAll("mark")].map((m) => m.textContent),
  best: li.querySelector(".best")?.textContent ?? null,
}))"""


def read_results(page: Page) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = page.evaluate(READ_RESULTS)
    return results


def type_query(page: Page, text: str) -> None:
    page.locator("#q").press_sequentially(text, delay=15)
    expect(page).to_have_url(re.compile(re.escape("?" + urlencode({"q": text})) + "$"))


def test_typing_shows_results_that_match_the_server_rendering(page: Page, page_url: str) -> None:
    page.goto(f"{page_url}/")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.press("/")  # out of habit: the box has focus already, and stays empty
    expect(page.locator("#q")).to_have_value("")
    type_query(page, "nightly batches scored")  # inflected: both sides must stem alike
    first = page.locator("#results .result").first
    expect(first.locator("a.open")).to_have_text("Serving notes > Batch scoring")
    expect(first.locator(".best")).to_have_text(BATCH_SENTENCE)
    expect(page.locator("#message")).to_have_text(re.compile(r"^\d+ passages?$"))
    live = read_results(page)
    assert live[0]["marks"] == ["Nightly", "Batch", "scoring"]
    screenshot(page, "search-typed")

    page.reload()  # the URL followed the query: now the server renders the same results
    expect(page.locator("#q")).to_have_value("nightly batches scored")
    assert read_results(page) == live


def test_keyboard_moves_opens_and_clears(page: Page, page_url: str) -> None:
    page.goto(f"{page_url}/?q={BATCH_QUERY}")
    links = page.locator("#results a.open")
    expect(links.first).to_be_visible()
    expect(page.locator("#keys")).to_be_visible()
    expect(page.locator("#q")).not_to_be_focused()  # with results, keys act on the page
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()
    expect(page.locator("#q")).to_have_value(BATCH_QUERY)  # focused, and no "/" typed in
    page.keyboard.press("ArrowDown")
    expect(links.nth(0)).to_be_focused()
    page.keyboard.press("j")
    expect(links.nth(1)).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("k")
    expect(links.nth(1)).to_be_focused()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    expect(page.locator("#q")).to_be_focused()

    page.keyboard.press("Escape")
    expect(page.locator("#q")).to_have_value("")
    expect(page.locator("#results .result")).to_have_count(0)
    expect(page).to_have_url(f"{page_url}/")
    page.locator("#q").press_sequentially("A/B", delay=15)  # a "/" inside a question is typed
    expect(page.locator("#q")).to_have_value("A/B")
    page.keyboard.press("Escape")

    type_query(page, BATCH_QUERY)
    expect(links.first).to_have_text("Serving notes > Batch scoring")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{page_url}/notes/serving.md#L11-L12")


def test_a_note_opens_scrolled_to_its_highlighted_lines(page: Page, page_url: str) -> None:
    page.set_viewport_size({"width": 1000, "height": 600})
    page.goto(f"{page_url}/")
    type_query(page, "shadow traffic mirrors production")
    link = page.locator("#results a.open").first
    expect(link).to_have_text("Operations handbook > Shadow deployment")
    href = link.get_attribute("href") or ""
    start, end = (int(n) for n in re.findall(r"\d+", href.split("#")[1]))
    link.click()
    expect(page).to_have_url(f"{page_url}/notes/long.md#L{start}-L{end}")
    cited = page.locator(f"#L{start}")  # the paragraph the cited lines are
    expect(cited).to_have_class(re.compile(r"\bhl\b"))
    expect(cited).to_be_in_viewport()
    expect(cited.locator("p")).to_contain_text("Shadow traffic mirrors production requests")
    expect(page.locator(".hl")).to_have_count(1)
    expect(page.locator(f"#L{start - 2} h2")).to_have_text("Shadow deployment")  # not lit
    expect(page.locator("#L1")).not_to_be_in_viewport()
    expect(page.locator("#back")).to_have_attribute("href", re.compile(r"\?q=shadow"))
    screenshot(page, "note-at-cited-lines", full_page=False)


def test_cited_code_lines_are_lit_one_by_one(page: Page, page_url: str) -> None:
    page.goto(f"{page_url}/notes/fences.md#L6-L7")
    expect(page.locator("main pre")).to_have_count(1)  # a ``` line inside a ```` fence is code
    lit = page.locator(".cl.hl")
    expect(lit).to_have_count(2)
    assert lit.all_text_contents() == ["```python\n", 'print("inner")\n']
    page.evaluate("location.hash = '#L11'")
    expect(page.locator(".hl")).to_have_count(1)
    expect(page.locator("#L11.hl")).to_contain_text("prose again")


def test_a_note_opens_at_its_lines_without_javascript(browser: Browser, page_url: str) -> None:
    context = open_context(
        browser, java_script_enabled=False, viewport={"width": 800, "height": 500}
    )
    page = context.new_page()
    page.goto(f"{page_url}/notes/long.md#L157-L158")
    expect(page.locator("#L157")).to_be_in_viewport()
    expect(page.locator("#L1")).not_to_be_in_viewport()
    lit = page.locator("#L157").evaluate("(el) => getComputedStyle(el).backgroundColor")
    plain = page.locator("#L155").evaluate("(el) => getComputedStyle(el).backgroundColor")
    assert lit != plain  # :target highlights the cited span
    context.close()


def test_live_passages_render_markdown_with_terms_marked(page: Page, page_url: str) -> None:
    page.goto(f"{page_url}/")
    type_query(page, "canary rollout traffic share")
    text = page.locator("#results .result").first.locator(".text")
    expect(text.locator("table th").nth(1)).to_have_text("canary share")
    assert text.locator("table th mark").all_text_contents() == ["canary", "share"]
    expect(text.locator("ul > li")).to_have_count(2)
    expect(text.locator("pre code")).to_contain_text("def canary_share(hour):")
    expect(text.locator("em")).to_have_text("small slice")
    assert text.locator("strong:not(.best) mark").all_text_contents() == ["canary", "rollout"]
    link = text.locator("a", has_text="checklist")
    expect(link).to_have_attribute("href", "https://example.com/canary")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", re.compile(r"\bnoopener\b"))
    expect(text).not_to_contain_text("**canary")
    assert page.evaluate("window.__violations") == []
    screenshot(page, "markdown-passage")


def _assert_inert(page: Page) -> None:
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("window.__violations") == []
    assert page.locator("main script, main img, main a[href^='javascript']").count() == 0


def test_hostile_html_in_a_note_runs_nothing(page: Page, page_url: str) -> None:
    page.goto(f"{page_url}/?q=hostile untrusted markup")  # server-rendered
    hostile = page.locator("#results .result", has_text="Hostile HTML").first
    expect(hostile.locator(".text")).to_contain_text(
        '<script>window.__pwned = "code script"</script>'
    )
    _assert_inert(page)

    page.locator("#q").fill("")
    type_query(page, "hostile untrusted markup onerror")  # rendered by search.js
    expect(hostile.locator(".text")).to_contain_text("<img src=x onerror=")
    _assert_inert(page)
    screenshot(page, "hostile-results")

    hostile.locator("a.open").click()
    expect(page).to_have_url(re.compile(r"/notes/hostile\.md#L"))
    expect(page.locator("main")).to_contain_text(
        "<img src=x onerror=\"window.__pwned = 'prose img'\">"
    )
    _assert_inert(page)
    screenshot(page, "hostile-note")


def test_the_form_works_without_javascript(
    browser: Browser, page_url: str, readme_repo: CuratedRepo
) -> None:
    context = open_context(browser, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{page_url}/")
    expect(page.locator("#keys")).to_be_hidden()  # the shortcuts need the script
    page.locator("#q").fill(BATCH_QUERY)
    page.locator("#source").select_option("notes")
    page.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"\?q=nightly\+batch\+scoring&source=notes$"))
    first = page.locator("#results .result").first
    expect(first.locator("a.open")).to_have_text("Serving notes > Batch scoring")
    expect(first.locator(".best")).to_have_text(BATCH_SENTENCE)
    assert first.locator("mark").all_text_contents() == ["Nightly", "Batch", "scoring"]
    screenshot(page, "no-javascript-results")

    page.locator("#q").fill("point-in-time joins")
    page.locator("#source").select_option(readme_repo.name)
    page.locator("button[type=submit]").click()
    results = read_results(page)
    assert results and all(r["meta"].startswith(f"{readme_repo.name} · ") for r in results)
    assert results[0]["href"].startswith(
        f"https://github.com/{readme_repo.name}/blob/{readme_repo.commit}/"
    )
    assert readme_repo.license in results[0]["meta"]
    context.close()


def test_filters_narrow_live_results(page: Page, page_url: str, readme_repo: CuratedRepo) -> None:
    page.goto(f"{page_url}/")
    type_query(page, "point-in-time joins label leakage")
    metas = page.locator("#results .meta")
    expect(metas.first).to_contain_text(readme_repo.name)
    page.locator("#source").select_option("notes")
    expect(page).to_have_url(re.compile(r"&source=notes$"))
    expect(metas.first).to_contain_text("note · ")
    assert not any(readme_repo.name in m for m in metas.all_text_contents())
    page.locator("#source").select_option("readmes")
    expect(metas.first).to_contain_text(readme_repo.name)
    assert all(m.startswith(readme_repo.name) for m in metas.all_text_contents())


def _luminance(css_color: str) -> float:
    r, g, b = (int(v) for v in re.findall(r"\d+", css_color)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_readable_on_a_phone_in_light_and_dark(
    browser: Browser, page_url: str, scheme: str
) -> None:
    context = open_context(
        browser, viewport={"width": 390, "height": 844}, color_scheme=scheme, is_mobile=True
    )
    page = context.new_page()
    page.goto(f"{page_url}/?q=when to prefer batch inference")
    expect(page.locator("#results .result").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    text = page.evaluate("getComputedStyle(document.body).color")
    if scheme == "dark":
        assert _luminance(background) < 0.2 < 0.7 < _luminance(text)
    else:
        assert _luminance(text) < 0.2 < 0.7 < _luminance(background)
    screenshot(page, f"phone-{scheme}")
    context.close()


ANSWERED = "when should I prefer batch inference over online inference?"
OFF_TOPIC = "what is the capital of France?"


def test_the_answer_leads_and_each_ref_opens_its_passage(page: Page, page_url: str) -> None:
    page.goto(f"{page_url}/")
    type_query(page, ANSWERED)
    answer = page.locator("#answer")
    expect(answer.locator(".sentence").first).to_be_visible()
    expect(answer).not_to_have_class(re.compile("not-found"))
    assert page.evaluate("document.querySelector('#answer').nextElementSibling.id") == "results"
    screenshot(page, "answer-batch")
    ref = answer.locator("a.ref").first
    rank = (ref.text_content() or "").strip("[]")
    ref.click()
    expect(page).to_have_url(re.compile(rf"#p{rank}$"))
    passage = page.locator(f"#p{rank}")
    expect(passage).to_be_in_viewport()
    assert (ref.get_attribute("title") or "").startswith(
        passage.locator("a.open").text_content() or "?"
    )
    href = passage.locator("a.open").get_attribute("href") or ""
    assert re.search(r"#L\d+-L\d+$", href)  # and the passage opens its exact lines
    assert page.evaluate("window.__violations") == []


def test_a_question_for_steps_gets_the_list_drawn_as_a_list(page: Page, page_url: str) -> None:
    page.goto(f"{page_url}/")
    type_query(page, "what are the steps of a canary rollout?")
    answer = page.locator("#answer")
    items = answer.locator(".unit.list li")
    expect(items.first).to_be_visible()
    assert items.all_text_contents() == [
        "Start the canary at one percent of traffic.",
        "Double its share every hour while error rates hold.",
    ]
    text = answer.inner_text()
    assert "**" not in text and "](" not in text and "|" not in text
    ref = answer.locator(".unit.list a.ref").first
    rank = (ref.text_content() or "").strip("[]")
    assert "rollout.md" in (page.locator(f"#p{rank} .meta").text_content() or "")
    assert page.evaluate("window.__violations") == []


def test_not_in_your_notes_is_said_plainly(page: Page, page_url: str) -> None:
    page.goto(f"{page_url}/")
    type_query(page, OFF_TOPIC)
    answer = page.locator("#answer.not-found")
    expect(answer.locator(".plain")).to_contain_text("do not")
    expect(answer.locator("a.ref")).to_have_count(0)
    results = page.locator("#results .result")
    expect(results.first).to_be_visible()
    expect(page.locator("#results .result:not(.weak)")).to_have_count(0)
    expect(results.first.locator(".weak-tag")).to_have_text("weak match")
    screenshot(page, "answer-not-in-notes")


@pytest.mark.parametrize(("name", "question"), [("batch", ANSWERED), ("not-in-notes", OFF_TOPIC)])
def test_answers_read_on_a_phone_without_javascript(
    browser: Browser, page_url: str, name: str, question: str
) -> None:
    context = open_context(
        browser, java_script_enabled=False, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    page.goto(f"{page_url}/?q={question}")
    expect(page.locator("#answer .body p").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"answer-{name}-phone")
    context.close()


@pytest.fixture(scope="module")
def llm_page_url(page_settings: Settings, embedder: Embedder, llm_url: str) -> Iterator[str]:
    """The page with a real llama.cpp server (SmolLM2-135M) writing answers, kept short."""
    settings = page_settings.model_copy(
        update={"llm_url": llm_url, "llm_max_tokens": 48, "llm_timeout": 300}
    )
    with served(create_app(settings, embedder)) as url:
        yield url


def test_a_generated_answer_streams_in(page: Page, llm_page_url: str) -> None:
    page.goto(f"{llm_page_url}/")
    with page.expect_request(lambda r: r.url.startswith(f"{llm_page_url}/api/answer?")) as asked:
        type_query(page, ANSWERED)
    assert asked.value.headers["accept"] == "text/event-stream"
    answer = page.locator("#answer")
    # Generous waits: a loaded two-core machine runs the model at a few words a second.
    expect(answer.locator(".draft")).to_be_visible(timeout=300_000)  # text as it is written
    done = answer.locator(".sentences, .plain:not(.pending), .failed")
    expect(done).to_be_visible(timeout=600_000)  # then the checked sentences replace it
    expect(answer.locator(".draft")).to_have_count(0)
    ranks = set(page.locator("#results .result").evaluate_all("(ls) => ls.map((l) => l.id)"))
    refs = answer.locator("a.ref").evaluate_all("(as) => as.map((a) => a.getAttribute('href'))")
    assert {r.removeprefix("#") for r in refs} <= ranks  # invented citations were dropped
    if refs:
        expect(answer.locator(".by")).to_contain_text("Written by")
    assert page.evaluate("window.__violations") == []
    screenshot(page, "answer-generated")


def test_an_llm_server_that_is_down_is_named_and_the_extractive_answer_stays(
    page: Page, page_settings: Settings, embedder: Embedder
) -> None:
    down = "http://127.0.0.1:9/v1"  # nothing listens on the discard port
    settings = page_settings.model_copy(update={"llm_url": down, "llm_timeout": 5})
    with served(create_app(settings, embedder)) as url:
        page.goto(f"{url}/")
        type_query(page, ANSWERED)
        expect(page.locator("#answer .notice")).to_contain_text(down, timeout=60_000)
        expect(page.locator("#answer .notice")).to_contain_text("RAGNOTES_LLM_URL")
        expect(page.locator("#answer .ref").first).to_be_visible()  # the extractive answer
        expect(page.locator("#results .result").first).to_be_visible()
