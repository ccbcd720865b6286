"""`python -m ragnotes_eval.int8_speed`: the export's two int8 forms on this CPU, side by side.

Both forms (index/int8_forms.py) run the same texts, one at a time on one thread as ragnotes runs
them: the 92 dev questions (queries) and the first 60 chunks of the live build (passages). Passes
alternate between the forms so that both see the same machine, and the median pass (CPU time of
the thread running the model) is printed for each, with whether every output row was equal bit for bit. On a CPU without VNNI the signed
form is not expected to be equal (its products saturate there), which is why ragnotes never runs
it on one.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits
from tokenizers import Tokenizer

from ragnotes.index.embedding import resolve_model
from ragnotes.index.int8_forms import has_vnni, signed_path, write_signed
from ragnotes.index.model_folder import read_model_folder
from ragnotes.index.onnx_backend import _hidden, _session, export_int8
from ragnotes.index.store import read_jsonl
from ragnotes.service.settings import Settings
from ragnotes_eval.machine import cpu, describe
from ragnotes_eval.questions import load_questions

FORMS = ("u8", "s8")


def _pass(session: Any, names: list[str], ids: Sequence[list[int]]) -> tuple[float, list[Any]]:
    """CPU ms a text of this thread, which runs the model (one thread, no pool): other work on
    a shared machine delays a run more than it lengthens its CPU time."""
    started = time.thread_time()
    out = [_hidden(session, names, row) for row in ids]
    return (time.thread_time() - started) * 1000 / len(ids), out


def compare(settings: Settings, passes: int) -> dict[str, Any]:
    """Median ms a text per form and kind of text, and whether the outputs were bit-equal."""
    model = read_model_folder(Path(str(resolve_model(settings.model))))
    unsigned = export_int8(model, settings.models_path)
    signed = write_signed(unsigned) or signed_path(unsigned)
    sessions = {"u8": _session(unsigned), "s8": _session(signed)}
    names = [i.name for i in sessions["u8"].get_inputs()]
    tokenizer = Tokenizer.from_file(str(model.tokenizer_file))
    tokenizer.enable_truncation(model.max_tokens)
    tokenizer.no_padding()  # as the encoder runs it: one text, no padding
    chunks = read_jsonl(settings.store().live_dir() / "chunks.jsonl")[:60]
    texts = {
        "query": [q.question for q in load_questions()],
        "passage": [str(c["text"]) for c in chunks],
    }
    report: dict[str, Any] = {"cpu": describe(cpu()), "vnni": has_vnni()}
    for kind, batch in texts.items():
        ids = [e.ids for e in tokenizer.encode_batch(batch)]
        times: dict[str, list[float]] = {form: [] for form in FORMS}
        equal = True
        for _ in range(passes):
            outs = {}
            for form in FORMS:
                ms, outs[form] = _pass(sessions[form], names, ids)
                times[form].append(ms)
            equal &= all(np.array_equal(a, b) for a, b in zip(outs["u8"], outs["s8"], strict=True))
        report[kind] = {
            "texts": len(ids),
            **{f"{form}_ms": round(statistics.median(times[form]), 3) for form in FORMS},
            "bit_equal": equal,
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=5, help="alternating passes (default 5)")
    args = parser.parse_args()
    with threadpool_limits(1):
        report = compare(Settings(), args.passes)
    print(f"{report['cpu']}; AVX-512 VNNI seen by CPUID: {report['vnni']}")
    for kind in ("query", "passage"):
        r = report[kind]
        print(
            f"{kind}: {r['texts']} texts, unsigned form {r['u8_ms']:.2f} ms, signed form "
            f"{r['s8_ms']:.2f} ms of CPU a text ({r['u8_ms'] / r['s8_ms']:.2f}x); "
            f"bit-equal outputs: {r['bit_equal']}"
        )


if __name__ == "__main__":
    main()
