"""ragnotes: cited answers from ML system design notes and curated READMEs.

The product is `ragnotes.corpus` (files to sections), `ragnotes.index` (chunks, vectors, BM25,
search), `ragnotes.answers` (passages and answers) and `ragnotes.service` (HTTP, page, MCP, CLI
and jobs); the repository keeps each in its own top-level folder (pyproject.toml maps them).

Importing it turns usage reporting off for this process and the processes it starts, unless
the environment already says otherwise; a notes service that answers from a person's own files
should send nothing anywhere (tests/integration/test_no_telemetry.py):

- ONNX Runtime (`ORT_DISABLE_TELEMETRY=1`): since 1.29 its official Linux and macOS builds
  record events about every process that runs a model, keep them with a device id under
  `~/.cache/Microsoft/DeveloperTools/.onnxruntime` and upload them to Microsoft. The setting only
  works when made before onnxruntime is imported, which every part of ragnotes does later than
  this.
- Ray (`RAY_USAGE_STATS_ENABLED=0`): a local cluster that `--ray` starts for one command would
  report its usage every hour. A cluster started with `ray start` follows its own setting
  (README: `ray start --disable-usage-stats`).
"""

import os

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
