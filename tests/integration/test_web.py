"""The page over HTTP (TestClient): server-rendered results, safety headers, note paths, weight."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from ragnotes.corpus.curated import CuratedRepo
from ragnotes.index.build import index_sources
from ragnotes.index.embedding import Embedder
from ragnotes.service.app import create_app
from ragnotes.service.security import CSP
from ragnotes.service.settings import Settings
from tests.conftest import FIXTURES, fixture_settings

BATCH_SENTENCE = (
    "Batch scoring is the right call when inputs are known ahead of time and hours of "
    "staleness are acceptable."
)
PAGE_BUDGET_BYTES = 50_000


def _results(page: str) -> list[str]:
    """The markup of each result on a page, in order."""
    return re.split(r'<li class="result(?: weak)?" id="p\d+">', page)[1:]


def test_api_passages_carry_the_best_sentence(page_client: TestClient) -> None:
    r = page_client.post("/api/ask", json={"question": "nightly batch scoring", "k": 3})
    top = r.json()["passages"][0]
    assert top["citation"]["heading"] == "Serving notes > Batch scoring"
    assert top["best_sentence"] == BATCH_SENTENCE and top["best_sentence"] in top["text"]


def test_query_url_renders_results_on_the_server(page_client: TestClient) -> None:
    r = page_client.get("/", params={"q": "nightly batch scoring"})
    assert r.status_code == 200
    page = r.text
    assert 'value="nightly batch scoring"' in page
    first = _results(page)[0]
    assert 'href="/notes/serving.md#L11-L12"' in first
    assert "Serving notes &gt; Batch scoring" in first
    assert "note · serving.md · lines 11-12" in first
    assert '<strong class="best"><mark>Batch</mark> <mark>scoring</mark> is the right' in first
    assert "<mark>Nightly</mark> jobs precompute" in first


def test_page_shows_the_build_and_its_size(page_client: TestClient) -> None:
    info = page_client.get("/healthz").json()["index"]
    page = page_client.get("/").text
    assert f"{info['files']} files · {info['chunks']} passages" in page
    assert 'id="changed"' not in page


def test_readme_results_link_to_the_pinned_commit_with_the_license(
    page_client: TestClient, readme_repo: CuratedRepo
) -> None:
    page = page_client.get("/", params={"q": "point-in-time joins", "source": "readmes"}).text
    first = _results(page)[0]
    path = readme_repo.files[0]
    assert (
        f'href="https://github.com/{readme_repo.name}/blob/{readme_repo.commit}/{path}#L' in first
    )
    assert f"{readme_repo.name} · {path} · lines " in first and readme_repo.license in first
    assert f'<option value="{readme_repo.name}">' in page


def test_hostile_text_is_escaped_in_results_and_notes(page_client: TestClient) -> None:
    results = page_client.get("/", params={"q": "hostile untrusted markup"}).text
    note = page_client.get("/notes/hostile.md").text
    for page in (results, note):
        assert "&lt;script&gt;window.__pwned" in page
        assert "<script>window" not in page and "<img src=x" not in page
        assert re.search(r"<a\s[^>]*href=[\"']?javascript:", page) is None  # as text it is fine
        assert _inline_code(page) == []


class _InlineCode(HTMLParser):
    """Collects whatever a strict CSP would block: inline scripts, styles and event handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "style" or (tag == "script" and "src" not in names):
            self.found.append(tag)
        self.found += [f"{tag}[{n}]" for n in names if n == "style" or n.startswith("on")]


def _inline_code(page: str) -> list[str]:
    parser = _InlineCode()
    parser.feed(page)
    return parser.found


def test_pages_send_a_strict_csp_and_have_no_inline_code(page_client: TestClient) -> None:
    assert "'unsafe-inline'" not in CSP and "script-src 'self'" in CSP
    for url in (
        "/?q=batch",
        "/results?q=batch",
        "/notes/rollout.md",
        "/notes/missing.md",
        "/static/search.js",
    ):
        r = page_client.get(url)
        assert r.headers["content-security-policy"] == CSP, url
        assert r.headers["x-content-type-options"] == "nosniff"
        if r.headers["content-type"].startswith("text/html"):
            assert _inline_code(r.text) == [], url


@pytest.mark.parametrize(
    "url",
    [
        "/notes/%2e%2e/%2e%2e/pyproject.toml",
        "/notes/..%2F..%2Fpyproject.toml",
        "/notes/%2Fetc%2Fpasswd",
        "/notes//etc/passwd",
        "/notes/readme.txt",  # in the notes folder, but not Markdown
        "/notes/binary.md",  # in the notes folder, but not text
        "/notes/nothing-here.md",
        "/notes/.hidden.md",
        "/notes/",
    ],
)
def test_note_urls_outside_the_notes_are_404(page_client: TestClient, url: str) -> None:
    r = page_client.get(url)
    assert r.status_code == 404 and "No such note" in r.text


def test_a_symlink_out_of_the_notes_folder_is_404(tmp_path: Path, embedder: Embedder) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (tmp_path / "secret.md").write_text("# Secret\n\nnot for the page\n")
    (notes / "escape.md").symlink_to(tmp_path / "secret.md")
    (notes / "fine.md").write_text("# Fine\n\nshown without any index\n")
    with TestClient(create_app(fixture_settings(tmp_path / "data", notes), embedder)) as client:
        assert client.get("/notes/escape.md").status_code == 404
        fine = client.get("/notes/fine.md")
        assert fine.status_code == 200 and "shown without any index" in fine.text
        page = client.get("/", params={"q": "anything"})
        assert page.status_code == 503 and "ragnotes index" in page.text


def test_note_page_anchors_each_cited_span(page_client: TestClient) -> None:
    page = page_client.get("/notes/serving.md").text
    assert '<div class="cite" id="L11-L12">' in page
    assert re.search(r'<div class="blk heading" id="L9" [^>]*>.*<h2>Batch scoring</h2>', page)
    cited = page.split('<div class="cite" id="L11-L12">')[1].split("</div></div>")[0]
    assert 'id="L11" data-lines="11 12"' in cited and "<p>Nightly jobs precompute" in cited


def test_a_four_backtick_fence_is_one_code_block(page_client: TestClient) -> None:
    page = page_client.get("/notes/fences.md").text
    main = page.split('<main class="note">')[1]
    assert main.count("<pre>") == 1 and main.count("<p>") == 2
    code = main.split("<pre>")[1].split("</pre>")[0]
    assert "```python" in code and "print(" in code
    assert re.search(r'<div class="blk code" id="L5" data-lines="5 9">', main)
    assert "<p>The paragraph after the nested fence is prose again.</p>" in main


def test_live_results_are_the_page_s_own_results(page_client: TestClient) -> None:
    params = {"q": "canary rollout traffic", "source": "notes"}
    page = page_client.get("/", params=params)
    fragment = page_client.get("/results", params=params)
    assert fragment.status_code == 200 and fragment.headers["content-security-policy"] == CSP
    assert fragment.text.strip() in page.text and _results(fragment.text)
    bad = page_client.get("/results", params={"q": "x" * 2001})
    assert bad.status_code == 422 and "at most 2000 characters" in bad.text


def test_passages_render_markdown_with_safe_links(page_client: TestClient) -> None:
    page = page_client.get("/", params={"q": "canary rollout traffic share"}).text
    first = _results(page)[0]
    assert "Rollout playbook &gt; Canary rollout" in first
    assert "<strong><mark>canary</mark> <mark>rollout</mark></strong>" in first
    assert "<em>small slice</em>" in first and "<table>" in first and "<ul>" in first
    assert "<pre><code>def <mark>canary_share</mark>(hour):" in first
    assert (
        '<a href="https://example.com/canary" target="_blank" rel="noopener noreferrer">' in first
    )
    assert '<a href="/notes/long.md#L157" target="_blank" rel="noopener noreferrer">' in first
    assert "**canary" not in first and "](" not in first and "| ---" not in first


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"q": "x" * 2001}, 422, "at most 2000 characters"),
        ({"q": "drift", "source": "nobody/nothing"}, 400, "unknown source"),
    ],
)
def test_bad_searches_explain_themselves(
    page_client: TestClient, params: dict[str, str], status: int, message: str
) -> None:
    r = page_client.get("/", params=params)
    assert r.status_code == status and message in r.text and "<li class" not in r.text


def test_page_and_assets_fit_the_budget(page_client: TestClient) -> None:
    page = page_client.get("/")
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert {"/static/search.js", "/static/page.css"} <= set(assets)
    weight = len(page.content) + sum(len(page_client.get(a).content) for a in assets)
    assert weight < PAGE_BUDGET_BYTES


def test_changed_sources_are_noticed(tmp_path: Path, embedder: Embedder) -> None:
    notes = tmp_path / "notes"
    shutil.copytree(FIXTURES / "notes", notes)
    settings = fixture_settings(tmp_path / "data", notes)
    index_sources(settings.sources(), embedder, settings.store())
    (notes / "serving.md").write_text("# Serving notes\n\nRewritten since the build.\n")
    (notes / "new-note.md").write_text("# New\n\nA note the build has not seen.\n")
    with TestClient(create_app(settings, embedder)) as client:
        page = client.get("/").text
        assert re.search(r"2 source files changed since\s+\(serving.md, new-note.md\)", page)
        results = client.get("/", params={"q": "nightly batch scoring"}).text
        assert "changed since indexed" in results
        assert "cited lines may have moved" in client.get("/notes/serving.md").text


ANSWERED = "when should I prefer batch inference over online inference?"
OFF_TOPIC = "what is the capital of France?"


def _refs(markup: str) -> list[list[int]]:
    """The [n] links of each answer sentence, in order."""
    sentences = re.findall(
        r'<span class="sentence[^"]*">(.*?)</span>\s*(?=<span class="sentence|</p>)', markup, re.S
    )
    return [[int(n) for n in re.findall(r'<a class="ref" href="#p(\d+)"', s)] for s in sentences]


def test_the_answer_comes_first_and_cites_passages_on_the_page(page_client: TestClient) -> None:
    page = page_client.get("/", params={"q": ANSWERED}).text
    api = page_client.get("/api/answer", params={"q": ANSWERED, "k": 10}).json()
    answer = api["answer"]
    assert answer["answerable"] and answer["sentences"]
    section = page.split('<section id="answer" class="answer"')[1].split("</section>")[0]
    assert page.index('id="answer"') < page.index('<ol id="results">')
    assert _refs(section) == [s["citations"] for s in answer["sentences"]]
    ranks = {int(n) for n in re.findall(r'<li class="result[^"]*" id="p(\d+)">', page)}
    assert {n for s in answer["sentences"] for n in s["citations"]} <= ranks
    for s, rendered in zip(
        answer["sentences"],
        re.findall(r'<span class="sentence">(.*?)<a ', section, re.S),
        strict=True,
    ):
        words = re.sub(r"<[^>]+>", "", rendered).split()
        assert words == re.sub(r"[*_`]", "", s["text"]).split()  # the sentence, as rendered text
    assert "not-found" not in section
    weak = {p["rank"] for p in api["passages"] if p["weak"]}
    assert weak == {int(n) for n in re.findall(r'<li class="result weak" id="p(\d+)">', page)}
    assert not weak & {n for s in answer["sentences"] for n in s["citations"]}


def test_a_question_the_notes_do_not_answer_says_so(page_client: TestClient) -> None:
    page = page_client.get("/", params={"q": OFF_TOPIC}).text
    api = page_client.get("/api/answer", params={"q": OFF_TOPIC, "k": 10}).json()
    assert api["answer"]["answerable"] is False
    section = page.split('<section id="answer" class="answer not-found"')[1].split("</section>")[0]
    assert f'<p class="plain">{api["answer"]["text"]}</p>' in section
    assert 'class="ref"' not in section
    results = _results(page)
    assert len(results) == len(api["passages"]) > 0
    assert page.count('<li class="result weak"') == len(results)
    assert all("weak match" in r for r in results)


def test_live_results_carry_the_answer_too(page_client: TestClient) -> None:
    fragment = page_client.get("/results", params={"q": ANSWERED}).text
    assert fragment.index('<section id="answer" class="answer"') < fragment.index("<ol")
    assert "data-stream" not in fragment  # no LLM configured: the answer is whole already


def test_with_an_llm_the_page_streams_and_keeps_an_answer_without_javascript(
    page_settings: Settings, embedder: Embedder
) -> None:
    # The page itself never waits for the LLM server: no server listens at this URL.
    settings = page_settings.model_copy(update={"llm_url": "http://127.0.0.1:9/v1"})
    with TestClient(create_app(settings, embedder)) as client:
        page = client.get("/", params={"q": ANSWERED})
        fragment = client.get("/results", params={"q": ANSWERED}).text
        refused = client.get("/", params={"q": OFF_TOPIC}).text
    assert page.status_code == 200
    stream = f'data-stream="/api/answer?{urlencode({"q": ANSWERED, "k": 10})}"'
    assert stream.replace("&", "&amp;") in page.text and stream.replace("&", "&amp;") in fragment
    fallback = page.text.split("<noscript>")[1].split("</noscript>")[0]
    assert _refs(fallback) and "needs JavaScript" in fallback
    assert "<noscript>" not in fragment  # live results come only to a page that runs scripts
    assert "data-stream" not in refused and 'class="answer not-found"' in refused
