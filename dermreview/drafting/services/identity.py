"""Which model a draft is for, worked out without loading the model (the web tier never imports torch).

A draft is unique per (image, model id, revision, prompt version). The web tier creates the row when the photo is
uploaded and the worker fills it in, so both must derive the same identity from the same configuration
(`settings.DERMREVIEW_WORKER_CONFIG`, parsed from the DERMREVIEW_* environment by `inference_worker`):

- a hub id (`DERMREVIEW_MODEL=org/name`): that id and `DERMREVIEW_MODEL_REVISION` as configured. Pin the revision to
  a commit in production; a branch name such as `main` cannot tell two snapshots apart.
- a local directory fetched by `python -m inference_worker.fetch DIR`: the hub id and commit recorded in
  `DIR/dermreview_revision.txt`, so an offline copy records the same identity as the hub model it came from.
- the tiny random test model (`inference_worker.testing.build_tiny_model`): `tiny-random-qwen3vl (test model)`,
  revision `test-model`, so its meaningless drafts can never be mistaken for the real model's, whatever the path.
- any other local directory: `local:<directory name>` and the configured revision.
- the OpenAI-compatible backend: the served model name and the configured revision.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from inference_worker import PROMPT_VERSION, WorkerConfig
from inference_worker.fetch import REVISION_FILE
from inference_worker.testing.build_tiny_model import is_tiny_model

TINY_MODEL_ID = "tiny-random-qwen3vl (test model)"
TINY_MODEL_REVISION = "test-model"


@dataclass(frozen=True, slots=True)
class ModelIdentity:
    model_id: str
    model_revision: str
    prompt_version: str
    backend: str
    is_test_model: bool = False


def worker_config() -> WorkerConfig:
    """The inference configuration of this deployment (the same object the worker hands to `get_engine`)."""
    return settings.DERMREVIEW_WORKER_CONFIG


def model_identity(cfg: WorkerConfig | None = None) -> ModelIdentity:
    """The (model id, revision, prompt version) that drafts made under `cfg` are recorded with."""
    cfg = worker_config() if cfg is None else cfg
    if cfg.backend == "openai":
        return ModelIdentity(cfg.served_model_name[:200], cfg.model_revision[:100], PROMPT_VERSION, cfg.backend)
    path = Path(cfg.model).expanduser()
    if path.is_dir():
        if is_tiny_model(path):
            return ModelIdentity(TINY_MODEL_ID, TINY_MODEL_REVISION, PROMPT_VERSION, cfg.backend, is_test_model=True)
        recorded = _fetched_revision(path)
        if recorded is not None:
            model_id, revision = recorded
            return ModelIdentity(model_id[:200], revision[:100], PROMPT_VERSION, cfg.backend)
        return ModelIdentity(f"local:{path.resolve().name}"[:200], cfg.model_revision[:100], PROMPT_VERSION,
                             cfg.backend)
    return ModelIdentity(cfg.model[:200], cfg.model_revision[:100], PROMPT_VERSION, cfg.backend)


def _fetched_revision(path: Path) -> tuple[str, str] | None:
    try:
        text = (path / REVISION_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    model_id, sep, revision = text.rpartition("@")
    if not sep or not model_id or not revision:
        return None
    return model_id, revision
