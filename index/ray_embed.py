"""Embedding fanned out over a Ray cluster with Ray Data (`ragnotes index --ray`).

Only the missing texts travel: the driver looks the vector cache up, hands the rest to a Ray
Data pipeline (`map_batches` over actors that each load the model once), and takes the vectors
back as they finish, saving them to the cache and counting progress (`embed_with_cache` with
`fan_out`). Chunking, FAISS, BM25, the manifest and the publish stay on the driver.

The int8 encoder runs one text at a time (index/onnx_backend.py), so a text's vector does not
depend on which worker or batch it went through: the build is the one a local `ragnotes index`
makes, byte for byte in its vectors. Dense and late-interaction vectors come back as float32
bytes, never re-encoded on the way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ragnotes.index.embedding import Backend, Embedder, load_embedder
from ragnotes.index.int8_forms import Form
from ragnotes.index.vector_cache import FannedOut

BATCH = 64  # texts per call on a worker: large enough to hide Ray's per-batch cost


@dataclass(frozen=True)
class ModelSpec:
    """Which model a worker loads, the same way the driver did (`Settings.load_embedder`)."""

    name: str
    backend: Backend
    models_dir: Path
    int8_form: Form = "auto"  # the vectors are the same whichever runs


class _Encode:
    """A Ray Data worker: the model loaded once, then batches of texts to vectors and rows."""

    def __init__(self, spec: ModelSpec, late_interaction: bool) -> None:
        self._embedder: Embedder = load_embedder(
            spec.name, spec.backend, spec.models_dir, spec.int8_form
        )
        self._late = late_interaction

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, Any]:
        texts = [str(t) for t in batch["text"]]
        if self._late:
            vectors, rows = self._embedder.embed_with_late_interaction(texts)
        else:
            empty = np.zeros((0, self._embedder.late_interaction_dim), np.float32)
            vectors, rows = self._embedder.embed(texts), [empty] * len(texts)
        return {
            "position": batch["position"],
            "vector": np.array([v.tobytes() for v in vectors], dtype=object),
            "rows": np.array([np.asarray(r, np.float32).tobytes() for r in rows], dtype=object),
            "row_count": np.array([len(r) for r in rows], dtype=np.int64),
            "row_width": np.full(len(texts), self._embedder.late_interaction_dim, dtype=np.int64),
        }


def quiet() -> None:
    """Ray Data's progress bars and log lines off: `ragnotes index` shows its own per stage."""
    import logging

    from ray.data import DataContext

    context = DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)


class RayFanOut:
    """A `FanOut` (index/vector_cache.py) that embeds on the Ray cluster this process joined."""

    def __init__(self, spec: ModelSpec, workers: int) -> None:
        self._spec = spec
        self.workers = workers

    def __call__(self, texts: Sequence[str], late_interaction: bool) -> FannedOut:
        if not texts:
            return iter(())
        import ray.data

        quiet()

        items = [{"position": i, "text": t} for i, t in enumerate(texts)]
        blocks = min(len(texts), self.workers * 4)
        dataset = ray.data.from_items(items, override_num_blocks=blocks).map_batches(
            _Encode,
            fn_constructor_args=(self._spec, late_interaction),
            batch_size=BATCH,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=self.workers),
            num_cpus=1,
        )
        batches = dataset.iter_batches(batch_size=None, batch_format="numpy")
        return _decode(batches, late_interaction)


def _decode(batches: Iterable[dict[str, np.ndarray]], late: bool) -> FannedOut:
    """The workers' bytes back into float32 arrays, exactly as they were computed."""
    for batch in batches:
        positions = [int(p) for p in batch["position"]]
        vectors = np.stack([np.frombuffer(b, dtype=np.float32) for b in batch["vector"]])
        shapes = zip(batch["row_count"], batch["row_width"], strict=True)
        rows = [
            np.frombuffer(b, dtype=np.float32).reshape(int(n), int(w))
            for b, (n, w) in zip(batch["rows"], shapes, strict=True)
        ]
        yield positions, vectors, rows if late else None
