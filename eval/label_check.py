"""Checks that an eval split is labelled the way eval/questions.py promises.

A label is sound when each anchor occurs exactly once in the whole corpus (so it can only
match the passage it was copied from), inside one passage of readable text of the labelled file
(not a heading, a code block or a table of contents, which match passages that do not answer),
and when the question does not copy seven consecutive words from anywhere in the corpus (so the
question tests retrieval, not string matching). The corpus is the text the index sees: the
documents discovery returns, split into blocks by the same Markdown parser the chunker uses.

    python -m ragnotes_eval.label_check --readmes data/readmes     # every split, one line per finding
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ragnotes.corpus.curated import load_curated
from ragnotes.corpus.documents import BUNDLED_NOTES_DIR, NOTES_SOURCE, Document, discover
from ragnotes.corpus.sections import Section, is_toc_heading, parse_markdown
from ragnotes_eval.questions import SPLITS, Label, Question, load_questions, normalize, split_dir

COPY_WORDS = 7
Problem = Literal["no-file", "missing", "duplicate", "heading", "code", "toc", "split", "copied"]
_FRAGMENT_LINK = re.compile(r"\[[^\]]*\]\(#[^)]*\)")
_LIST_OR_TABLE_MARK = re.compile(r"^[\s|*+\-\d.]*$")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Finding:
    """One thing wrong with one question's label (or its wording)."""

    question: str
    problem: Problem
    detail: str

    def __str__(self) -> str:
        return f"{self.question}: {self.problem}: {self.detail}"


@dataclass(frozen=True)
class _File:
    """One document as the checks see it: its passages and the text they must not use."""

    text: str  # the whole file, normalized
    passages: tuple[str, ...]  # prose and table blocks outside a table of contents, normalized
    headings: tuple[str, ...]
    code: tuple[str, ...]
    toc: tuple[str, ...]


def _is_toc_block(lines: Sequence[str]) -> bool:
    """A block made (almost) only of links into the same page: a hand-written table of contents."""
    linked = [
        line
        for line in lines
        if _FRAGMENT_LINK.search(line) and _LIST_OR_TABLE_MARK.match(_FRAGMENT_LINK.sub("", line))
    ]
    return len(lines) >= 2 and len(linked) >= 0.75 * len(lines)


def _file(doc: Document) -> _File:
    passages: list[str] = []
    code: list[str] = []
    toc: list[str] = []
    headings: set[str] = set()
    sections: tuple[Section, ...] = parse_markdown(
        doc.text, note=doc.source == NOTES_SOURCE
    ).sections
    for section in sections:
        headings.update(normalize(h) for h in section.headings)
        toc_section = bool(section.headings) and is_toc_heading(section.headings[-1])
        for block in section.blocks:
            lines = [text for _, text in block.lines]
            body = normalize("\n".join(lines))
            if block.kind == "code":
                code.append(body)
            elif toc_section or _is_toc_block(lines):
                toc.append(body)
            else:
                passages.append(body)
    return _File(normalize(doc.text), tuple(passages), tuple(headings), tuple(code), tuple(toc))


def _where(anchor: str, file: _File) -> Problem:
    """Why an anchor present in the file is in no passage."""
    if any(anchor in heading for heading in file.headings):
        return "heading"
    if any(anchor in block for block in file.code):
        return "code"
    if any(anchor in block for block in file.toc):
        return "toc"
    return "split"


def _check_label(
    qid: str, label: Label, files: dict[tuple[str, str], _File], corpus: Sequence[_File]
) -> Iterable[Finding]:
    file = files.get((label.source, label.path))
    if file is None:
        yield Finding(qid, "no-file", f"{label.source} {label.path} is not in the corpus")
        return
    for raw in label.anchors:
        anchor = normalize(raw)
        count = sum(f.text.count(anchor) for f in corpus)
        if anchor not in file.text:
            yield Finding(qid, "missing", f"{raw!r} is not in {label.source} {label.path}")
        elif count > 1:
            yield Finding(qid, "duplicate", f"{raw!r} occurs {count} times in the corpus")
        elif not any(anchor in passage for passage in file.passages):
            problem = _where(anchor, file)
            yield Finding(qid, problem, f"{raw!r} is not inside one passage of readable text")


def _grams(text: str, n: int = COPY_WORDS) -> set[tuple[str, ...]]:
    words = _WORD.findall(normalize(text))
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def check_labels(
    questions: Sequence[Question], documents: Sequence[Document], *, also: bool = False
) -> list[Finding]:
    """Every problem with these questions' labels against `documents`, in question order.

    `also=True` checks the judged equivalents too; the strict labels are always checked.
    """
    files = {(doc.source, doc.path): _file(doc) for doc in documents}
    corpus = list(files.values())
    grams: set[tuple[str, ...]] = set()
    for doc in documents:
        grams |= _grams(doc.text)
    findings: list[Finding] = []
    for q in questions:
        for label in q.labels if also else q.labels[:1]:
            findings.extend(_check_label(q.id, label, files, corpus))
        copied = sorted(" ".join(g) for g in _grams(q.question) & grams)
        if copied:
            findings.append(Finding(q.id, "copied", f"the question copies {copied[0]!r}"))
    return findings


def corpus_documents(readmes_dir: Path | None, notes: Path = BUNDLED_NOTES_DIR) -> list[Document]:
    """The documents a default index is built from: the bundled notes and the synced READMEs."""
    return list(discover([notes], readmes_dir, load_curated()).documents)


def main(argv: Sequence[str] | None = None) -> int:
    """Print every finding of every split; 1 when the test split has any."""
    parser = argparse.ArgumentParser(
        prog="python -m ragnotes_eval.label_check", description=__doc__
    )
    parser.add_argument("--readmes", type=Path, default=Path("data/readmes"))
    args = parser.parse_args(argv)
    documents = corpus_documents(args.readmes)
    failed = False
    for split in SPLITS:
        findings = check_labels(load_questions(split_dir(split), strict=True), documents)
        kinds = Counter(f.problem for f in findings)
        print(f"{split}: {len(findings)} findings {dict(kinds)}")
        for finding in findings:
            print(f"  {finding}")
        failed = failed or (split == "test" and bool(findings))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
