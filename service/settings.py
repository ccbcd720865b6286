"""Settings read from the environment (RAGNOTES_*); built only by the CLI and the app factory."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ragnotes.answers.llm import MAX_TOKENS, LLMConfig, check_client
from ragnotes.corpus.curated import load_curated
from ragnotes.corpus.documents import BUNDLED_NOTES_DIR, Sources
from ragnotes.corpus.notes_folders import NotesFolders, absolute
from ragnotes.corpus.reading import MAX_FILE_BYTES
from ragnotes.index.ann import APPROXIMATE_ABOVE
from ragnotes.index.build import BuildOptions
from ragnotes.index.chunking import DEFAULT_TARGET_TOKENS
from ragnotes.index.embedding import (
    DEFAULT_BACKEND,
    DEFAULT_MODEL,
    Backend,
    Embedder,
    load_embedder,
)
from ragnotes.index.int8_forms import Form
from ragnotes.index.store import BuildStore

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def _host_name(entry: str) -> str:
    """A RAGNOTES_ALLOWED_HOSTS entry as the Host check compares it: lower case, no port, an
    IPv6 address in brackets ("notes.lan:8000" -> "notes.lan", "::1" -> "[::1]")."""
    name = entry.strip().lower()
    if name.count(":") > 1 and not name.startswith("["):
        return f"[{name}]"  # a bare IPv6 address
    if name.startswith("["):
        return name[: name.index("]") + 1] if "]" in name else name
    return name.split(":", 1)[0]


class Settings(BaseSettings):
    """RAGNOTES_DATA_DIR, RAGNOTES_NOTES_DIR, RAGNOTES_MODEL and friends."""

    model_config = SettingsConfigDict(env_prefix="RAGNOTES_", extra="ignore")

    data_dir: Path = Path("data")
    notes_dir: str = ""  # extra notes folders, separated by os.pathsep (":")
    exclude: str = ""  # gitignore patterns left out of every notes folder, separated by ","
    bundled_notes: bool = True
    readmes: bool = True
    max_file_mb: float = MAX_FILE_BYTES / 1e6  # larger notes and READMEs are skipped, unread
    model: str = DEFAULT_MODEL
    backend: Backend = DEFAULT_BACKEND  # "onnx" (int8, faster) or "torch" (fp32)
    models_dir: Path | None = None  # the ONNX export's cache; None: models/ in the data dir
    # Which int8 form the onnx backend runs: "auto", the fastest giving the same vectors; "u8",
    # the unsigned one a CPU without VNNI runs (the same vectors, its speed: for measuring)
    int8_form: Form = "auto"
    admin_token: str | None = None
    api_token: str | None = None  # when set, reading (the page, /notes/, /api/*) needs it too
    allowed_hosts: str = ""  # Host names besides localhost, 127.0.0.1, [::1]; separated by ","
    target_tokens: int = DEFAULT_TARGET_TOKENS
    approximate_above: int = APPROXIMATE_ABOVE  # more chunks than this: an IVF dense index
    # Keep every chunk's late interaction and re-rank the hybrid top by it. The variable a user
    # sets is named for what it does to them: RAGNOTES_RERANK.
    late_interaction: bool = Field(
        default=True, validation_alias=AliasChoices("late_interaction", "RAGNOTES_RERANK")
    )
    cors_origins: str = ""  # origins allowed to call the API from a browser, separated by ","
    rate_limit: int = Field(default=0, ge=0)  # requests a minute per client IP; 0 is no limit
    # Generated answers: an OpenAI-compatible server's base URL (".../v1"); unset: extractive only
    llm_url: str | None = None
    llm_model: str = ""  # sent as "model"; servers with one model (llama.cpp) ignore it
    llm_api_key: str | None = None
    llm_timeout: float = Field(default=60.0, gt=0)  # seconds for a reply, or between streamed parts
    llm_max_tokens: int = Field(default=MAX_TOKENS, ge=16)  # the longest reply asked for

    @field_validator("data_dir", "models_dir")
    @classmethod
    def _absolute(cls, folder: Path | None) -> Path | None:
        """Folders are made absolute once, here: a build then records the same paths whatever
        directory a later command runs from."""
        return None if folder is None else Path(os.path.abspath(folder.expanduser()))

    def llm(self) -> LLMConfig | None:
        """The LLM server to write answers with, or None when RAGNOTES_LLM_URL is unset."""
        if not self.llm_url:
            return None
        check_client()
        return LLMConfig(
            self.llm_url, self.llm_model, self.llm_api_key, self.llm_timeout, self.llm_max_tokens
        )

    def cors_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    def allowed_host_list(self) -> list[str]:
        """The names a request's `Host` may carry: loopback always, then RAGNOTES_ALLOWED_HOSTS."""
        return [
            *LOOPBACK_HOSTS,
            *(_host_name(h) for h in self.allowed_hosts.split(",") if h.strip()),
        ]

    def notes_roots(self) -> tuple[Path, ...]:
        """The bundled notes folder (unless turned off), the folders recorded in the data dir
        (corpus/notes_folders.py), then RAGNOTES_NOTES_DIR's (or --notes') folders."""
        extra = [absolute(Path(p)) for p in self.notes_dir.split(os.pathsep) if p.strip()]
        recorded = NotesFolders.read(self.data_dir).folders
        roots = ([BUNDLED_NOTES_DIR] if self.bundled_notes else []) + [*recorded, *extra]
        return tuple(dict.fromkeys(roots))

    @property
    def readmes_dir(self) -> Path:
        return self.data_dir / "readmes"

    def sources(self) -> Sources:
        return Sources(
            self.notes_roots(),
            self.readmes_dir if self.readmes else None,
            tuple(load_curated()),
            int(self.max_file_mb * 1e6),
            tuple(p.strip() for p in self.exclude.split(",") if p.strip()),
        )

    def build_options(self, full: bool = False) -> BuildOptions:
        """How builds are made, from RAGNOTES_TARGET_TOKENS, _APPROXIMATE_ABOVE and _RERANK."""
        return BuildOptions(
            target_tokens=self.target_tokens,
            approximate_above=self.approximate_above,
            late_interaction=self.late_interaction,
            full=full,
        )

    def store(self) -> BuildStore:
        return BuildStore(self.data_dir)

    @property
    def models_path(self) -> Path:
        """Where the ONNX export is cached: RAGNOTES_MODELS_DIR, else `models/` in the data dir."""
        return self.models_dir or self.data_dir / "models"

    def load_embedder(self) -> Embedder:
        """The configured model on the configured backend."""
        return load_embedder(self.model, self.backend, self.models_path, self.int8_form)
