"""Passages made ready before anyone asks: what a passage needs from its chunk's text alone.

Building a passage the first time its chunk is returned costs more than the search around it:
its sentences are parsed and its words stemmed (`highlight.best_sentence`, `evidence.coverage`),
then cached for every later question. A server that has just loaded a build does this for its
chunks in the background, so its first questions are answered as fast as later ones
(eval/BENCHMARKS.md). Only as many chunks as the caches keep are prepared; past that, the ones a
question returns are parsed as it asks.

Their citations too (`prepare_build`): a citation's first sight hashes its file, to say whether
it changed since the build (`stale`), and makes the parts no request changes (the link, the
license); a question whose passages all came from unseen files paid about 0.3 ms for that.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from ragnotes.answers import evidence, highlight
from ragnotes.answers.passages import citation
from ragnotes.index.chunking import Chunk
from ragnotes.index.freshness import FileHashes
from ragnotes.index.searcher import Searcher


def prepare_passages(chunks: Sequence[Chunk], stop: threading.Event | None = None) -> int:
    """Parse and stem up to `highlight.PREPARED` chunks, in row order; how many were done.
    `stop` set ends the work early (a newer build was loaded, or the server is stopping)."""
    done = 0
    for chunk in chunks[: highlight.PREPARED]:
        if stop is not None and stop.is_set():
            break
        highlight.prepare(chunk.text, chunk.part)
        evidence.prepare(chunk.text)
        done += 1
    return done


def prepare_build(
    searcher: Searcher, hashes: FileHashes, stop: threading.Event | None = None
) -> int:
    """`prepare_passages` for a loaded build's chunks, then their citations, each file hashed
    once into `hashes` (the ones requests ask); how many chunks were done."""
    if searcher.late_interaction is not None:
        searcher.late_interaction.touch(stop)
    chunks = searcher.chunks[: prepare_passages(searcher.chunks, stop)]
    for chunk in chunks:
        if stop is not None and stop.is_set():
            break
        citation(chunk, searcher, hashes)
    return len(chunks)
