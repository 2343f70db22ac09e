"""Engine selection and the per-process engine cache.

Loading a 2B-parameter model takes seconds to minutes and gigabytes of memory, so each worker
process loads it once, on first use, and reuses it for every later task. Nothing heavy is imported
here: torch, transformers and httpx are imported by the engine modules when an engine is built.
"""

from __future__ import annotations

import threading

from inference_worker.config import WorkerConfig
from inference_worker.engines.base import Engine
from inference_worker.types import ModelLoadError

__all__ = ["Engine", "clear_engine_cache", "get_engine"]

_engines: dict[WorkerConfig, Engine] = {}
# Serialises loading so two threads asking at once do not both load the model.
_lock = threading.Lock()


def get_engine(cfg: WorkerConfig | None = None) -> Engine:
    """The engine for ``cfg`` (default: `WorkerConfig.from_env()`), loaded once per process.

    Raises `ModelLoadError` when the model cannot be loaded. A failed load is not cached, so a
    later call tries again (after the model has been fetched, for instance).
    """
    cfg = WorkerConfig.from_env() if cfg is None else cfg
    with _lock:
        engine = _engines.get(cfg)
        if engine is None:
            engine = _build(cfg)
            _engines[cfg] = engine
        return engine


def clear_engine_cache() -> None:
    """Forget loaded engines (tests; or to free memory before loading another model)."""
    with _lock:
        _engines.clear()


def _build(cfg: WorkerConfig) -> Engine:
    if cfg.backend == "openai":
        from inference_worker.engines.openai_engine import OpenAIEngine

        return OpenAIEngine(cfg)
    if cfg.backend == "transformers":
        try:
            from inference_worker.engines.transformers_engine import TransformersEngine
        except ImportError as exc:
            raise ModelLoadError(
                f"the transformers backend needs torch and transformers installed ({exc})"
            ) from exc
        return TransformersEngine.load(cfg)
    raise ModelLoadError(f"unknown backend {cfg.backend!r}")
