"""What the onnx backend needs to know about a sentence-transformers model folder.

A sentence-transformers folder lists its modules in `modules.json`: a Transformer (its config,
tokenizer and weights, at the folder's root or in a subfolder such as `0_Transformer/`), then
Pooling, then optionally Normalize. The onnx backend runs the transformer and mean-pools and
normalizes itself, so it supports exactly that shape; anything else (CLS or max pooling, a Dense
layer on top) is refused with a message that names it and points at the torch backend. A plain
Hugging Face folder without `modules.json` is read as sentence-transformers reads it: the
transformer at the root, mean pooling.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragnotes.errors import ConfigError

_TRANSFORMER = "Transformer"
_POOLING = "Pooling"
_NORMALIZE = "Normalize"
TORCH_HINT = "set RAGNOTES_BACKEND=torch to run it in PyTorch instead"


@dataclass(frozen=True)
class ModelFolder:
    """Where the transformer of a model folder lives, and its window in tokens."""

    root: Path
    transformer: Path  # holds config.json, tokenizer.json and the weights
    max_tokens: int

    @property
    def tokenizer_file(self) -> Path:
        return self.transformer / "tokenizer.json"


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot read {path} ({exc}); is it a sentence-transformers model?"
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} is not a JSON object; is it a sentence-transformers model?")
    return data


def _modules(root: Path) -> list[tuple[str, Path]]:
    """(kind, folder) of each module, kind being the class name (`Transformer`, `Pooling`...)."""
    listing = root / "modules.json"
    if not listing.is_file():
        return [(_TRANSFORMER, root), (_POOLING, root / "1_Pooling")]
    try:
        entries = json.loads(listing.read_text(encoding="utf-8"))
        return [(str(e["type"]).rsplit(".", 1)[-1], root / str(e["path"])) for e in entries]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ConfigError(
            f"cannot read {listing} ({exc}); is it a sentence-transformers model?"
        ) from exc


def _pooling_modes(config: dict[str, Any]) -> list[str]:
    """The pooling modes a Pooling config turns on: `pooling_mode` ("mean", or a list) in
    sentence-transformers 6, a `pooling_mode_<mode>_tokens: true` flag per mode before."""
    mode = config.get("pooling_mode")
    if isinstance(mode, str):
        return [mode]
    if isinstance(mode, list):
        return [str(m) for m in mode]
    flags = [k for k, on in config.items() if k.startswith("pooling_mode_") and on is True]
    return [k.removeprefix("pooling_mode_").removesuffix("_tokens") for k in flags]


def _check_pooling(folder: Path, name: str) -> None:
    """Refuse a model whose sentence vector is not the mean of its token vectors."""
    config = folder / "config.json"
    modes = _pooling_modes(_json(config)) if config.is_file() else ["mean"]
    if modes != ["mean"]:
        raise ConfigError(
            f"the onnx backend supports mean-pooling models only, and {name} pools by "
            f"{' + '.join(modes) or 'nothing'}; " + TORCH_HINT
        )


def _window(transformer: Path) -> int:
    """The model's window: sentence-transformers' max_seq_length, else the tokenizer's limit."""
    for file, key in (
        ("sentence_bert_config.json", "max_seq_length"),
        ("tokenizer_config.json", "model_max_length"),
    ):
        path = transformer / file
        value = _json(path).get(key) if path.is_file() else None
        if (
            isinstance(value, int | float) and 0 < value < 100_000
        ):  # the "no limit" sentinel is 1e30
            return int(value)
    raise ConfigError(
        f"{transformer} says nothing about its window (max_seq_length in "
        "sentence_bert_config.json); add it there, or " + TORCH_HINT
    )


def read_model_folder(root: Path) -> ModelFolder:
    """The transformer folder and window of the model in `root`; unsupported shapes refused."""
    name = root.name
    modules = _modules(root)
    kinds = [kind for kind, _ in modules]
    if not kinds or kinds[0] != _TRANSFORMER:
        raise ConfigError(f"{name} does not start with a Transformer module; " + TORCH_HINT)
    for kind, folder in modules[1:]:
        if kind == _POOLING:
            _check_pooling(folder, name)
        elif kind != _NORMALIZE:
            raise ConfigError(
                f"the onnx backend runs a transformer with mean pooling, and {name} also has a "
                f"{kind} module; " + TORCH_HINT
            )
    transformer = modules[0][1]
    if not (transformer / "tokenizer.json").is_file():
        raise ConfigError(
            f"the onnx backend needs the fast tokenizer file {transformer / 'tokenizer.json'}, "
            "which this model lacks; " + TORCH_HINT
        )
    return ModelFolder(root, transformer, _window(transformer))
