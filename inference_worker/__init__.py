"""DermReview inference worker: skin-lesion photo in, draft finding out, for human review.

A plain Python package that never imports Django. The Django side calls it like this::

    from inference_worker import WorkerConfig, ImageInput, get_engine

    cfg = WorkerConfig.from_env()
    engine = get_engine(cfg)  # loaded once per process
    results = engine.generate([ImageInput(key="42", image=pil_image)])

Importing this package does not import torch or transformers: the web tier, which has neither,
can use the config, the types, the schema, the prompt profiles and the parser. The engines import
them when built.
"""

from __future__ import annotations

from inference_worker.config import WorkerConfig
from inference_worker.engines import Engine, get_engine
from inference_worker.identity import ModelIdentity, model_identity
from inference_worker.parse import ParseFailure, parse_reply
from inference_worker.profile import PromptProfile, available_profiles, load_profile
from inference_worker.schema import FINDING_FIELDS, Finding, finding_json_schema
from inference_worker.types import DraftResult, FailureKind, ImageInput, ModelLoadError

__all__ = [
    "FINDING_FIELDS",
    "DraftResult",
    "Engine",
    "FailureKind",
    "Finding",
    "ImageInput",
    "ModelIdentity",
    "ModelLoadError",
    "ParseFailure",
    "PromptProfile",
    "WorkerConfig",
    "available_profiles",
    "finding_json_schema",
    "get_engine",
    "load_profile",
    "model_identity",
    "parse_reply",
]
