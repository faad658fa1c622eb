# media-infra: `make demo` runs the main job on the embedded local stack; `make test` runs the tests.
PYTHON ?= python3
APT_PACKAGES := ffmpeg clamav clamav-daemon varnish varnish-modules libchromaprint-tools \
                prometheus prometheus-alertmanager
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: help deps install lint typecheck test unit integration demo down bench image-check clean

help:
	@echo "make demo   - bring up the embedded local stack and run the sample media through it"
	@echo "make test   - lint, type-check and run every test tier (installs what is missing)"
	@echo "make bench  - run the benchmarks in bench/ (JSON in bench/results/)"
	@echo "make image-check - the worker image's contents in a clean venv (no Docker needed)"

deps:  ## Debian packages the workers and the local stack need (skipped when present)
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

install: deps  ## the package, editable, with the dev extras
	@$(PYTHON) -m pip install -q -e ".[dev]"

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

typecheck:
	$(PYTHON) -m mypy

test: install lint typecheck
	$(PYTHON) -m pytest $(PYTEST_ARGS)

unit: install
	$(PYTHON) -m pytest tests/unit $(PYTEST_ARGS)

integration: install
	$(PYTHON) -m pytest tests/integration $(PYTEST_ARGS)

demo: install
	mediainfra local demo

down:
	mediainfra local down

bench: install
	$(PYTHON) bench/audio.py
	$(PYTHON) bench/ingest.py

IMAGE_CHECK := .out/image-check
IMAGE_VERBS := "worker run" "origin serve" uploads-api scan "audio transcode" "image optimize" \
               dedup "drill pitr" "cache warm"

image-check:  ## what workers/Dockerfile copies, installed (core deps only) into a clean venv
	@rm -rf $(IMAGE_CHECK) && mkdir -p $(IMAGE_CHECK)/app
	@cp -r $$(awk '/^COPY/ {for (i = 2; i < NF; i++) print $$i}' workers/Dockerfile) $(IMAGE_CHECK)/app/
	@$(PYTHON) -m venv $(IMAGE_CHECK)/venv
	@$(IMAGE_CHECK)/venv/bin/pip install -q ./$(IMAGE_CHECK)/app
	@for verb in $(IMAGE_VERBS); do \
	  $(IMAGE_CHECK)/venv/bin/mediainfra $$verb --help >/dev/null || { echo "image: mediainfra $$verb fails"; exit 1; }; \
	done
	@if $(IMAGE_CHECK)/venv/bin/python -c "import pulumi" 2>/dev/null; then echo "image: pulumi is installed"; exit 1; fi
	@echo "worker image contents: every entry point loads, no Pulumi"

clean:
	rm -rf .local-stack .out bench/results .pytest_cache .mypy_cache .ruff_cache
