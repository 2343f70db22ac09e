"""This deployment's inference configuration and the model identity its drafts are recorded with.

The rules that turn a configuration into an identity live in `inference_worker.identity`, where the engine uses them
too: the identity the web tier queues a draft under is the one the engine reports on its result. This module only
supplies the configuration (`settings.DERMREVIEW_WORKER_CONFIG`, parsed from the DERMREVIEW_* environment by
`inference_worker`); it never loads the model, so the web tier never imports torch.
"""

from __future__ import annotations

from django.conf import settings

from inference_worker import WorkerConfig
from inference_worker.identity import DEMO_MODEL_ID, TEST_MODEL_IDS, TINY_MODEL_ID, ModelIdentity
from inference_worker.identity import model_identity as identity_of

__all__ = ["DEMO_MODEL_ID", "TEST_MODEL_IDS", "TINY_MODEL_ID", "ModelIdentity", "model_identity", "worker_config"]


def worker_config() -> WorkerConfig:
    """The inference configuration of this deployment (the same object the worker hands to `get_engine`)."""
    return settings.DERMREVIEW_WORKER_CONFIG


def model_identity(cfg: WorkerConfig | None = None) -> ModelIdentity:
    """The (model id, revision, prompt version, backend) that drafts made under `cfg` (default: this deployment's
    configuration) are recorded with."""
    return identity_of(worker_config() if cfg is None else cfg)
