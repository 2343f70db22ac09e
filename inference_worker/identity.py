"""Which model a draft is made by, worked out from the configuration alone (no torch, no model load).

A draft is unique per (image, model id, revision, prompt version). The web tier records that identity when it
queues the draft, and the engine reports it on every result; both call `model_identity` on the same
`WorkerConfig`, so they agree by construction. The prompt version is the prompt profile's (its name, version and
content hash, see `inference_worker.profile`) plus the decoding mode, e.g. ``card@1+8985a6/schema``: a new
instruction, key spelling or grammar layout, or another decoding mode, starts a new version. The model id and
revision are:

- a hub id (``DERMREVIEW_MODEL=org/name``): that id and ``DERMREVIEW_MODEL_REVISION`` as configured. Pin the
  revision to a commit in production; a branch name such as ``main`` cannot tell two snapshots apart.
- a local directory fetched by ``python -m inference_worker.fetch DIR``: the hub id and commit recorded in
  ``DIR/dermreview_revision.txt``, so an offline copy records the same identity as the hub model it came from.
- the tiny random test model (`inference_worker.testing.build_tiny_model`): `TINY_MODEL_ID`, revision
  `TINY_MODEL_REVISION`, so its meaningless drafts can never be mistaken for the real model's, whatever the path.
- the demo model trained on synthetic drawings (`inference_worker.testing.demo_model`): `DEMO_MODEL_ID`, revision
  ``demo-<recipe hash>``; a test model too (`is_test_model`), whose drafts are readable but mean nothing for a
  real photo.
- any other local directory: ``local:<directory name>`` and the configured revision.
- the OpenAI-compatible backend: the served model name and the configured revision.

The identity's fields are cut to the lengths the Django side stores.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from inference_worker.config import WorkerConfig
from inference_worker.types import BackendName

# Written by `inference_worker.fetch` into a fetched model directory: "<hub id>@<commit>".
REVISION_FILE = "dermreview_revision.txt"

# Written by the tiny-model builder (`inference_worker.testing.build_tiny_model`) into the model directory.
TINY_MODEL_MARKER_FILE = "dermreview_tiny_model.json"
TINY_MODEL_MARKER_KIND = "dermreview-tiny-qwen3vl"
TINY_MODEL_ID = "tiny-random-qwen3vl (test model)"
TINY_MODEL_REVISION = "test-model"
# The demo model (`inference_worker.testing.demo_model`) carries the same marker kind with this variant: trained on
# synthetic drawings, it drafts something readable, and must still never pass for the real model.
DEMO_MODEL_VARIANT = "demo-synthetic"
DEMO_MODEL_ID = "demo-qwen3vl (synthetic demo model)"
TEST_MODEL_IDS = frozenset({TINY_MODEL_ID, DEMO_MODEL_ID})

_MODEL_ID_LENGTH = 200
_REVISION_LENGTH = 100


@dataclass(frozen=True, slots=True)
class ModelIdentity:
    """What a draft records about the model that wrote it."""

    model_id: str
    model_revision: str
    prompt_version: str
    backend: BackendName
    is_test_model: bool = False


def model_identity(cfg: WorkerConfig) -> ModelIdentity:
    """The identity drafts made under ``cfg`` are recorded with (see the module docstring)."""
    if cfg.backend == "openai":
        return _identity(cfg.served_model_name, cfg.model_revision, cfg)
    path = Path(cfg.model).expanduser()
    if path.is_dir():
        marker = _test_model_marker(path)
        if marker is not None:
            if marker.get("variant") == DEMO_MODEL_VARIANT:
                return _identity(DEMO_MODEL_ID, f"demo-{marker.get('recipe', 'unknown')}", cfg, is_test_model=True)
            return _identity(TINY_MODEL_ID, TINY_MODEL_REVISION, cfg, is_test_model=True)
        recorded = fetched_revision(path)
        if recorded is not None:
            return _identity(*recorded, cfg)
        return _identity(f"local:{path.resolve().name}", cfg.model_revision, cfg)
    return _identity(cfg.model, cfg.model_revision, cfg)


def _identity(model_id: str, revision: str, cfg: WorkerConfig, *, is_test_model: bool = False) -> ModelIdentity:
    prompt_version = cfg.profile.prompt_version_for(cfg.decoding)
    return ModelIdentity(model_id[:_MODEL_ID_LENGTH], revision[:_REVISION_LENGTH], prompt_version, cfg.backend,
                         is_test_model=is_test_model)


def fetched_revision(path: Path) -> tuple[str, str] | None:
    """(hub id, commit) recorded by `inference_worker.fetch` in ``path``, or None when there is no valid record."""
    try:
        text = (path / REVISION_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    model_id, sep, revision = text.rpartition("@")
    if not sep or not model_id or not revision:
        return None
    return model_id, revision


def _test_model_marker(path: str | Path) -> dict[str, object] | None:
    """The marker a test-model builder (the random tiny model, the demo model) wrote into ``path``, if any."""
    try:
        data = json.loads((Path(path) / TINY_MODEL_MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("kind") == TINY_MODEL_MARKER_KIND else None


def is_tiny_model(path: str | Path) -> bool:
    """True when ``path`` is a local directory built by a test-model builder (the random tiny model or the demo
    model, any builder version)."""
    return _test_model_marker(path) is not None
