"""Late interaction: re-rank the hybrid top by how well each query word finds its match.

The model's token vectors (the transformer's output before mean pooling) are kept for the
content words of every chunk: special tokens, English stop words and punctuation are dropped,
and a word piece that comes back later in the chunk keeps only its first vector. These are the
chunk's late-interaction vectors, and all of them a build's late-interaction index, the third
beside the dense and the BM25 ones. One name in code and docs: late interaction. The setting a
user turns it off with is RAGNOTES_RERANK (and `ragnotes eval --no-rerank`), named for what it
does to them; on disk its files keep the names they had before (`CODES_FILE` is tokens.npy).
A chunk's late-interaction score for a query is the mean, over the query's content tokens, of
the best cosine to any of the chunk's rows (MaxSim). Mean pooling blurs a chunk into one point,
so a question whose words each have a close match somewhere in a passage can sit below passages
that are merely on topic; MaxSim sees the matches one word at a time.

It re-ranks only the first `LateInteractionParams.depth` fused candidates, so its cost does not
grow with the corpus. Both scores are min-max normalized over those candidates and mixed with
`LateInteractionParams.weight`: dense, BM25 and late interaction then count a third each
(eval/EXPERIMENTS.md section 10 has the figures; section 16 why the depth is not smaller).

Storage: each row is int8 with one float32 scale (its largest absolute value / 127), 384 + 4
bytes a token; on our eval set the ranking is the same as with float32 rows. The rows of all
chunks sit in one array, memory-mapped, with `offsets[i]:offsets[i + 1]` for chunk i.

Scoring (`LateInteractionIndex.scores`) multiplies those int8 codes with the query's rows as
13-bit integer codes, in ONNX Runtime (index/late_products.py): the same integers on every CPU,
so the same scores to the bit, in 0.6-0.7 of the time the float32 product took
(eval/EXPERIMENTS.md section 15). A query code is within 1/8,064 of its row's largest value, and
over the eval's questions no score moved by more than 2e-5 and no ranking changed.
"""

from __future__ import annotations

import itertools
import mmap
import re
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from ragnotes.index.late_products import open_session, products

# Bump when the kept tokens or the storage change: builds and cached vectors must be remade.
LATE_INTERACTION_VERSION = 2
# File names from before the idea had one name; builds on disk keep them so they still load.
CODES_FILE = "tokens.npy"
SCALES_FILE = "token_scales.npy"
OFFSETS_FILE = "token_offsets.npy"


@dataclass(frozen=True)
class LateInteractionParams:
    """How hybrid search re-ranks its fused candidates by late interaction."""

    depth: int = 20  # fused candidates re-ranked; 0: none
    weight: float = 1 / 3  # the late-interaction share of the re-ranking score


DEFAULT_LATE_INTERACTION = LateInteractionParams()
NO_LATE_INTERACTION = LateInteractionParams(depth=0)

_STOP_WORDS = frozenset(bm25s.stopwords.STOPWORDS_EN)
BERT_SPECIAL = frozenset({"[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]"})
_WORD = re.compile(r"[^\W_]")  # a letter or a digit
# How byte-level BPE (RoBERTa: "Ġword") and SentencePiece ("▁word") mark a word's first piece;
# WordPiece (BERT, MPNet) marks the other pieces instead ("##s"), which stay as they are.
_WORD_START = "\u0120\u2581"


def content_positions(tokens: Sequence[str], special: Collection[str] = BERT_SPECIAL) -> list[int]:
    """Where the word pieces worth matching first appear: not one of the model's `special`
    tokens, not a stop word, not punctuation. A piece seen before adds a near copy of a row
    MaxSim already has."""
    first: dict[str, int] = {}
    for i, token in enumerate(tokens):
        bare = token.lstrip(_WORD_START)
        if token not in special and bare not in _STOP_WORDS and _WORD.search(bare):
            first.setdefault(token, i)
    return list(first.values())


def content_vectors(
    hidden: np.ndarray, tokens: Sequence[str], special: Collection[str] = BERT_SPECIAL
) -> np.ndarray:
    """The unit-length float32 rows of `hidden` at the content positions of `tokens`."""
    rows = np.asarray(hidden[content_positions(tokens, special)], dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    unit: np.ndarray = rows / np.maximum(norms, 1e-12)
    return unit


def quantize(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 codes and one float32 scale per row, with `codes * scale` close to `rows`."""
    rows = np.asarray(rows, dtype=np.float32)
    scales = np.abs(rows).max(axis=1) / 127.0 if len(rows) else np.zeros(0, np.float32)
    scales = np.where(scales > 0, scales, 1.0).astype(np.float32)
    codes = np.clip(np.rint(rows / scales[:, None]), -127, 127).astype(np.int8)
    return codes, scales


def dequantize(codes: np.ndarray, scales: np.ndarray) -> np.ndarray:
    return np.asarray(codes, dtype=np.float32) * np.asarray(scales, dtype=np.float32)[:, None]


def maxsim(query: np.ndarray, doc: np.ndarray) -> float:
    """Mean over query rows of the best dot product with any doc row; 0 when either is empty."""
    if len(query) == 0 or len(doc) == 0:
        return 0.0
    return float((query @ doc.T).max(axis=1).mean())


def _min_max(values: np.ndarray) -> np.ndarray:
    low, span = float(values.min()), float(values.max() - values.min())
    return (values - low) / span if span > 0 else np.ones_like(values)


def mix_late_interaction(
    fused: Sequence[tuple[int, float]],
    scores: Sequence[float],
    weight: float = DEFAULT_LATE_INTERACTION.weight,
) -> list[tuple[int, float]]:
    """Re-order the first `len(scores)` of `fused` by `(1 - weight) * fused + weight * scores`.

    Both are min-max normalized over those candidates (best 1, worst 0). The rest keep their
    order below, scored `(1 - weight) * fused` on the same scale, which is at most 0, so scores
    still fall down the list. Ties keep the fused order.
    """
    n = len(scores)
    if n == 0:
        return list(fused)
    head = np.array([s for _, s in fused[:n]], dtype=np.float64)
    low, span = float(head.min()), float(head.max() - head.min())
    scale = span if span > 0 else 1.0
    mixed = (1 - weight) * _min_max(head) + weight * _min_max(np.asarray(scores, np.float64))
    values = mixed.tolist()
    top = [(fused[i][0], values[i]) for i in sorted(range(n), key=lambda i: (-values[i], i))]
    # The rest, a hundred or more, scored in one pass of numpy rather than one at a time.
    below = np.array([s for _, s in fused[n:]], dtype=np.float64)
    rest = ((1 - weight) * np.minimum((below - low) / scale, 0.0)).tolist()
    return top + [(c, r) for (c, _), r in zip(fused[n:], rest, strict=True)]


class LateInteractionIndex:
    """Every chunk's late-interaction vectors, int8 with per-row scales, memory-mapped from a
    build."""

    def __init__(self, codes: np.ndarray, scales: np.ndarray, offsets: np.ndarray) -> None:
        # Plain arrays over the same memory: numpy.memmap's indexing adds Python work per call.
        self._codes = np.asarray(codes)
        self._scales = np.asarray(scales)
        self._offsets = offsets
        self._bounds: list[int] = offsets.tolist()

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def touch(self, stop: threading.Event | None = None) -> None:
        """Map every page of the memory-mapped rows into this process now: the first question
        to read a page would otherwise take its fault, about 0.1 ms a question while most
        pages are new (eval/BENCHMARKS.md)."""
        pages = self._codes.reshape(-1).view(np.uint8)
        step = 1 << 20  # a MB at a time, so that `stop` is heard
        for start in range(0, len(pages), step):
            if stop is not None and stop.is_set():
                return
            int(pages[start : start + step : mmap.PAGESIZE].sum())

    @property
    def vector_count(self) -> int:
        """How many late-interaction vectors all chunks keep together."""
        return int(self._offsets[-1])

    def chunk(self, i: int) -> np.ndarray:
        """Chunk i's rows as float32."""
        start, end = int(self._offsets[i]), int(self._offsets[i + 1])
        return dequantize(self._codes[start:end], self._scales[start:end])

    def scores(self, query: np.ndarray, chunk_ids: Sequence[int]) -> list[float]:
        """The MaxSim of `query` rows against each chunk in `chunk_ids` (`maxsim`, batched)."""
        bounds = self._bounds
        spans = [(bounds[c], bounds[c + 1]) for c in chunk_ids]
        kept = [(a, b) for a, b in spans if b > a]
        if len(query) == 0 or not kept:
            return [0.0] * len(spans)
        found, query_scales = products([self._codes[a:b] for a, b in kept], query)
        # (code . query) * scale is (code * scale) . query: scale the products, not the rows;
        # the query's scales are positive, so they can wait until each chunk's best is known.
        row_scales = np.concatenate([self._scales[a:b] for a, b in kept])
        scaled = np.multiply(found, row_scales[:, None], dtype=np.float32)  # each int rounded once
        starts = list(itertools.accumulate((b - a for a, b in kept[:-1]), initial=0))
        best = np.maximum.reduceat(scaled, starts, axis=0)
        best *= query_scales
        mean = np.ascontiguousarray(best.T).mean(axis=0)  # over the query's rows, in their order
        each = iter(mean.tolist())
        return [next(each) if b > a else 0.0 for a, b in spans]

    @classmethod
    def pack(
        cls, per_chunk: Sequence[tuple[np.ndarray, np.ndarray]], dim: int
    ) -> LateInteractionIndex:
        """One store from the (codes, scales) of every chunk, in chunk order.

        Rows are as wide as the model's token vectors, which is `dim` unless a layer after
        pooling (a Dense module) changes the sentence vector's width.
        """
        width = per_chunk[0][0].shape[1] if per_chunk else dim
        offsets = np.zeros(len(per_chunk) + 1, dtype=np.int64)
        np.cumsum([len(codes) for codes, _ in per_chunk], out=offsets[1:])
        codes = np.zeros((int(offsets[-1]), width), dtype=np.int8)
        scales = np.zeros(int(offsets[-1]), dtype=np.float32)
        for i, (c, s) in enumerate(per_chunk):
            codes[offsets[i] : offsets[i + 1]] = c
            scales[offsets[i] : offsets[i + 1]] = s
        return cls(codes, scales, offsets)

    def save(self, folder: Path) -> list[Path]:
        """Write the three arrays into a build folder; the files written."""
        np.save(folder / CODES_FILE, self._codes)
        np.save(folder / SCALES_FILE, self._scales)
        np.save(folder / OFFSETS_FILE, self._offsets)
        return [folder / name for name in (CODES_FILE, SCALES_FILE, OFFSETS_FILE)]

    @classmethod
    def load(cls, folder: Path, chunks: int) -> LateInteractionIndex:
        """Open a build's late-interaction vectors; a mismatch with the chunk count is a
        ValueError."""
        codes = np.load(folder / CODES_FILE, mmap_mode="r")
        scales = np.load(folder / SCALES_FILE, mmap_mode="r")
        offsets = np.load(folder / OFFSETS_FILE)
        if len(offsets) != chunks + 1 or not int(offsets[-1]) == len(codes) == len(scales):
            raise ValueError(
                f"late-interaction vectors for {len(offsets) - 1} chunks ({len(codes)} rows), "
                f"expected {chunks} chunks"
            )
        open_session()
        return cls(codes, scales, offsets)


def apply_late_interaction(
    fused: list[tuple[int, float]],
    query_rows: np.ndarray,
    index: LateInteractionIndex,
    params: LateInteractionParams = DEFAULT_LATE_INTERACTION,
) -> list[tuple[int, float]]:
    """`fused` with its first `params.depth` re-ranked by their MaxSim against `query_rows`."""
    if params.depth <= 0:
        return fused
    head = [c for c, _ in fused[: params.depth]]
    return mix_late_interaction(fused, index.scores(query_rows, head), params.weight)
