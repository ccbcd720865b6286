# ragnotes in a container:
#   docker build -t ragnotes .
#   docker run -p 127.0.0.1:8000:8000 ragnotes
# The builder stage installs everything (torch included), makes the one-time int8 ONNX export of
# the bundled model and indexes the bundled notes and curated READMEs. The runtime stage carries
# the same virtualenv without torch and what only the export needs, plus the export and index.
# Any Debian-like base with python3 (3.11 or later) and its venv module works, e.g.
#   docker build --build-arg BASE=my-registry/debian-python .
# With wheelhouse/ filled (`make wheelhouse`), the build needs no network at all.
ARG BASE=python:3.11-slim

FROM ${BASE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    ORT_DISABLE_TELEMETRY=1 \
    PATH=/opt/ragnotes/bin:$PATH \
    RAGNOTES_DATA_DIR=/data
RUN python3 -m venv /opt/ragnotes
COPY wheelhouse/ /wheelhouse/
# The dependencies first, in their own layer, so a change to the sources reuses it. pip reads
# only the wheelhouse when it has wheels; else torch's CPU wheel comes from the PyTorch index
# (PyPI's torch pulls gigabytes of CUDA libraries) and the rest from PyPI.
COPY pyproject.toml /src/
RUN if ls /wheelhouse/*.whl >/dev/null 2>&1; then set -- --no-index --find-links /wheelhouse; \
    else pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu; fi \
    && python3 -c "import tomllib; print(*tomllib.load(open('/src/pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" > /tmp/requirements.txt \
    && pip install "$@" -r /tmp/requirements.txt 'setuptools>=69'
COPY README.md /src/
COPY corpus /src/corpus
COPY index /src/index
COPY service /src/service
COPY answers /src/answers
COPY ragnotes /src/ragnotes
COPY eval /src/eval
RUN if ls /wheelhouse/*.whl >/dev/null 2>&1; then set -- --no-index --find-links /wheelhouse; fi \
    && pip install "$@" --no-deps --no-build-isolation /src
# READMEs from the wheelhouse when it has them, else from GitHub, else the notes alone.
# Indexing makes the ONNX export into /data/models on the way.
RUN if [ -d /wheelhouse/readmes ]; then \
        ragnotes readmes sync --from /wheelhouse/readmes; \
    else \
        ragnotes readmes sync || echo "READMEs not synced: the image indexes the notes alone"; \
    fi \
    && ragnotes index

FROM builder AS slim
# Only the export (and RAGNOTES_BACKEND=torch) use these; the runtime runs the exported model.
RUN pip uninstall --yes torch sentence-transformers transformers scikit-learn onnx sympy \
    mpmath networkx

FROM ${BASE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    ORT_DISABLE_TELEMETRY=1 \
    PATH=/opt/ragnotes/bin:$PATH \
    RAGNOTES_DATA_DIR=/data \
    RAGNOTES_ALLOWED_HOSTS=localhost,127.0.0.1
RUN useradd --system --uid 10001 --no-create-home --home-dir /data ragnotes
COPY --from=slim /opt/ragnotes /opt/ragnotes
COPY --from=builder --chown=ragnotes:ragnotes /data /data
USER ragnotes
WORKDIR /data
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request as u; sys.exit(u.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
# One worker: the model and the index live in the process's memory. It listens on every
# address inside the container and answers to the Host names in RAGNOTES_ALLOWED_HOSTS; publish
# it on loopback (-p 127.0.0.1:8000:8000), or set RAGNOTES_API_TOKEN to expose it further.
# Re-indexing over HTTP stays off unless RAGNOTES_ADMIN_TOKEN is set.
CMD ["ragnotes", "serve", "--host", "0.0.0.0", "--port", "8000"]
