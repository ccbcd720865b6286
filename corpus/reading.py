"""One Markdown file read from disk as text, or a `Skipped` record saying why it cannot be.

A file is read whole, so its size is checked first and never more than the limit is read;
binary files, text that is not UTF-8 and empty files are refused; line ends become "\\n".
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
MAX_FILE_BYTES = 2_000_000  # RAGNOTES_MAX_FILE_MB; a file is read whole, so this bounds memory


@dataclass(frozen=True)
class Skipped:
    """A file that was not indexed, and why."""

    file: Path
    reason: str


def _too_large(file: Path, size: int, max_bytes: int) -> Skipped:
    return Skipped(
        file,
        f"too large ({size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:g} MB: "
        "raise RAGNOTES_MAX_FILE_MB to index it)",
    )


def unreadable(file: Path, exc: OSError) -> Skipped:
    """Why a file that could not be opened is left out, in words a user can act on."""
    if exc.errno == errno.ENOENT:
        return Skipped(file, "deleted while indexing; it is left out of this build")
    if exc.errno == errno.ELOOP:
        return Skipped(file, "symlink loop (the link leads back to itself); fix or remove it")
    return Skipped(file, f"unreadable ({exc.strerror or exc}); check its permissions")


def read_markdown(file: Path, max_bytes: int = MAX_FILE_BYTES) -> str | Skipped:
    """Read a Markdown file as text, or say why it cannot be indexed."""
    try:
        with open(file, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            # Read at most one byte past the limit: a file that grows after the size check
            # still never costs more memory than the limit.
            raw = handle.read(max_bytes + 1) if size <= max_bytes else b""
    except OSError as exc:
        return unreadable(file, exc)
    if size > max_bytes or len(raw) > max_bytes:
        return _too_large(file, max(size, len(raw)), max_bytes)
    if b"\x00" in raw:
        return Skipped(file, "binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Skipped(file, f"not UTF-8 (invalid byte at offset {exc.start}); save it as UTF-8")
    if not text.strip():
        return Skipped(file, "empty file")
    return text.replace("\r\n", "\n").replace("\r", "\n")
