"""Where a request's CPU work runs: in the event loop's own thread when it is the only request
being answered, or when the process has a single request thread; else on a worker thread.

Handing work to a thread and back costs two thread wake-ups, about 0.13-0.27 ms of one client's
5 ms request on two cores (eval/BENCHMARKS.md). When other requests are in flight, threads are
what lets their model runs overlap, so they still go to the threads; a request that is alone
runs in place, and the loop takes new connections again when it is done. A process with one
request thread (each worker of `ragnotes serve --workers N`) runs one request's work at a time
whichever thread runs it, so there every request runs in place, first come, first served
(eval/BENCHMARKS.md has the figures).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from anyio import to_thread

T = TypeVar("T")


class CpuWork:
    """Runs CPU-bound request work (`run`), in place when no other request is running it, or
    always when the process has only one request thread (`threads`)."""

    def __init__(self, threads: int) -> None:
        self.running = 0  # requests inside `run`, counted in the event loop's thread
        self.in_place = threads <= 1  # a thread would run one request's work at a time too
        self._turn = asyncio.Lock()  # in place: first come, first served

    async def run(self, work: Callable[[], T]) -> T:
        self.running += 1
        try:
            if self.in_place:
                return await self._in_turn(work)
            if self.running == 1:
                # Requests that arrived with this one reach `run` before it goes on, so it
                # sees them and leaves the loop free for them.
                await asyncio.sleep(0)
                if self.running == 1:
                    return work()
            return await to_thread.run_sync(work)
        finally:
            self.running -= 1

    async def _in_turn(self, work: Callable[[], T]) -> T:
        """`work` in place, after the requests that reached `run` before it.

        The turn passes on in the loop's next pass, once it has read its sockets again.
        Passed on at once, every request read in one pass would run before the loop read
        again, and a client answered early in one batch would wait for the whole of the next:
        8 clients on two workers had a p99 of 28.5-30.6 ms, against 22.2-24.1 taking turns and
        21.3-24.7 on a thread (eval/BENCHMARKS.md).
        """
        await self._turn.acquire()
        try:
            return work()
        finally:
            asyncio.get_running_loop().call_soon(self._turn.release)
