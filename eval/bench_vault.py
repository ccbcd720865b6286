"""Benchmark: an Obsidian vault of a thousand notes, indexed and re-indexed as a user does it.

Run: `.venv/bin/python -m ragnotes_eval.bench_vault [--notes 1000]` (or `make bench-vault`). It writes a
synthetic vault into a temporary folder (notes in folders, front matter with tags and aliases,
wikilinks, callouts, comments, images and a canvas; the prose taken from the bundled notes, so
chunks are the size real notes give), then times with the installed `ragnotes`, each command a
process of its own: the first `ragnotes index --notes VAULT` (an empty vector cache), a plain
`ragnotes index` after one note is edited, and one with nothing changed. It prints each
command's wall time (model load included), the build's own seconds, what was embedded, the peak
memory of each command and of `ragnotes serve` once it answers. The model's ONNX export is made
before timing starts. It asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from ragnotes.corpus.documents import BUNDLED_NOTES_DIR
from ragnotes.service.settings import Settings
from ragnotes_eval.loopback import free_port

RAGNOTES = str(Path(sys.executable).parent / "ragnotes")
FOLDERS = ["inbox", "ml/ranking", "ml/retrieval", "infra", "infra/storage", "interviews", ""]
CALLOUTS = ["tip", "note", "warning", "example", "question"]
_SUMMARY = re.compile(r"indexed (\d+) files into (\d+) chunks in ([\d.]+) s .*?(\d+) embedded")


def _paragraphs() -> list[str]:
    """The prose paragraphs of the bundled notes, to write the vault's notes from."""
    found = []
    for note in sorted(BUNDLED_NOTES_DIR.glob("*.md")):
        for block in note.read_text(encoding="utf-8").split("\n\n"):
            if block and block[0].isalpha() and len(block.split()) > 12:
                found.append(block.strip())
    return found


def _note(i: int, names: list[str], paragraphs: list[str], rng: random.Random) -> str:
    """One note: front matter, headings, prose, a callout, a comment, links and maybe an image."""
    body = rng.sample(paragraphs, 4)
    links = " ".join(f"[[{rng.choice(names)}]]" for _ in range(3))
    image = f"\n![[figure {i // 50}.png]]\n" if i % 50 == 0 else ""
    return (
        f"---\ntags: [topic/{i % 17}, {'draft' if i % 5 == 0 else 'done'}]\n"
        f"aliases: [N{i:04d}]\n---\n# {names[i]}\n\n{body[0]}\n\n"
        f"## Details\n\n{body[1]}\n\n> [!{CALLOUTS[i % len(CALLOUTS)]}] Worth remembering\n"
        f"> {body[2]}\n\n%% todo: revisit note {i} %%\n\nSee {links}.{image}\n\n"
        f"## Trade-offs\n\n{body[3]} #review\n"
    )


def write_vault(folder: Path, count: int, seed: int = 7) -> None:
    """A synthetic vault of `count` notes under `folder`."""
    rng = random.Random(seed)
    paragraphs = _paragraphs()
    names = [
        f"Note {i:04d} {rng.choice(['ranking', 'serving', 'storage', 'eval'])}"
        for i in range(count)
    ]
    for i, name in enumerate(names):
        path = folder / FOLDERS[i % len(FOLDERS)] / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_note(i, names, paragraphs, rng), encoding="utf-8")
    (folder / "attachments").mkdir(exist_ok=True)
    for k in range(count // 50 + 1):
        (folder / "attachments" / f"figure {k}.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / "Board.canvas").write_text('{"nodes": [], "edges": []}\n')
    (folder / ".obsidian").mkdir(exist_ok=True)
    (folder / ".obsidian" / "app.json").write_text("{}\n")


def _timed(env: dict[str, str], *args: str) -> tuple[float, float, str]:
    """Run `ragnotes ARGS`; its wall seconds, its peak resident memory (MB) and its output."""
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        child = subprocess.Popen([RAGNOTES, *args], env=env, stdout=out, stderr=out)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read()
    if child.returncode != 0:
        raise SystemExit(f"ragnotes {' '.join(args)} failed: {output.strip()}")
    return wall, usage.ru_maxrss / 1024, output


def _report(what: str, wall: float, rss: float, output: str) -> None:
    found = _SUMMARY.search(output)
    built = (
        f"{found.group(1)} files, {found.group(2)} chunks, build {found.group(3)} s, "
        f"{found.group(4)} embedded"
        if found
        else output.strip().splitlines()[-1]
    )
    print(f"{what}: {wall:.1f} s wall, peak RSS {rss:.0f} MB ({built})")


def _serve_rss(env: dict[str, str]) -> float:
    """Resident memory (MB) of `ragnotes serve` over the vault's build once it answers."""
    port = free_port()
    server = subprocess.Popen(
        [RAGNOTES, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            try:
                httpx.get(
                    f"http://127.0.0.1:{port}/api/search", params={"q": "ranking"}, timeout=5
                ).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        status = Path(f"/proc/{server.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notes", type=int, default=1000, help="notes in the vault")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ragnotes-vault-") as work:
        vault, data = Path(work, "vault"), Path(work, "data")
        write_vault(vault, args.notes)
        env = {**os.environ, "RAGNOTES_DATA_DIR": str(data), "RAGNOTES_BUNDLED_NOTES": "false"}
        # The model's one-off ONNX export is not what a user waits for on each index: it is made
        # (or found) in the checkout's models folder before anything is timed.
        models = Settings().models_path
        Settings(models_dir=models).load_embedder()
        env |= {"RAGNOTES_READMES": "false", "RAGNOTES_MODELS_DIR": str(models)}
        env.pop("RAGNOTES_NOTES_DIR", None)
        print(f"vault: {args.notes} notes, {sum(1 for _ in vault.rglob('*.md'))} Markdown files")
        _report("first index (cold cache)", *_timed(env, "index", "--notes", str(vault)))
        edited = next(vault.rglob("*.md"))
        edited.write_text(edited.read_text() + "\nOne more line about ranking drift.\n")
        _report("re-index after one edit", *_timed(env, "index"))
        _report("re-index, nothing changed", *_timed(env, "index"))
        print(f"ragnotes serve over the vault's build: peak RSS {_serve_rss(env):.0f} MB")


if __name__ == "__main__":
    main()
