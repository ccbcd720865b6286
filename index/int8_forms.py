"""Two forms of the same int8 model, and the choice between them on the CPU at hand.

The export (index/onnx_backend.py) stores the weights of its integer matrix products as unsigned
8-bit integers with per-column zero points: ONNX Runtime sums unsigned-by-unsigned products
exactly on every x86 kernel, so every CPU computes the same vectors (eval/CPU.md). But CPUs with
VNNI have no fast unsigned-by-unsigned kernel, and that form runs at half their speed.

The signed form holds the same numbers moved down by 128: weight w - 128 with zero point z - 128,
so (w - 128) - (z - 128) = w - z and each product's integer is unchanged. With VNNI, ONNX
Runtime multiplies unsigned activations by signed weights on `vpdpbusd` (or AMX), which adds
into 32-bit integers without saturating, so the sums are the same integers as the unsigned
form's and the outputs are identical, bit for bit. Without VNNI that product runs on
`vpmaddubsw`, whose 16-bit sums saturate, which is why the signed form is only ever used where
the CPU has VNNI *and* a probe text gives exactly the unsigned form's output: the choice is
checked on every CPU that makes it, not assumed. The verdict is kept beside the export, keyed by
what decides the kernels (the CPU's instruction sets and model, ONNX Runtime's version), so a
later start on the same CPU opens one form instead of two, and another CPU checks again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np

log = logging.getLogger(__name__)

# Products the export quantizes: MatMulInteger(A, B, a_zero_point, b_zero_point).
_WEIGHT_INPUTS = (1, 3)
PROBE = "Which feature store keeps training and serving consistent at 100M users?"


def signed_path(unsigned: Path) -> Path:
    """Where the signed form of the export at `unsigned` is kept."""
    return unsigned.with_name(unsigned.stem + "-s8.onnx")


def write_signed(unsigned: Path) -> Path | None:
    """Write the signed form beside `unsigned`; None when `onnx` is not installed (a runtime
    image without it keeps the unsigned form, which is correct everywhere)."""
    target = signed_path(unsigned)
    if target.is_file():
        return target
    try:
        import onnx
        from onnx import numpy_helper
    except ModuleNotFoundError:
        return None
    model = onnx.load(str(unsigned))
    weights = {t.name: t for t in model.graph.initializer}
    shifted: set[str] = set()
    for node in model.graph.node:
        if node.op_type != "MatMulInteger":
            continue
        for name in (node.input[i] for i in _WEIGHT_INPUTS if i < len(node.input)):
            if name in shifted or name not in weights:
                continue
            values = numpy_helper.to_array(weights[name])
            if values.dtype != np.uint8:
                return None  # not an export of ours: leave it alone
            signed = (values.astype(np.int16) - 128).astype(np.int8)
            weights[name].CopyFrom(numpy_helper.from_array(signed, name))
            shifted.add(name)
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    try:
        onnx.save(model, str(partial))
        os.replace(partial, target)  # atomic: a concurrent export writes the same bytes
    except OSError as exc:  # a read-only model cache: the unsigned form serves
        log.warning("cannot write the signed int8 form to %s: %s", target.parent, exc)
        partial.unlink(missing_ok=True)
        return None
    return target


def _cpu_features() -> dict[str, bool]:
    """The instruction sets numpy found by asking the CPU itself (CPUID)."""
    import importlib

    try:
        umath = importlib.import_module("numpy._core._multiarray_umath")
    except ImportError:  # numpy 1.x
        umath = importlib.import_module("numpy.core._multiarray_umath")
    return dict(getattr(umath, "__cpu_features__", {}))


def has_vnni() -> bool:
    """Whether this CPU has AVX-512 VNNI, asked of the CPU itself (CPUID, through numpy).

    Not /proc/cpuinfo: an emulator (the QEMU test) presents a CPU other than the one that file
    describes. CPUs with only the AVX form of VNNI are not told apart by numpy; they keep the
    unsigned form, which is correct, only slower.
    """
    return bool(_cpu_features().get("AVX512VNNI", False))


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            names = (line.partition(":")[2].strip() for line in f if line.startswith("model name"))
            return next(names, platform.processor())
    except OSError:
        return platform.processor()


def cpu_key(*files: Path) -> str:
    """What decides whether the two forms agree here: the CPU's instruction sets (CPUID) and
    model, ONNX Runtime's version, and the forms' files (their sizes)."""
    import onnxruntime

    features = sorted(name for name, on in _cpu_features().items() if on)
    sizes = [f.stat().st_size for f in files]
    parts = [features, _cpu_model(), platform.machine(), onnxruntime.__version__, sizes]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def verdicts_path(unsigned: Path) -> Path:
    """Where the probe's verdicts are kept, per `cpu_key`."""
    return unsigned.with_name(unsigned.stem + "-forms.json")


def _verdicts(unsigned: Path) -> dict[str, str]:
    try:
        found = json.loads(verdicts_path(unsigned).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _record(unsigned: Path, key: str, form: str) -> None:
    target = verdicts_path(unsigned)
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    try:
        partial.write_text(json.dumps({**_verdicts(unsigned), key: form}), encoding="utf-8")
        os.replace(partial, target)
    except OSError:  # a read-only model cache: the probe runs at every start
        partial.unlink(missing_ok=True)


Session = Any
# "auto": the fastest form that gives this CPU the unsigned form's output; "u8": the unsigned one.
# The signed form cannot be asked for: only the probe can say it is safe on a CPU.
Form = Literal["auto", "u8"]
Probe = Callable[[Session], np.ndarray]


def choose(
    unsigned: Path, open_session: Callable[[Path], Session], probe: Probe, form: Form = "auto"
) -> tuple[Session, str]:
    """A session of the signed form ("s8") where this CPU gives it exactly the unsigned form's
    output on the probe, else of the unsigned form ("u8"); `probe` runs PROBE through a session.
    The probe runs once per `cpu_key`; later starts read its verdict. `form` "u8" (the setting
    RAGNOTES_INT8_FORM) takes the unsigned form whatever the CPU: the same vectors, at the
    speed a CPU without VNNI runs them."""
    signed = signed_path(unsigned)
    if form == "u8" or not has_vnni() or not signed.is_file():
        return open_session(unsigned), "u8"
    key = cpu_key(unsigned, signed)
    known = _verdicts(unsigned).get(key)
    if known in ("s8", "u8"):
        return open_session(signed if known == "s8" else unsigned), known
    base, fast = open_session(unsigned), open_session(signed)
    same = np.array_equal(probe(base), probe(fast))
    _record(unsigned, key, "s8" if same else "u8")
    if same:
        return fast, "s8"
    log.warning("the signed int8 form differs from the unsigned one on this CPU; not using it")
    return base, "u8"
