"""ragnotes: cited answers from ML system design notes and curated READMEs.

The product is `ragnotes.corpus` (files to sections), `ragnotes.index` (chunks, vectors, BM25,
search), `ragnotes.answers` (passages and answers) and `ragnotes.service` (HTTP, page, MCP, CLI
and jobs); the repository keeps each in its own top-level folder (pyproject.toml maps them).

Importing it turns ONNX Runtime's usage reporting off for this process and the processes it
starts (`ORT_DISABLE_TELEMETRY=1`, unless the environment already says otherwise). Since 1.29,
the official Linux and macOS builds of ONNX Runtime record events about every process that runs
a model, keep them with a device id under `~/.cache/Microsoft/DeveloperTools/.onnxruntime`, and
upload them to Microsoft from a background thread. A notes service that answers from a person's
own files should not, and the setting only works when made before onnxruntime is imported,
which every part of ragnotes does later than this (tests/integration/test_no_telemetry.py).
"""

import os

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
