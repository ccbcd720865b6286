"""Late-interaction scores are the same bits on a CPU without AVX-512 or VNNI as on this one.

The integer product (index/late_products.py) runs on whichever kernel ONNX Runtime picks for the
CPU; without VNNI that kernel adds pairs of products in 16 bits, which is why the query goes in
as 7-bit digits. The test runs the same products and scores in a process that user-mode QEMU
presents as a Haswell CPU (AVX2, no AVX-512, no VNNI), as tests/integration/test_onnx_backend.py
does for the model, and requires the exact integers there and here, and equal scores. Only
numpy and ONNX Runtime run under emulation, not the model: a few seconds.
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

from ragnotes.index.late_interaction import LateInteractionIndex, quantize
from ragnotes.index.late_products import DIGIT_LIMIT, digit_products

QEMU = shutil.which("qemu-x86_64")
# Runs under emulation: reads the inputs, writes the products and scores, prints the CPU seen.
SCRIPT = """
import json, sys
from pathlib import Path
import numpy as np
from numpy._core._multiarray_umath import __cpu_features__ as f
from ragnotes.index.late_interaction import LateInteractionIndex
from ragnotes.index.late_products import digit_products
given = np.load(sys.argv[1])
index = LateInteractionIndex.load(Path(sys.argv[1]).parent, int(given["chunks"]))
found = digit_products([given["rows"]], given["columns"])
scores = index.scores(given["query"], given["wanted"].tolist())
np.savez(sys.argv[2], products=found, scores=np.array(scores))
print(json.dumps({k: bool(f[k]) for k in ("AVX2", "AVX512F", "AVX512VNNI")}))
"""


def _inputs(rng: np.random.Generator, folder: Path) -> dict[str, np.ndarray]:
    """Extreme integer rows and digits, a query, and an index of random unit rows (saved in
    `folder`) with the chunks to score, one of them without rows."""
    rows = rng.integers(-127, 128, (600, 384)).astype(np.int8)
    rows[0], rows[1] = 127, -127
    columns = rng.integers(-DIGIT_LIMIT, DIGIT_LIMIT + 1, (384, 26)).astype(np.int8)
    columns[:, 0], columns[:, 1] = DIGIT_LIMIT, -DIGIT_LIMIT
    chunks = []
    for n in [0, *rng.integers(1, 120, 29)]:
        unit = rng.standard_normal((int(n), 384)).astype(np.float32)
        chunks.append(quantize(unit / np.linalg.norm(unit, axis=1, keepdims=True)))
    LateInteractionIndex.pack(chunks, 384).save(folder)
    query = rng.standard_normal((13, 384)).astype(np.float32)
    query /= np.linalg.norm(query, axis=1, keepdims=True)
    return {
        "rows": rows,
        "columns": columns,
        "chunks": np.array(len(chunks)),
        "query": query,
        "wanted": np.array([0, *rng.permutation(np.arange(1, 30))[:19]]),
    }


@pytest.mark.skipif(
    QEMU is None or platform.machine() != "x86_64",
    reason="needs an x86_64 machine with qemu-x86_64 (`make test` installs qemu-user there)",
)
def test_products_and_scores_match_on_an_avx2_only_cpu(tmp_path: Path) -> None:
    given = _inputs(np.random.default_rng(24), tmp_path)
    np.savez(tmp_path / "in.npz", **given)
    files = [str(tmp_path / "in.npz"), str(tmp_path / "out.npz")]
    done = subprocess.run(
        [str(QEMU), "-cpu", "Haswell", sys.executable, "-c", SCRIPT, *files],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"AVX2": True, "AVX512F": False, "AVX512VNNI": False}, seen

    emulated = np.load(tmp_path / "out.npz")
    exact = given["rows"].astype(np.int64) @ given["columns"].astype(np.int64)
    assert np.array_equal(emulated["products"], exact)
    assert np.array_equal(digit_products([given["rows"]], given["columns"]), exact)
    index = LateInteractionIndex.load(tmp_path, int(given["chunks"]))
    scores = index.scores(given["query"], given["wanted"].tolist())
    assert emulated["scores"].tolist() == scores  # the same bits
    assert scores[0] == 0.0 and len(set(scores[1:])) == 19  # no rows: 0; the rest all differ
