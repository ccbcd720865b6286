"""The int8 model gives the same vectors on a CPU without AVX-512 or VNNI as on this one.

ONNX Runtime picks its int8 kernels by CPU: AVX-512 VNNI, AVX-VNNI or plain AVX2, and ragnotes
picks one of the export's two forms by CPU (index/int8_forms.py). The test runs the same texts
through the same export in a second process that user-mode QEMU presents as a Haswell CPU (AVX2,
FMA, no AVX-512, no VNNI: the instruction sets of the AMD cores CI may get), and compares its
dense and late-interaction vectors with this process's. Emulation is slow, so a handful of
texts is enough; what it checks is that no kernel path, and neither form, changes the
arithmetic. On a VNNI CPU a second test runs both forms here and requires the same output, bit
for bit.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from ragnotes.index.embedding import Embedder, load_embedder, resolve_model
from ragnotes.index.int8_forms import has_vnni, signed_path
from ragnotes.index.model_folder import read_model_folder
from ragnotes.index.onnx_backend import _hidden, _session, export_int8

QEMU = shutil.which("qemu-x86_64")
TEXTS = [
    "When should I prefer batch inference over online inference?",
    "A point-in-time join looks up each feature value as it was when the label was observed.",
    "Feature stores keep training and serving features consistent, which avoids skew.",
    "Use approximate nearest neighbour search (HNSW, IVF-PQ) when exact search is too slow at 100M items.",
    "| metric | offline | online |\n| --- | --- | --- |\n| CTR | AUC | click-through |",
]
# Runs under emulation: prints what CPU the process saw, then encodes TEXTS with the export.
SCRIPT = """
import json, sys
import numpy as np
from numpy._core._multiarray_umath import __cpu_features__ as f
from ragnotes.index.embedding import load_embedder
from pathlib import Path
embedder = load_embedder("all-MiniLM-L6-v2", "onnx", Path(sys.argv[1]))
texts = json.loads(sys.argv[2])
vectors, rows = embedder.embed_with_late_interaction(texts)
np.savez(sys.argv[3], *rows, vectors=vectors)
seen = {k: bool(f[k]) for k in ("AVX2", "AVX512F", "AVX512VNNI")}
print(json.dumps({**seen, "form": embedder.form}))
"""


@pytest.mark.skipif(
    QEMU is None or platform.machine() != "x86_64",
    reason="needs an x86_64 machine with qemu-x86_64 (`make test` installs qemu-user there)",
)
def test_int8_vectors_match_on_an_avx2_only_cpu(embedder: Embedder, tmp_path: Path) -> None:
    models = Path(os.environ["RAGNOTES_MODELS_DIR"])
    out = tmp_path / "haswell.npz"
    done = subprocess.run(
        [
            str(QEMU),
            "-cpu",
            "Haswell",
            sys.executable,
            "-c",
            SCRIPT,
            str(models),
            json.dumps(TEXTS),
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"AVX2": True, "AVX512F": False, "AVX512VNNI": False, "form": "int8 u8"}, seen

    vectors, rows = embedder.embed_with_late_interaction(TEXTS)
    emulated = np.load(out)
    cosines = (emulated["vectors"] * vectors).sum(axis=1)
    # Same integer arithmetic, float rounding aside: far closer than the 0.994 cosine that
    # separates int8 from fp32, or the ~0.99 that signed weights gave between these two CPUs.
    assert cosines.min() > 0.99999, cosines
    for i, row in enumerate(rows):
        assert np.allclose(emulated[f"arr_{i}"], row, atol=2e-2), i


@pytest.mark.skipif(not has_vnni(), reason="the signed form is only used on CPUs with VNNI")
def test_both_forms_give_the_same_output_bit_for_bit(embedder: Embedder) -> None:
    assert embedder.form == "int8 s8"
    model = read_model_folder(Path(str(resolve_model("all-MiniLM-L6-v2"))))
    tokenizer = Tokenizer.from_file(str(model.tokenizer_file))
    tokenizer.enable_truncation(model.max_tokens)
    tokenizer.no_padding()
    unsigned = export_int8(model, Path(os.environ["RAGNOTES_MODELS_DIR"]))
    forms = [_session(unsigned), _session(signed_path(unsigned))]
    names = [i.name for i in forms[0].get_inputs()]
    for text in [*TEXTS, "x", " ".join(TEXTS) * 4]:
        ids = tokenizer.encode(text).ids
        u8, s8 = (_hidden(session, names, ids) for session in forms)
        assert np.array_equal(u8, s8), text


def test_the_unsigned_form_asked_for_gives_the_same_vectors(embedder: Embedder) -> None:
    """RAGNOTES_INT8_FORM=u8 runs the form a CPU without VNNI runs, here: same vectors, same
    late-interaction rows, whichever form "auto" chose on this CPU."""
    unsigned = load_embedder(
        "all-MiniLM-L6-v2", "onnx", Path(os.environ["RAGNOTES_MODELS_DIR"]), int8_form="u8"
    )
    assert unsigned.form == "int8 u8"
    for text in [*TEXTS, "x"]:
        (vector, rows), (expected, expected_rows) = (
            e.embed_query_with_late_interaction(text) for e in (unsigned, embedder)
        )
        assert np.array_equal(vector, expected) and np.array_equal(rows, expected_rows), text
