"""Where request work runs: in the loop's thread when alone or when the process has one request
thread, on worker threads when not."""

from __future__ import annotations

import asyncio
import threading

import pytest

from ragnotes.service.cpu_work import CpuWork


def test_a_lone_request_runs_in_the_loops_thread() -> None:
    async def main() -> tuple[int, int]:
        work = CpuWork(threads=2)
        ran_in = await work.run(threading.get_ident)
        return ran_in, threading.get_ident()

    ran_in, loop_thread = asyncio.run(main())
    assert ran_in == loop_thread


def _three_together(threads: int) -> tuple[list[int], int]:
    """The threads three requests arriving together ran in, and the event loop's thread."""

    async def main() -> tuple[list[int], int]:
        work = CpuWork(threads=threads)
        ran_in = await asyncio.gather(*(work.run(threading.get_ident) for _ in range(3)))
        assert work.running == 0
        return list(ran_in), threading.get_ident()

    return asyncio.run(main())


def test_requests_that_arrive_together_go_to_worker_threads() -> None:
    ran_in, loop_thread = _three_together(threads=2)
    assert loop_thread not in ran_in


def test_with_one_request_thread_every_request_runs_in_the_loops_thread() -> None:
    ran_in, loop_thread = _three_together(threads=1)
    assert ran_in == [loop_thread] * 3


def test_an_error_reaches_the_caller_and_the_count_goes_back_down() -> None:
    def fail() -> None:
        raise ValueError("no")

    async def main(threads: int) -> int:
        work = CpuWork(threads)
        with pytest.raises(ValueError, match="no"):
            await work.run(fail)
        return work.running

    assert asyncio.run(main(2)) == 0
    assert asyncio.run(main(1)) == 0


def test_in_place_the_turn_passes_on_only_after_the_loop_has_had_a_pass() -> None:
    async def main() -> list[str]:
        work = CpuWork(threads=1)
        loop = asyncio.get_running_loop()
        order: list[str] = []

        def first() -> None:
            order.append("first")
            loop.call_soon(order.append, "the loop's next pass")

        await asyncio.gather(
            work.run(first),
            work.run(lambda: order.append("second")),
            work.run(lambda: order.append("third")),
        )
        return order

    assert asyncio.run(main()) == ["first", "the loop's next pass", "second", "third"]


def test_in_place_a_failed_request_passes_the_turn_on() -> None:
    def fail() -> None:
        raise ValueError("no")

    async def main() -> list[str]:
        work = CpuWork(threads=1)
        order: list[str] = []
        failed, _ = await asyncio.gather(
            work.run(fail), work.run(lambda: order.append("next")), return_exceptions=True
        )
        assert isinstance(failed, ValueError)
        await asyncio.wait_for(work.run(lambda: order.append("after")), timeout=5)
        return order

    assert asyncio.run(main()) == ["next", "after"]
