"""ARCHITECTURE.md's lists of the modules each flow runs match a run of the flows: `ragnotes index`
of the fixture notes, then POST /api/ask, POST /api/answer and GET /results under real uvicorn,
each recorded by a profiler (tests/flowtrace.py, tests/flowmap.py)."""

from __future__ import annotations

from tests import flowmap
from tests.flowtrace import FLOWS, trace_all


def test_architecture_lists_every_module_each_flow_runs() -> None:
    found = trace_all()
    assert sorted(found) == sorted(FLOWS)
    assert all(found.values()), "a flow ran no product code: the profiler saw nothing"
    problems = flowmap.differences(found, flowmap.DOC.read_text(encoding="utf-8"))
    stale = "\n".join(problems)
    assert not problems, f"ARCHITECTURE.md's lists are stale:\n{stale}\nrun `{flowmap.REGENERATE}`"


def test_architecture_prose_states_only_counts_it_can_show() -> None:
    """ "Ten files" must be the section's ten steps, "25 modules" one of its lists' counts."""
    problems = flowmap.prose_counts(flowmap.DOC.read_text(encoding="utf-8"))
    wrong = "\n".join(problems)
    assert not problems, f"{wrong}\nfix the prose, or run `{flowmap.REGENERATE}` if a list changed"
