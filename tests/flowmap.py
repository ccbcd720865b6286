"""ARCHITECTURE.md's lists of the modules each flow runs, made from a run of the flows
(tests/flowtrace.py) and checked against one by tests/integration/test_flowmap.py.

    python -m tests.flowmap            # print each flow's modules, and what the lists get wrong
    python -m tests.flowmap --write    # rewrite ARCHITECTURE.md's lists from the run

A list sits between `<!-- flowmap:NAME -->` and `<!-- /flowmap:NAME -->` (NAME a key of
`flowtrace.FLOWS`); everything between the markers is this module's to write. A count of files
or modules stated in the prose of a section holding lists must be the section's number of steps
or one of its lists' counts.
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

from tests.flowtrace import FLOWS, trace_all

DOC = Path(__file__).resolve().parents[1] / "ARCHITECTURE.md"
REGENERATE = "python -m tests.flowmap --write"
ORDER = ["ragnotes", "corpus", "index", "answers", "service"]  # the layers, bottom up
WIDTH = 100  # ARCHITECTURE.md's lines
BLOCK = re.compile(r"(<!-- flowmap:(\w+) -->\n)(.*?)(<!-- /flowmap:\2 -->)", re.S)
NUMBERS = (
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"),
    *("eighteen", "nineteen", "twenty"),
)
# A count the prose states: "Ten files", "18 modules".
PROSE_COUNT = re.compile(rf"\b(\d+|{'|'.join(NUMBERS)})\s+(?:files|modules)\b", re.I)


def render(flow: str, files: list[str]) -> str:
    """A flow's block body: the count, then one item per folder, layers in order."""
    lines = [f"{FLOWS[flow]} runs {len(files)} modules:", ""]
    for folder in ORDER:
        names = [f.split("/", 1)[1] for f in files if f.startswith(folder + "/")]
        if names:
            item = f"- `{folder}/`: " + ", ".join(f"`{n}`" for n in names)
            lines.append(textwrap.fill(item, WIDTH, subsequent_indent="  ", break_on_hyphens=False))
    return "\n".join(lines) + "\n"


def listed(body: str) -> tuple[list[str], int | None]:
    """The files a block lists, and the count it states."""
    files = []
    for item in re.finditer(r"^- `(\w+)/`:(.*?)(?=^- |\Z)", body, re.M | re.S):
        files += [f"{item[1]}/{name}" for name in re.findall(r"`([\w/]+\.py)`", item[2])]
    stated = re.search(r"runs (\d+) modules", body)
    return sorted(files), int(stated[1]) if stated else None


def blocks(text: str) -> dict[str, str]:
    return {m[2]: m[3] for m in BLOCK.finditer(text)}


def differences(found: dict[str, list[str]], text: str) -> list[str]:
    """What ARCHITECTURE.md's lists get wrong about `found`, one message a flow."""
    problems = []
    present = blocks(text)
    for flow, files in found.items():
        if flow not in present:
            problems.append(
                f"{flow}: no <!-- flowmap:{flow} --> ... <!-- /flowmap:{flow} --> block"
            )
            continue
        have, stated = listed(present[flow])
        missing, extra = sorted(set(files) - set(have)), sorted(set(have) - set(files))
        if missing or extra:
            problems.append(
                f"{flow}: runs but not listed {missing}; listed but does not run {extra}"
            )
        elif stated != len(have) or present[flow] != render(flow, files):
            problems.append(f"{flow}: the list is right but its text or count is not")
    return problems


def prose_counts(text: str) -> list[str]:
    """Counts of files or modules stated in the flows' prose, outside the lists, that are neither
    the section's number of steps nor one of its lists' counts."""
    problems = []
    for section in re.split(r"\n(?=## )", text):
        lists = [listed(body)[1] for body in blocks(section).values()]
        if not lists:
            continue
        steps = len(re.findall(r"^\d+\. ", section, re.M))
        prose = BLOCK.sub("", section)
        for match in PROSE_COUNT.finditer(prose):
            word = match[1].lower()
            number = int(word) if word.isdigit() else NUMBERS.index(word)
            if number != steps and number not in lists:
                title = section.splitlines()[0]
                problems.append(
                    f"{title}: {match[0]!r} is neither its {steps} steps nor a list's count {lists}"
                )
    return problems


def write(found: dict[str, list[str]], text: str) -> str:
    missing = [flow for flow in found if flow not in blocks(text)]
    if missing:
        raise SystemExit(f"ARCHITECTURE.md lacks the blocks for {missing}: add the two markers")
    return BLOCK.sub(
        lambda m: m[1] + render(m[2], found[m[2]]) + m[4] if m[2] in found else m[0], text
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    found = trace_all()
    text = DOC.read_text(encoding="utf-8")
    for flow, files in found.items():
        print(f"{flow} ({len(files)}): {' '.join(files)}")
    if "--write" in args:
        DOC.write_text(write(found, text), encoding="utf-8")
        print(f"wrote {DOC.name}")
        text = DOC.read_text(encoding="utf-8")
    problems = differences(found, text) + prose_counts(text)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
