"""The machine a figure came from: the CPU's name, its family and model numbers, and the
instruction sets the int8 model's speed and, before export version 3, its vectors depended on
(eval/CPU.md says how much).

A virtual machine often names its CPU only by vendor and line ("AMD EPYC", "Intel(R) Xeon(R)
Processor"), which says nothing of its generation; the family and model numbers do (AMD family 25
model 17 is a Zen 4 EPYC, Intel family 6 model 143 a Sapphire Rapids Xeon), so one table per kind
of CPU in eval/BENCHMARKS.md can tell two kinds under one name apart."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

# The flags /proc/cpuinfo uses for what matters to ONNX Runtime's int8 kernels: AVX2 alone runs
# them on vpmaddubsw, AVX-512 widens them, VNNI (the AVX-512 or the AVX form) fuses the
# multiply-add into one instruction.
FLAGS = {"avx2": "avx2", "avx512": "avx512f", "vnni": ("avx512_vnni", "avx_vnni")}


def _cpuinfo() -> dict[str, str]:
    """The first processor's fields in /proc/cpuinfo; {} where there is none."""
    try:
        lines = Path("/proc/cpuinfo").read_text().split("\n\n", 1)[0].splitlines()
    except OSError:
        return {}
    fields = dict(line.split(":", 1) for line in lines if ":" in line)
    return {k.strip(): v.strip() for k, v in fields.items()}


def _number(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def cpu(fields: dict[str, str] | None = None) -> dict[str, Any]:
    """{"model", "family", "model_number", "avx2", "avx512", "vnni", "cores"}: what the figures
    ran on, from /proc/cpuinfo's `fields` (this machine's when not given)."""
    fields = _cpuinfo() if fields is None else fields
    flags = set(fields.get("flags", "").split())
    found = {
        key: any(f in flags for f in ((wanted,) if isinstance(wanted, str) else wanted))
        for key, wanted in FLAGS.items()
    }
    return {
        "model": fields.get("model name") or platform.processor() or "unknown",
        "family": _number(fields.get("cpu family")),
        "model_number": _number(fields.get("model")),
        **found,
        "cores": len(os.sched_getaffinity(0)),
    }


def describe(info: dict[str, Any]) -> str:
    """One line: `AMD EPYC (family 25, model 17), 2 cores, AVX2 AVX-512 VNNI`; a report written
    before the numbers were kept has the name alone."""
    sets = [label for key, label in (("avx2", "AVX2"), ("avx512", "AVX-512"), ("vnni", "VNNI"))
            if info.get(key)]  # fmt: skip
    family, number = info.get("family"), info.get("model_number")
    kind = (
        f" (family {family}, model {number})" if family is not None and number is not None else ""
    )
    return f"{info['model']}{kind}, {info['cores']} cores, {' '.join(sets) or 'no AVX2'}"


def machine() -> dict[str, Any]:
    """Where benchmark figures came from."""
    return {"cpu": cpu(), "python": platform.python_version()}
