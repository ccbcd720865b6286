"""The machine a figure came from: the CPU's name and the instruction sets the int8 model's speed
and, before export version 3, its vectors depended on (eval/CPU.md says how much)."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

# The flags /proc/cpuinfo uses for what matters to ONNX Runtime's int8 kernels: AVX2 alone runs
# them on vpmaddubsw, AVX-512 widens them, VNNI (the AVX-512 or the AVX form) fuses the
# multiply-add into one instruction.
FLAGS = {"avx2": "avx2", "avx512": "avx512f", "vnni": ("avx512_vnni", "avx_vnni")}


def _cpuinfo() -> tuple[str, set[str]]:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or "unknown", set()
    fields = dict(line.split(":", 1) for line in lines if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    return fields.get("model name", platform.processor() or "unknown"), set(
        fields.get("flags", "").split()
    )


def cpu() -> dict[str, Any]:
    """{"model", "avx2", "avx512", "vnni", "cores"}: what the figures ran on."""
    name, flags = _cpuinfo()
    found = {
        key: any(f in flags for f in ((wanted,) if isinstance(wanted, str) else wanted))
        for key, wanted in FLAGS.items()
    }
    return {"model": name, **found, "cores": len(os.sched_getaffinity(0))}


def describe(info: dict[str, Any]) -> str:
    """One line: `Intel(R) Xeon(R) Processor, 2 cores, AVX2 AVX-512 VNNI`."""
    sets = [label for key, label in (("avx2", "AVX2"), ("avx512", "AVX-512"), ("vnni", "VNNI"))
            if info.get(key)]  # fmt: skip
    return f"{info['model']}, {info['cores']} cores, {' '.join(sets) or 'no AVX2'}"


def machine() -> dict[str, Any]:
    """Where benchmark figures came from."""
    return {"cpu": cpu(), "python": platform.python_version()}
