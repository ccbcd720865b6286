"""`ragnotes eval`: run our eval set, or a BEIR dataset, print the tables and save the JSON report."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from ragnotes.errors import ConfigError
from ragnotes.index.embedding import DEFAULT_BACKEND, Backend, Embedder, Progress, load_embedder
from ragnotes.index.fusion import DEFAULT_FUSION
from ragnotes.index.int8_forms import Form
from ragnotes.index.late_interaction import (
    DEFAULT_LATE_INTERACTION,
    NO_LATE_INTERACTION,
    LateInteractionParams,
)
from ragnotes.index.lexical import BM25_B, BM25_K1, TOKENIZATION
from ragnotes.index.searcher import Searcher
from ragnotes.index.store import BuildStore
from ragnotes_eval.beir import (
    beir_documents,
    chunked_searcher,
    passages_per_query,
    run_beir,
    whole_doc_searcher,
)
from ragnotes_eval.beir_data import load_beir
from ragnotes_eval.machine import cpu
from ragnotes_eval.questions import SPLITS, load_questions, split_dir
from ragnotes_eval.report import build_report, build_split_report, format_report, write_report
from ragnotes_eval.runner import EVAL_DEPTH, run_questions

if TYPE_CHECKING:
    import argparse

    from ragnotes.service.settings import Settings


@dataclass(frozen=True)
class EvalOptions:
    """What to evaluate and where to put the report."""

    data_dir: Path
    model: str
    target_tokens: int
    beir: Path | None = None
    whole_docs: bool = False
    out: Path | None = None
    as_json: bool = False
    judged: bool = False  # also count the passages judged to answer as well (dev only)
    backend: Backend = DEFAULT_BACKEND
    models_dir: Path | None = None
    int8_form: Form = "auto"  # RAGNOTES_INT8_FORM: the vectors are the same, the timings not
    late_interaction: bool = True  # False: hybrid is the fused ranking alone
    late_depth: int | None = None  # fused candidates it re-ranks; None: the product's depth

    @property
    def late_interaction_params(self) -> LateInteractionParams:
        return late_interaction_params(self.late_interaction, self.late_depth)


def late_interaction_params(enabled: bool, depth: int | None) -> LateInteractionParams:
    """The re-ranking `--no-rerank` and `--late-depth` ask for."""
    if not enabled:
        if depth is not None:
            raise ConfigError("--late-depth sets the re-ranking --no-rerank turns off; pick one")
        return NO_LATE_INTERACTION
    return (
        DEFAULT_LATE_INTERACTION
        if depth is None
        else replace(DEFAULT_LATE_INTERACTION, depth=depth)
    )


def _search_settings(late_interaction: LateInteractionParams) -> dict[str, Any]:
    return {
        "fusion": asdict(DEFAULT_FUSION),
        "late_interaction": asdict(late_interaction),
        "bm25": {"k1": BM25_K1, "b": BM25_B, "tokenization": TOKENIZATION},
    }


@contextmanager
def _progress(desc: str) -> Iterator[Progress]:
    bar: tqdm[Any] | None = None

    def update(stage: str, done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=desc, unit="passage", file=sys.stderr, disable=None)
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()


def _ours(options: EvalOptions, embedder: Embedder) -> tuple[dict[str, Any], Path]:
    searcher = Searcher.load(BuildStore(options.data_dir), embedder)
    splits = {
        split: load_questions(split_dir(split), strict=not options.judged) for split in SPLITS
    }
    sizes = ", ".join(f"{len(q)} {split}" for split, q in splits.items())
    print(f"asking {sizes} questions in every mode of build {searcher.build_id}", file=sys.stderr)
    outcomes = {
        split: run_questions(searcher, questions, late_interaction=options.late_interaction_params)
        for split, questions in splits.items()
    }
    labels = "judged" if options.judged else "strict"
    extra = {"passages_per_query": EVAL_DEPTH, "labels": labels}
    report = build_split_report(outcomes, searcher.manifest.to_json(), extra, labels)
    return report, options.out or options.data_dir / "eval-report.json"


def _beir(options: EvalOptions, folder: Path, embedder: Embedder) -> tuple[dict[str, Any], Path]:
    dataset = load_beir(folder)
    root = options.data_dir / "beir" / dataset.name
    how = "whole documents" if options.whole_docs else f"chunks of {options.target_tokens} tokens"
    print(
        f"indexing {len(dataset.docs)} {dataset.name} documents as {how} in {root}", file=sys.stderr
    )
    with _progress("embedding") as progress:
        if options.whole_docs:
            searcher = whole_doc_searcher(dataset, embedder, root, progress)
        else:
            documents = beir_documents(dataset, folder / "corpus.jsonl")
            searcher = chunked_searcher(documents, embedder, root, options.target_tokens, progress)
    print(f"running {len(dataset.queries)} queries in every mode", file=sys.stderr)
    outcomes = run_beir(searcher, dataset, late_interaction=options.late_interaction_params)
    extra = {
        "dataset": str(folder),
        "whole_docs": options.whole_docs,
        "passages_per_query": passages_per_query(searcher),
    }
    report = build_report("beir", outcomes, searcher.manifest.to_json(), extra)
    suffix = "-whole-docs" if options.whole_docs else ""
    return report, options.out or options.data_dir / "beir" / f"{dataset.name}{suffix}-report.json"


def run_eval(options: EvalOptions, settings: Mapping[str, Any]) -> int:
    """Evaluate, save the report, print tables (or the JSON); 0 on success."""
    if options.beir is None and options.whole_docs:
        raise ConfigError("--whole-docs applies to a BEIR dataset; add --beir DIR")
    if options.beir is not None and options.judged:
        raise ConfigError("--judged applies to our eval set, not to a BEIR dataset")
    late_interaction_params(options.late_interaction, options.late_depth)  # refuses both flags
    embedder = load_embedder(
        options.model,
        options.backend,
        options.models_dir or options.data_dir / "models",
        options.int8_form,
    )
    if options.beir is not None:
        report, path = _beir(options, options.beir, embedder)
    else:
        report, path = _ours(options, embedder)
    report["settings"] = {
        **settings,
        **report["settings"],
        **_search_settings(options.late_interaction_params),
    }
    report["cpu"] = cpu()  # int8 figures carry the CPU they ran on (eval/CPU.md)
    report["form"] = embedder.form  # and the form that ran the model there: the timings' cause
    write_report(report, path)
    if options.as_json:
        print(json.dumps(report, indent=2))
    else:
        print(format_report(report))
    print(f"report written to {path}", file=sys.stderr)
    return 0


def cli(args: argparse.Namespace, settings: Settings) -> int:
    """`ragnotes eval`, as the CLI parsed it (`EVAL` in ragnotes_eval.tools declares the flags)."""
    if args.answers:
        from ragnotes_eval.answers_command import cli as answers_cli

        return answers_cli(args, settings)
    if args.compare_backends:
        from ragnotes_eval.backends import run_comparison

        return run_comparison(settings.sources(), settings, args.out, args.json)
    options = EvalOptions(
        settings.data_dir,
        settings.model,
        settings.target_tokens,
        beir=args.beir,
        whole_docs=args.whole_docs,
        out=args.out,
        as_json=args.json,
        judged=args.judged,
        backend=settings.backend,
        models_dir=settings.models_path,
        int8_form=settings.int8_form,
        late_interaction=not args.no_rerank,  # the flag's public name, from RAGNOTES_RERANK
        late_depth=args.late_depth,
    )
    return run_eval(
        options, settings.model_dump(mode="json", exclude={"admin_token", "llm_api_key"})
    )
