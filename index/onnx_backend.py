"""The int8 ONNX backend: the sentence-transformers model exported once, quantized, run by ONNX Runtime.

The export is made offline from the installed model folder (no hub access) and cached under the
data directory, keyed by a hash of the model's weights and config, so a changed model is
re-exported rather than silently reused. Only the transformer runs in ONNX; tokenizing (the
model's own tokenizer.json), mean pooling and normalizing happen here, as the model's
sentence-transformers modules would do them (index/model_folder.py says which models fit).
The graph takes the inputs the model's forward takes: BERT-style models also `token_type_ids`,
MPNet-style ones only `input_ids` and `attention_mask`.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ragnotes.errors import ConfigError
from ragnotes.index.int8_forms import PROBE, Form, choose, write_signed
from ragnotes.index.late_interaction import content_vectors
from ragnotes.index.model_folder import TORCH_HINT, ModelFolder, read_model_folder

log = logging.getLogger(__name__)

INPUTS = ("input_ids", "attention_mask", "token_type_ids")  # the most a graph takes, in order
EXPORT_VERSION = "4"  # bump when the export, quantization or encoding recipe changes


def model_digest(model: ModelFolder) -> str:
    """A short hash of what defines the exported graph: config, tokenizer and weights."""
    digest = hashlib.sha256(EXPORT_VERSION.encode())
    for name in ("config.json", "tokenizer.json", "model.safetensors", "pytorch_model.bin"):
        path = model.transformer / name
        if path.is_file():
            digest.update(path.name.encode())
            with path.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:16]


def _export_fp32(folder: Path, target: Path) -> None:
    try:
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"the one-time ONNX export of {folder.name} needs {exc.name}, which this install "
            "leaves out; install it (pip install torch==2.13.0 sentence-transformers) or use "
            "an image whose model was exported when it was built"
        ) from exc

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    model = AutoModel.from_pretrained(str(folder)).eval()
    names = [n for n in INPUTS if n in inspect.signature(model.forward).parameters]

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            out = self.inner(**dict(zip(names, inputs, strict=True)))
            return out.last_hidden_state  # type: ignore[no-any-return]

    ones = torch.ones((2, 8), dtype=torch.long)
    sample = {"input_ids": ones, "attention_mask": ones, "token_type_ids": torch.zeros_like(ones)}
    axes = {name: {0: "batch", 1: "tokens"} for name in (*names, "hidden")}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the exporter's deprecation notices are not ours to fix
        torch.onnx.export(
            Encoder(),
            tuple(sample[name] for name in names),
            str(target),
            input_names=names,
            output_names=["hidden"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


@contextlib.contextmanager
def _root_logging_kept() -> Iterator[None]:
    """The exporter and quantizer configure and use the root logger; undo that afterwards."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def export_int8(model: ModelFolder, cache_dir: Path) -> Path:
    """The cached int8 ONNX file for `model`, exporting it first if needed."""
    target = cache_dir / f"{model.root.name}-{model_digest(model)}-int8.onnx"
    if target.is_file():
        return target
    from onnxruntime.quantization import QuantType, quantize_dynamic

    log.info("exporting %s to int8 ONNX (once; cached in %s)", model.root.name, cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".export-") as tmp, _root_logging_kept():
        fp32, int8 = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        try:
            _export_fp32(model.transformer, fp32)
        except ConfigError:
            raise
        except Exception as exc:  # the exporter fails in many ways on architectures it lacks
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise ConfigError(
                f"cannot export {model.root.name} to ONNX ({type(exc).__name__}: {reason}); "
                + TORCH_HINT
            ) from exc
        # Per-channel weights on the matrix products only: the embedding table stays fp32,
        # which keeps vectors close to the fp32 model's. Unsigned weights: with signed ones,
        # CPUs without VNNI multiply on an instruction (vpmaddubsw) whose 16-bit sums
        # saturate, so their vectors differed from a VNNI CPU's; unsigned-by-unsigned products
        # are summed exactly on every kernel, so the vectors are the same on every x86 CPU
        # (eval/CPU.md has the measurements, and a test checks it under QEMU).
        quantize_dynamic(
            fp32,
            int8,
            weight_type=QuantType.QUInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )
        os.replace(int8, target)  # atomic: a concurrent export writes the same bytes
    return target


def _session(model: Path) -> Any:
    """A single-threaded ONNX Runtime session; `run` may be called from many threads at once."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])


class OnnxEncoder:
    """Tokenize, run the int8 transformer on one text at a time, mean-pool and normalize.

    Dynamic int8 quantization scales activations over the whole input, padding included, so a
    text batched with others would get a vector that depends on its batch-mates. One text per
    run makes a text's vector a function of the text alone, which the vector cache and
    incremental builds rely on. Runs are single-threaded; documents go through one run per core
    at once (about 1.6x the throughput of one run using all cores).
    """

    def __init__(
        self, folder: Path, cache_dir: Path, threads: int | None = None, form: Form = "auto"
    ) -> None:
        from tokenizers import Tokenizer

        model = read_model_folder(folder)
        self.max_tokens = model.max_tokens
        self._counter = Tokenizer.from_file(str(model.tokenizer_file))
        self._counter.no_truncation()
        self._counter.no_padding()
        self._tokenizer = Tokenizer.from_file(str(model.tokenizer_file))
        self._tokenizer.enable_truncation(self.max_tokens)
        self._tokenizer.no_padding()
        # One single-threaded session, run from several threads at once: a short query is faster
        # on one thread (2.2 ms) than split over two (2.6 ms), and documents keep every core busy
        # by running side by side. Of the export's two forms, the one this CPU runs fastest
        # among those that give the same output (index/int8_forms.py).
        unsigned = export_int8(model, cache_dir)
        write_signed(unsigned)
        probe = self._tokenizer.encode(PROBE).ids
        self._session, chosen = choose(
            unsigned,
            _session,
            lambda s: _hidden(s, [i.name for i in s.get_inputs()], probe),
            form,
        )
        self._inputs = [i.name for i in self._session.get_inputs()]
        self.form = f"int8 {chosen}"
        self._special = frozenset(
            t.content for t in self._tokenizer.get_added_tokens_decoder().values() if t.special
        )
        workers = threads or os.cpu_count() or 1
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="ragnotes-embed")
        self.dim = int(self.encode_query("probe").shape[1])
        self.late_interaction_dim = self.dim  # mean pooling keeps the token vectors' width
        self.tag = f"onnx-int8.{EXPORT_VERSION}"

    def count_tokens(self, text: str) -> int:
        """Word pieces in `text`, without special tokens."""
        return len(self._counter.encode(text, add_special_tokens=False).ids)

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """Unit-length float32 vectors of documents (`batch_size` is for the torch backend)."""
        ids = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, hidden in enumerate(
            self._pool.map(partial(_hidden, self._session, self._inputs), ids)
        ):
            out[i] = _mean(hidden)
        return out

    def encode_with_late_interaction(
        self, texts: Sequence[str], batch_size: int
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """`encode`, plus each text's late-interaction vectors from the same run."""
        encodings = self._tokenizer.encode_batch(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        rows: list[np.ndarray] = []
        hiddens = self._pool.map(
            partial(_hidden, self._session, self._inputs), [e.ids for e in encodings]
        )
        for i, (encoding, hidden) in enumerate(zip(encodings, hiddens, strict=True)):
            out[i] = _mean(hidden)
            rows.append(content_vectors(hidden, encoding.tokens, self._special))
        return out, rows

    def encode_query(self, text: str) -> np.ndarray:
        """The unit-length vector of one query, shaped (1, dim)."""
        hidden = _hidden(self._session, self._inputs, self._tokenizer.encode(text).ids)
        return _mean(hidden)[None, :]

    def encode_query_with_late_interaction(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """`encode_query`, plus the query's late-interaction vectors from the same run."""
        encoding = self._tokenizer.encode(text)
        hidden = _hidden(self._session, self._inputs, encoding.ids)
        return _mean(hidden)[None, :], content_vectors(hidden, encoding.tokens, self._special)


def _hidden(session: Any, inputs: Sequence[str], ids: Sequence[int]) -> np.ndarray:
    """The transformer's output for one text: a row per token."""
    input_ids = np.asarray([ids], dtype=np.int64)
    values = (input_ids, np.ones_like(input_ids), np.zeros_like(input_ids))
    feeds = {name: value for name, value in zip(INPUTS, values, strict=True) if name in inputs}
    hidden: np.ndarray = session.run(None, feeds)[0][0]
    return hidden


def _mean(hidden: np.ndarray) -> np.ndarray:
    """Mean of the late-interaction vectors, normalized."""
    mean = hidden.mean(axis=0)
    mean /= max(float(np.linalg.norm(mean)), 1e-12)
    return np.asarray(mean, dtype=np.float32)
