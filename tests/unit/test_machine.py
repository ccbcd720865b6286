"""The CPU line of a benchmark or eval report: name, family and model numbers, instruction sets."""

from __future__ import annotations

import os

from ragnotes_eval.machine import cpu, describe

ZEN4 = {
    "vendor_id": "AuthenticAMD",
    "cpu family": "25",
    "model": "17",
    "model name": "AMD EPYC",
    "flags": "fpu sse2 avx2 avx512f avx512_vnni avx512_bf16",
}
HASWELL = {
    "cpu family": "6",
    "model": "60",
    "model name": "Intel(R) Core(TM) i7-4770 CPU @ 3.40GHz",
    "flags": "fpu sse2 avx avx2",
}


def test_two_cpus_under_one_name_are_told_apart_by_their_numbers() -> None:
    cores = len(os.sched_getaffinity(0))
    assert (
        describe(cpu(ZEN4)) == f"AMD EPYC (family 25, model 17), {cores} cores, AVX2 AVX-512 VNNI"
    )
    older = cpu({**ZEN4, "model": "1", "flags": "fpu avx2"})  # same name, another generation
    assert describe(older) == f"AMD EPYC (family 25, model 1), {cores} cores, AVX2"


def test_the_instruction_sets_are_read_from_the_flags() -> None:
    info = cpu(HASWELL)
    assert (info["avx2"], info["avx512"], info["vnni"]) == (True, False, False)
    assert (info["family"], info["model_number"]) == (6, 60)
    assert cpu({**HASWELL, "flags": "avx2 avx_vnni"})["vnni"] is True  # VNNI's AVX form


def test_a_cpu_without_numbers_or_flags_is_named_alone() -> None:
    info = cpu({"model name": "some CPU"})
    assert (info["family"], info["model_number"]) == (None, None)
    assert describe(info).startswith("some CPU, ") and describe(info).endswith(", no AVX2")


def test_a_report_written_before_the_numbers_were_kept_still_reads() -> None:
    old = {"model": "Intel(R) Xeon(R) Processor", "avx2": True, "avx512": True, "vnni": True}
    assert describe({**old, "cores": 2}) == "Intel(R) Xeon(R) Processor, 2 cores, AVX2 AVX-512 VNNI"
