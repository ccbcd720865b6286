"""RAGNOTES_MODEL set to a model of one's own: BERT-, MPNet- and RoBERTa-style folders.

The models are built here, offline, with random weights: a tokenizer trained on the bundled
notes (WordPiece for BERT and MPNet, byte-level BPE for RoBERTa), a one-layer transformer of
a small width and window, saved as sentence-transformers saves a model. MPNet's forward takes
no `token_type_ids`; RoBERTa's tokens mark word starts with "Ġ". Random weights rank poorly,
so these tests check the plumbing (dimension, window, inputs, late-interaction vectors, one-line refusals),
not retrieval quality.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors, trainers
from tokenizers import models as token_models

from ragnotes.corpus.documents import BUNDLED_NOTES_DIR
from ragnotes.errors import ConfigError
from ragnotes.index.embedding import load_embedder
from ragnotes.service.cli import main

FIXTURE_NOTES = Path(__file__).resolve().parents[1] / "fixtures" / "notes"


@dataclass(frozen=True)
class Kind:
    name: str
    dim: int
    window: int
    specials: tuple[str, str, str, str, str]  # pad, unk, cls (start), sep (end), mask


KINDS = {
    "bert": Kind("bert", 32, 48, ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")),
    "mpnet": Kind("mpnet", 48, 40, ("<pad>", "<unk>", "<s>", "</s>", "<mask>")),
    "roberta": Kind("roberta", 40, 64, ("<pad>", "<unk>", "<s>", "</s>", "<mask>")),
}


def _tokenizer(kind: Kind) -> Tokenizer:
    """A tokenizer of the kind's family, trained on the bundled notes (a small local vocab)."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(BUNDLED_NOTES_DIR.glob("*.md"))]
    _, unk, cls, sep, _ = kind.specials
    if kind.name == "roberta":
        tok = Tokenizer(token_models.BPE(unk_token=unk))
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
        tok.decoder = decoders.ByteLevel()
        trainer: Any = trainers.BpeTrainer(
            vocab_size=900,
            special_tokens=list(kind.specials),
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        )
    else:
        tok = Tokenizer(token_models.WordPiece(unk_token=unk))
        tok.normalizer = normalizers.BertNormalizer(lowercase=True)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.decoder = decoders.WordPiece()
        trainer = trainers.WordPieceTrainer(vocab_size=900, special_tokens=list(kind.specials))
    tok.train_from_iterator(texts, trainer)
    ids = [(t, tok.token_to_id(t)) for t in (cls, sep)]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{cls} $A {sep}", pair=f"{cls} $A {sep} $B {sep}", special_tokens=ids
    )
    return tok


def _transformer(kind: Kind, vocab: int, ids: dict[str, int]) -> Any:
    import transformers

    shape = {
        "vocab_size": vocab,
        "hidden_size": kind.dim,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 2 * kind.dim,
        "max_position_embeddings": kind.window + 8,  # MPNet and RoBERTa offset positions by 2
    }
    if kind.name == "bert":
        return transformers.BertModel(transformers.BertConfig(**shape))
    special = {"pad_token_id": ids["pad"], "bos_token_id": ids["cls"], "eos_token_id": ids["sep"]}
    if kind.name == "mpnet":
        return transformers.MPNetModel(transformers.MPNetConfig(**shape, **special))
    return transformers.RobertaModel(transformers.RobertaConfig(**shape, **special))


def build_model(kind: Kind, folder: Path, extra: str | None = None) -> Path:
    """A random-weight sentence-transformers model folder; `extra` adds a Dense layer or CLS
    pooling, which the onnx backend does not run."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import (
        Dense,
        Normalize,
        Pooling,
        Transformer,
    )
    from transformers import PreTrainedTokenizerFast

    torch.manual_seed(0)
    tok = _tokenizer(kind)
    pad, unk, cls, sep, mask = kind.specials
    ids = {"pad": tok.token_to_id(pad), "cls": tok.token_to_id(cls), "sep": tok.token_to_id(sep)}
    hf = folder / "hf"
    _transformer(kind, tok.get_vocab_size(), ids).save_pretrained(hf)
    PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token=pad,
        unk_token=unk,
        cls_token=cls,
        sep_token=sep,
        mask_token=mask,
        bos_token=cls,
        eos_token=sep,
        model_max_length=kind.window,
    ).save_pretrained(hf)
    word = Transformer(str(hf), max_seq_length=kind.window)
    modules: list[Any] = [word, Pooling(kind.dim, pooling_mode="cls" if extra == "cls" else "mean")]
    if extra == "dense":
        modules.append(Dense(kind.dim, 16))
    modules.append(Normalize())
    SentenceTransformer(modules=modules, device="cpu").save(str(folder / "model"))
    return folder / "model"


@pytest.fixture(scope="module")
def own_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("own-models")
    return {name: build_model(kind, root / name) for name, kind in KINDS.items()}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_onnx_export_runs_each_kind_as_pytorch_does(
    own_models: dict[str, Path], name: str, tmp_path: Path
) -> None:
    kind = KINDS[name]
    onnx = load_embedder(str(own_models[name]), "onnx", tmp_path)
    torch = load_embedder(str(own_models[name]), "torch", tmp_path)
    assert (onnx.dim, onnx.max_tokens) == (torch.dim, torch.max_tokens) == (kind.dim, kind.window)
    texts = ["How is data drift detected with the population stability index?", "batch jobs"]
    vectors, rows = onnx.embed_with_late_interaction(texts)
    expected, expected_rows = torch.embed_with_late_interaction(texts)
    # int8 weights against fp32: close, not equal.
    assert np.all(np.sum(vectors * expected, axis=1) > 0.98)
    assert [r.shape for r in rows] == [r.shape for r in expected_rows]
    assert all(r.shape[1] == kind.dim and len(r) > 0 for r in rows)
    query, query_rows = onnx.embed_query_with_late_interaction(texts[0])
    assert query.shape == (1, kind.dim) and np.allclose(query, vectors[:1], atol=1e-6)
    assert len(query_rows) == len(rows[0])


def _count_with_specials(model: Path, text: str) -> int:
    return len(Tokenizer.from_file(str(model / "tokenizer.json")).encode(text).ids)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_index_and_ask_with_each_kind(
    own_models: dict[str, Path],
    name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    model, kind = own_models[name], KINDS[name]
    monkeypatch.setenv("RAGNOTES_MODEL", str(model))
    monkeypatch.setenv("RAGNOTES_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RAGNOTES_MODELS_DIR", str(tmp_path / "models"))
    argv = ["index", "--notes", str(FIXTURE_NOTES), "--no-bundled", "--no-readmes"]
    assert main(argv) == 0

    build = tmp_path / "data" / "builds" / (tmp_path / "data" / "CURRENT").read_text().strip()
    manifest = json.loads((build / "manifest.json").read_text())
    assert (manifest["dim"], manifest["max_tokens"]) == (kind.dim, kind.window)
    chunks = [json.loads(line) for line in (build / "chunks.jsonl").read_text().splitlines()]
    # The chunker took the window from the model: every chunk fits it, specials included.
    assert chunks and all(
        _count_with_specials(model, c["embed_text"]) <= kind.window for c in chunks
    )
    capsys.readouterr()
    assert main(["ask", "how is drift measured?", "-k", "2", "--json"]) == 0
    passages = json.loads(capsys.readouterr().out)["passages"]
    assert len(passages) == 2 and all(p["citation"]["path"] for p in passages)


@pytest.mark.parametrize(("extra", "named"), [("dense", "Dense"), ("cls", "pools by cls")])
def test_a_model_the_onnx_backend_cannot_run_is_one_line_naming_what_and_the_way_out(
    extra: str,
    named: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    model = build_model(KINDS["bert"], tmp_path / extra, extra)
    with pytest.raises(ConfigError) as refused:
        load_embedder(str(model), "onnx", tmp_path / "models")
    assert named in str(refused.value) and "RAGNOTES_BACKEND=torch" in str(refused.value)

    monkeypatch.setenv("RAGNOTES_MODEL", str(model))
    monkeypatch.setenv("RAGNOTES_DATA_DIR", str(tmp_path / "data"))
    argv = ["index", "--notes", str(FIXTURE_NOTES), "--no-bundled", "--no-readmes"]
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and named in err
    # The way out works: the same model on the torch backend indexes.
    monkeypatch.setenv("RAGNOTES_BACKEND", "torch")
    assert main(argv) == 0
