from __future__ import annotations

import hashlib
from pathlib import Path

from ragnotes.corpus.documents import Document
from ragnotes.corpus.sections import document_sections
from ragnotes.index.chunking import CHUNKER_VERSION, Chunk, chunk_sections
from ragnotes.index.embedding import Embedder
from ragnotes.service.render import note_blocks, passage_html


def _doc(text: str, path: str = "n.md") -> Document:
    return Document("notes", path, text, Path(path), hashlib.sha256(text.encode()).hexdigest())


def _chunks(embedder: Embedder, text: str, target: int = 200) -> list[Chunk]:
    sections = document_sections(_doc(text))
    return chunk_sections(sections, embedder.count_tokens, embedder.max_tokens, target)


def _window(embedder: Embedder, chunk: Chunk) -> int:
    return embedder.count_tokens(chunk.embed_text) + 2


def test_breadcrumb_and_line_span(embedder: Embedder) -> None:
    text = "# Serving\n\n## Batch\n\nline one\nline two\n\n## Online\n\nthird\n"
    chunks = _chunks(embedder, text)
    assert [(c.heading, c.start_line, c.end_line) for c in chunks] == [
        ("Serving > Batch", 5, 6),
        ("Serving > Online", 10, 10),
    ]
    assert chunks[0].text == "line one\nline two"
    assert chunks[0].embed_text.startswith("Serving > Batch\n")
    lines = text.split("\n")
    for c in chunks:
        assert c.text.split("\n")[0] == lines[c.start_line - 1]
        assert c.text.split("\n")[-1] == lines[c.end_line - 1]


def test_blocks_stay_apart_in_the_text(embedder: Embedder) -> None:
    text = "# T\n\nIntro.\n\n- one\n- two\n\n<!-- hidden -->\n| a | b |\n| - | - |\n| 1 | 2 |\n"
    (chunk,) = _chunks(embedder, text)
    assert chunk.text == "Intro.\n\n- one\n- two\n\n| a | b |\n| - | - |\n| 1 | 2 |"
    assert "\n\n" not in chunk.embed_text  # what is embedded did not change


def test_code_block_that_fits_is_never_cut(embedder: Embedder) -> None:
    code = "\n".join(f"value_{i} = compute({i})" for i in range(12))
    text = "# T\n\n" + "\n\n".join(["word " * 60] * 3) + f"\n\n```python\n{code}\n```\n"
    chunks = _chunks(embedder, text, target=120)
    holding = [c for c in chunks if "value_0" in c.text]
    assert len(holding) == 1
    assert (
        "```python" in holding[0].text and "value_11" in holding[0].text and holding[0].part is None
    )


def test_oversized_table_splits_at_rows_and_says_so(embedder: Embedder) -> None:
    rows = "\n".join(
        f"| feature_{i} | description of feature number {i} in words |" for i in range(80)
    )
    text = f"# T\n\n| name | meaning |\n| --- | --- |\n{rows}\n"
    chunks = _chunks(embedder, text)
    assert len(chunks) > 1
    n = len(chunks)
    assert [c.part for c in chunks] == [f"table, part {i} of {n}" for i in range(1, n + 1)]
    source_lines = text.split("\n")
    covered = []
    for c in chunks:
        assert c.text.split("\n") == source_lines[c.start_line - 1 : c.end_line]
        covered.extend(range(c.start_line, c.end_line + 1))
        assert _window(embedder, c) <= embedder.max_tokens
    assert covered == list(range(3, 3 + 82))


def test_every_chunk_fits_the_window(embedder: Embedder) -> None:
    long_line = " ".join(f"Sentence {i} talks about embeddings and retrieval." for i in range(200))
    text = (
        f"# A very long heading about ranking and retrieval\n\n{long_line}\n\n" + "- item\n" * 400
    )
    chunks = _chunks(embedder, text)
    assert len(chunks) > 5
    assert max(_window(embedder, c) for c in chunks) <= embedder.max_tokens


def test_ids_are_stable_when_text_above_changes(embedder: Embedder) -> None:
    base = "# T\n\n## A\n\nalpha text\n\n## B\n\nbeta text\n"
    edited = "# T\n\nnew intro\nmore intro\n\n## A\n\nalpha text\n\n## B\n\nbeta text changed\n"
    before = {c.text: c for c in _chunks(embedder, base)}
    after = {c.text: c for c in _chunks(embedder, edited)}
    assert after["alpha text"].id == before["alpha text"].id
    assert after["alpha text"].start_line == before["alpha text"].start_line + 3
    assert "beta text" not in after


def test_identical_paragraphs_get_distinct_ids(embedder: Embedder) -> None:
    text = "# T\n\nsame words\n\n" + "x " * 300 + "\n\nsame words\n"
    ids = [c.id for c in _chunks(embedder, text, target=50)]
    assert len(ids) == len(set(ids))


def test_table_of_contents_is_not_indexed(embedder: Embedder) -> None:
    text = "# Guide\n\n## 📖 Table of Contents\n\n- [Intro](#intro)\n- [Setup](#setup)\n\n## Intro\n\nReal text.\n"
    assert [c.heading for c in _chunks(embedder, text)] == ["Guide > Intro"]


def test_split_code_block_has_no_fence_only_piece(embedder: Embedder) -> None:
    code = "\n".join(f"result_{i} = transform(batch_{i}, size={i})" for i in range(120))
    text = f"# T\n\n```python\n{code}\n```\n"
    chunks = _chunks(embedder, text)
    assert len(chunks) > 1 and all(c.part and c.part.startswith("code block, part") for c in chunks)
    assert all("result_" in c.text and "```" not in c.text for c in chunks)
    assert (chunks[0].start_line, chunks[-1].end_line) == (4, 123)


def test_section_with_only_a_bare_link_is_not_a_passage(embedder: Embedder) -> None:
    text = "# Pattern\n\n## Usecase\n\nWhen predictions can wait.\n\n## Sample\n\nhttps://example.com/code\n"
    assert [c.heading for c in _chunks(embedder, text)] == ["Pattern > Usecase"]


FOUR_BACKTICKS = (
    "# T\n\nHow a fence is shown:\n\n````md\n```python\nx = 1\n```\n````\n\nAfter it.\n"
)


def test_a_fence_inside_a_longer_fence_is_one_code_block(embedder: Embedder) -> None:
    chunks = _chunks(embedder, FOUR_BACKTICKS, target=5)  # small: each block is a chunk
    assert [(c.start_line, c.end_line) for c in chunks] == [(3, 3), (5, 9), (11, 11)]
    assert chunks[1].text == "````md\n```python\nx = 1\n```\n````"


def test_the_note_view_and_the_page_show_a_chunk_as_the_chunker_read_it(
    embedder: Embedder,
) -> None:
    code = _chunks(embedder, FOUR_BACKTICKS, target=5)[1]
    blocks = note_blocks(FOUR_BACKTICKS, "/notes/n.md")
    assert [(b.start_line, b.end_line) for b in blocks if b.kind == "code"] == [
        (code.start_line, code.end_line)
    ]
    page = passage_html(code.text, "fence", None, code.part)
    assert page == "<pre><code>```python\nx = 1\n```\n</code></pre>\n"


def test_indented_code_is_code_to_the_chunker_as_to_the_page(embedder: Embedder) -> None:
    text = "# T\n\nLicense:\n\n    Copyright 2017 Someone\n\n    Some License 4.0\n"
    chunk = _chunks(embedder, text)[0]
    assert chunk.text == "License:\n\n    Copyright 2017 Someone\n\n    Some License 4.0"
    assert [b.kind for b in note_blocks(text, "/notes/n.md")] == ["heading", "paragraph", "code"]


def test_pieces_of_a_long_outer_fence_keep_the_inner_fence_lines(embedder: Embedder) -> None:
    code = "\n".join(f"result_{i} = transform(batch_{i}, size={i})" for i in range(120))
    text = f"# T\n\n````md\n```python\n{code}\n```\n````\n"
    chunks = _chunks(embedder, text)
    assert len(chunks) > 1 and all(c.part and c.part.startswith("code block, part") for c in chunks)
    assert chunks[0].text.startswith("```python\n") and chunks[-1].text.endswith("\n```")
    assert not any("````" in c.text for c in chunks)
    assert (chunks[0].start_line, chunks[-1].end_line) == (4, 125)


# Texts that take every path of the chunker: a line many windows long, sentences and words too
# long for one, code and tables cut into labelled parts, a table of contents, front matter with
# aliases and tags, a callout, a comment hiding blocks, repeated text, a README's title.
# begin chunker texts
_SENTENCE = "Throughput stays steady under load. "
CHUNKER_TEXTS = {
    "long-line.md": f"# Long line\n\n{_SENTENCE * 600}The quetzal sentinel. {_SENTENCE * 600}\n",
    "long-sentence.md": "# S\n\n"
    + " ".join(f"w{i}" for i in range(900))
    + ". A [link a. b](u) end.\n",
    "punctuation.md": "# P\n\n" + "ab-cd," * 1500 + "\n\nmid " + "q.r;" * 300 + " tail\n",
    "code.md": "# C\n\n```python\n"
    + "\n".join(f"value_{i} = compute({i}) + other_{i}" for i in range(150))
    + "\n\n"
    + "f(x)+g(y);" * 900
    + "\n```\n",
    "table.md": "# T\n\n| a | b |\n| - | - |\n"
    + "\n".join(f"| row {i} text | more {i} words here |" for i in range(120))
    + "\n",
    "note.md": "---\ntitle: Fancy\naliases: [F1, F2]\ntags: [x]\n---\n# Fancy\n\n## Contents\n\n"
    "- [A](#a)\n\n## A\n\ntext #tag [[Other note|shown]]\n\n> [!tip]- Title\n> body\n\n"
    "<!-- c\n\nhidden -->\nafter\n\n## A\n\ntext #tag [[Other note|shown]]\n",
}
# end chunker texts
# The chunks of CHUNKER_TEXTS under each chunker version (sha256 of their records, in order).
CHUNKS_DIGEST = {"8": "918a35a1f057c01bb9d743d05d5dbbb082f0bb23684577d65f8c9c0c2f0a02f5"}


def _record(c: Chunk) -> str:
    fields = (c.id, c.source, c.path, c.title, c.heading, c.start_line, c.end_line, c.text)
    return repr((*fields, c.embed_text, c.part, c.tags))


def chunks_digest(embedder: Embedder) -> str:
    digest = hashlib.sha256()
    for target in (256, 64):
        for path, text in CHUNKER_TEXTS.items():
            for source in ("notes", "owner/repo"):
                doc = Document(source, path, text, Path(path), "")
                for c in chunk_sections(
                    document_sections(doc), embedder.count_tokens, embedder.max_tokens, target
                ):
                    digest.update(_record(c).encode("utf-8"))
    return digest.hexdigest()


def test_chunks_change_only_with_the_chunker_version(embedder: Embedder) -> None:
    """Builds reuse chunks of the same CHUNKER_VERSION: a change to what comes out needs a new
    version (and its digest here), and a version bump needs the chunks to differ."""
    assert chunks_digest(embedder) == CHUNKS_DIGEST.get(CHUNKER_VERSION), (
        "the chunks changed: bump CHUNKER_VERSION in index/chunking.py and record the new digest"
    )
