"""Discover source documents: notes folders and synced curated READMEs.

A Document is one Markdown file as read from disk (corpus/reading.py). Files that cannot be
indexed (binary, not UTF-8, empty, too large, not Markdown) become `Skipped` records naming the
reason, so one bad file never stops the rest from being indexed. What a notes folder holds
besides notes and is meant to (an Obsidian vault's images, PDFs and canvases, hidden folders
such as `.obsidian/`), and what the user leaves out (gitignore patterns in the folder's
`.ragnotesignore` and in RAGNOTES_EXCLUDE), is passed over quietly: counted, never listed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

from ragnotes.corpus.curated import CuratedRepo
from ragnotes.corpus.reading import (
    MARKDOWN_SUFFIXES,
    MAX_FILE_BYTES,
    Skipped,
    read_markdown,
    unreadable,
)
from ragnotes.errors import ConfigError

NOTES_SOURCE = "notes"
BUNDLED_NOTES_DIR = Path(__file__).resolve().parent / "notes"
IGNORE_FILE = ".ragnotesignore"
# What a vault holds besides notes: attachments and Obsidian's canvases, left out quietly.
ATTACHMENT_SUFFIXES = frozenset({
    ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".avif", ".ico", ".tif", ".tiff",
    ".heic", ".pdf", ".canvas", ".excalidraw", ".base", ".mp3", ".wav", ".m4a", ".ogg", ".flac",
    ".mp4", ".webm", ".mov", ".mkv", ".zip",
})  # fmt: skip


@dataclass(frozen=True)
class Document:
    """One Markdown file to index."""

    source: str  # "notes", or the curated repo as "owner/name"
    path: str  # POSIX path inside the notes folder or the repo
    text: str
    file: Path  # where it was read from
    sha256: str
    commit: str | None = None  # curated READMEs: the pinned commit
    license: str | None = None


@dataclass(frozen=True)
class Discovery:
    documents: tuple[Document, ...]
    skipped: tuple[Skipped, ...]
    missing_repos: tuple[str, ...]  # curated repos listed but not synced
    passed_over: int = 0  # attachments and ignored files of the notes folders, not listed


@dataclass(frozen=True)
class Sources:
    """Where the documents of one build come from."""

    notes_roots: tuple[Path, ...]
    readmes_dir: Path | None  # None: leave the curated READMEs out
    repos: tuple[CuratedRepo, ...]
    max_file_bytes: int = MAX_FILE_BYTES  # larger files are skipped, never read
    exclude: tuple[str, ...] = ()  # gitignore patterns for every notes folder (RAGNOTES_EXCLUDE)

    def discover(self) -> Discovery:
        """Every document to index; a notes folder that is not there is a ConfigError."""
        for root in self.notes_roots:
            if not root.is_dir():
                raise ConfigError(
                    f"the notes folder {root} does not exist or is not a folder; mount it, correct "
                    "--notes or RAGNOTES_NOTES_DIR if it came from there, or, if `ragnotes notes "
                    f"list` shows it, take it out with `ragnotes notes remove {root}`"
                )
        return discover(
            self.notes_roots, self.readmes_dir, self.repos, self.max_file_bytes, self.exclude
        )

    def files(self) -> list[tuple[str, str, Path]]:
        """(source, path, file) of every Markdown file `discover` would consider, unread."""
        return source_files(self.notes_roots, self.readmes_dir, self.repos, self.exclude)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def ignore_spec(root: Path, exclude: Sequence[str]) -> pathspec.GitIgnoreSpec:
    """The gitignore patterns of RAGNOTES_EXCLUDE and then of the folder's .ragnotesignore."""
    lines = list(exclude)
    with contextlib.suppress(OSError, UnicodeDecodeError):  # none there: nothing more left out
        lines += (root / IGNORE_FILE).read_text(encoding="utf-8").splitlines()
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _walk(root: Path, ignore: pathspec.GitIgnoreSpec) -> Iterator[Path | Skipped | None]:
    """Every visible entry under `root` (links not followed) that `ignore` does not leave out,
    None for each one it does, and folders that cannot be listed."""
    unlistable: list[Skipped] = []

    def report(exc: OSError) -> None:
        folder = Path(exc.filename) if exc.filename else root
        unlistable.append(Skipped(folder, f"folder not readable ({exc.strerror or exc})"))

    for folder, dirs, files in os.walk(root, onerror=report):
        here = Path(folder).relative_to(root).as_posix()
        prefix = "" if here == "." else here + "/"
        dirs[:] = [
            d for d in dirs if not d.startswith(".") and not ignore.match_file(f"{prefix}{d}/")
        ]
        ignored = [f for f in files if ignore.match_file(prefix + f)]
        yield from (None for _ in ignored)
        files = [f for f in files if f not in ignored]
        # Links to folders are listed with the folders; they are reported, never followed.
        links = [d for d in dirs if os.path.islink(os.path.join(folder, d))]
        for name in [*links, *files]:
            if not name.startswith("."):
                yield Path(folder, name)
    yield from unlistable


def _note_entry(file: Path, real_root: Path) -> Path | Skipped | None:
    """A regular file inside the notes folder, a reason it cannot be one, or None to pass over."""
    try:
        if file.is_symlink() and not file.resolve(strict=True).is_relative_to(real_root):
            return None  # a link out of the notes folder would let indexing read arbitrary files
        if file.is_dir():
            return Skipped(file, "link to a folder, not followed; add that folder with --notes")
    except FileNotFoundError:
        return Skipped(file, "broken symlink (what it points to does not exist)")
    except OSError as exc:
        return unreadable(file, exc)
    except RuntimeError:  # Python 3.11 reports a symlink loop this way from resolve()
        return unreadable(file, OSError(errno.ELOOP, "symlink loop"))
    return file if file.is_file() or not file.exists() else None


def _note_files(root: Path, exclude: Sequence[str] = ()) -> Iterator[Path | Skipped | None]:
    """Visible files under `root` in path order, then what could not be looked at, and why;
    None for each file passed over (ignored, or an attachment)."""
    real_root = root.resolve()
    files: list[Path] = []
    problems: list[Skipped] = []
    passed_over = 0
    for found in _walk(root, ignore_spec(root, exclude)):
        if found is None or (
            isinstance(found, Path) and found.suffix.lower() in ATTACHMENT_SUFFIXES
        ):
            passed_over += 1
            continue
        entry = found if isinstance(found, Skipped) else _note_entry(found, real_root)
        if isinstance(entry, Skipped):
            problems.append(entry)
        elif entry is not None:
            files.append(entry)
    yield from sorted(files)
    yield from sorted(problems, key=lambda skipped: skipped.file)
    yield from (None for _ in range(passed_over))


def discover_notes(
    roots: Sequence[Path], max_bytes: int = MAX_FILE_BYTES, exclude: Sequence[str] = ()
) -> tuple[list[Document], list[Skipped], int]:
    """Every Markdown file under the notes folders (the first folder wins a path clash), what
    was skipped, and how many files were passed over."""
    docs: dict[str, Document] = {}
    skipped: list[Skipped] = []
    passed_over = 0
    for root in roots:
        for file in _note_files(root, exclude):
            if file is None:
                passed_over += 1
                continue
            if isinstance(file, Skipped):
                skipped.append(file)
                continue
            if file.suffix.lower() not in MARKDOWN_SUFFIXES:
                skipped.append(
                    Skipped(file, f"not a Markdown file ({file.suffix or 'no extension'})")
                )
                continue
            rel = file.relative_to(root).as_posix()
            if rel in docs:
                skipped.append(Skipped(file, f"same path as {docs[rel].file}, which is indexed"))
                continue
            text = read_markdown(file, max_bytes)
            if isinstance(text, Skipped):
                skipped.append(text)
                continue
            docs[rel] = Document(NOTES_SOURCE, rel, text, file, _sha256(text))
    return list(docs.values()), skipped, passed_over


def discover_readmes(
    readmes_dir: Path, repos: Sequence[CuratedRepo], max_bytes: int = MAX_FILE_BYTES
) -> tuple[list[Document], list[Skipped], list[str]]:
    """The synced files of each curated repo; repos never synced are reported as missing."""
    docs: list[Document] = []
    skipped: list[Skipped] = []
    missing: list[str] = []
    for repo in repos:
        folder = readmes_dir / repo.folder
        if not folder.is_dir():
            missing.append(repo.name)
            continue
        for path in repo.files:
            file = folder / path
            if not file.is_file():
                skipped.append(Skipped(file, "listed in the manifest but not synced"))
                continue
            text = read_markdown(file, max_bytes)
            if isinstance(text, Skipped):
                skipped.append(text)
                continue
            docs.append(
                Document(repo.name, path, text, file, _sha256(text), repo.commit, repo.license)
            )
    return docs, skipped, missing


def discover(
    notes_roots: Sequence[Path],
    readmes_dir: Path | None,
    repos: Sequence[CuratedRepo],
    max_bytes: int = MAX_FILE_BYTES,
    exclude: Sequence[str] = (),
) -> Discovery:
    """All documents to index: notes first, then curated READMEs."""
    docs, skipped, passed_over = discover_notes(notes_roots, max_bytes, exclude)
    missing: list[str] = []
    if readmes_dir is not None:
        more, more_skipped, missing = discover_readmes(readmes_dir, repos, max_bytes)
        docs += more
        skipped += more_skipped
    return Discovery(tuple(docs), tuple(skipped), tuple(missing), passed_over)


def source_files(
    notes_roots: Sequence[Path],
    readmes_dir: Path | None,
    repos: Sequence[CuratedRepo],
    exclude: Sequence[str] = (),
) -> list[tuple[str, str, Path]]:
    """(source, path, file) of every Markdown file discovery would consider, without reading it."""
    found: dict[tuple[str, str], Path] = {}
    for root in notes_roots:
        if root.is_dir():
            for file in _note_files(root, exclude):
                if isinstance(file, Path) and file.suffix.lower() in MARKDOWN_SUFFIXES:
                    found.setdefault((NOTES_SOURCE, file.relative_to(root).as_posix()), file)
    for repo in repos if readmes_dir is not None else ():
        for path in repo.files:
            file = readmes_dir / repo.folder / path  # type: ignore[operator]
            if file.is_file():
                found[(repo.name, path)] = file
    return [(source, path, file) for (source, path), file in found.items()]


def fingerprint(documents: Iterable[Document]) -> str:
    """A hash of every document's identity and content, independent of discovery order."""
    digest = hashlib.sha256()
    for key in sorted(f"{d.source}\0{d.path}\0{d.sha256}" for d in documents):
        digest.update(key.encode("utf-8") + b"\n")
    return digest.hexdigest()
