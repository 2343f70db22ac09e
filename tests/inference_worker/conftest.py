"""Fixtures for the inference worker tests: a tiny Qwen3-VL built once per session, offline."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Tests never download: set before anything imports huggingface_hub, which reads it at import.
os.environ["HF_HUB_OFFLINE"] = "1"
if "huggingface_hub.constants" in sys.modules:
    sys.modules["huggingface_hub.constants"].HF_HUB_OFFLINE = True
# Busy-waiting OpenMP threads make torch crawl when other processes share the CPU (parallel test
# runs, a developer's other work); passive waiting keeps these tests fast there. Only effective
# if torch is not imported yet.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from inference_worker.config import WorkerConfig  # noqa: E402 - after the offline switch
from tests.inference_worker.tiny_settings import (  # noqa: E402
    TINY_MAX_NEW_TOKENS,
    TINY_MAX_PIXELS,
    TINY_MIN_PIXELS,
)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Qwen3-VL checkpoint, built once for the test session."""
    pytest.importorskip("torch")
    from inference_worker.testing.build_tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-qwen3vl"))


@pytest.fixture(scope="session")
def tiny_config(tiny_model_dir: Path) -> WorkerConfig:
    return WorkerConfig(
        model=str(tiny_model_dir),
        device="cpu",
        min_pixels=TINY_MIN_PIXELS,
        max_pixels=TINY_MAX_PIXELS,
        max_new_tokens=TINY_MAX_NEW_TOKENS,
        batch_size=4,
    )


@pytest.fixture(scope="session")
def tiny_engine(tiny_config: WorkerConfig):  # type: ignore[no-untyped-def]
    """The production transformers engine, loaded on the tiny model (through the cache)."""
    from inference_worker.engines import get_engine

    return get_engine(tiny_config)
