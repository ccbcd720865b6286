"""ragnotes: cited answers from ML system design notes and curated READMEs.

The product is `ragnotes.corpus` (files to sections), `ragnotes.index` (chunks, vectors, BM25,
search), `ragnotes.answers` (passages and answers) and `ragnotes.service` (HTTP, page, MCP, CLI
and jobs); the repository keeps each in its own top-level folder (pyproject.toml maps them).
"""
