"""The in-process transformers engine, run for real on the tiny Qwen3-VL."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from inference_worker import DraftResult, FailureKind, Finding, ImageInput, ModelLoadError, parse_reply
from inference_worker.config import WorkerConfig
from inference_worker.engines import clear_engine_cache, get_engine
from inference_worker.identity import TINY_MODEL_ID
from tests.inference_worker.images import solid_image
from tests.inference_worker.tiny_settings import TINY_MAX_PIXELS

pytest.importorskip("torch")


PROMPT_VERSION = WorkerConfig().profile.prompt_version_for("schema")


def _assert_valid_draft(result: DraftResult, key: str, batch_size: int) -> None:
    assert result.key == key
    assert result.ok, (result.failure_kind, result.failure_message, result.raw_text)
    assert isinstance(result.finding, Finding)
    assert result.failure_kind is None and result.failure_message == ""
    assert parse_reply(result.raw_text, hit_token_limit=False) == result.finding
    assert result.backend == "transformers"
    assert result.prompt_version == PROMPT_VERSION
    assert result.batch_size == batch_size
    assert result.prompt_tokens > 0 and result.output_tokens > 0
    assert result.preprocess_ms > 0 and result.generate_ms > 0


def test_transformers_engine_batch_of_mixed_sizes_gives_valid_findings(tiny_engine, tiny_config) -> None:
    sizes = [(640, 480), (300, 900), (1200, 1200)]
    inputs = [
        ImageInput(key=f"img-{i}", image=solid_image(w, h, shade=i * 40)) for i, (w, h) in enumerate(sizes)
    ]

    results = tiny_engine.generate(inputs)

    assert [r.key for r in results] == ["img-0", "img-1", "img-2"]
    for result, item in zip(results, inputs, strict=True):
        _assert_valid_draft(result, item.key, batch_size=3)
        assert result.model_id == TINY_MODEL_ID  # the engine's identity, as the web tier records it
        assert result.output_tokens < tiny_config.max_new_tokens


def test_transformers_engine_splits_inputs_into_configured_batches(tiny_engine, tiny_config) -> None:
    assert tiny_config.batch_size == 4
    inputs = [ImageInput(key=str(i), image=solid_image(64 + 8 * i, 64, shade=i)) for i in range(6)]

    results = tiny_engine.generate(inputs)

    assert [r.key for r in results] == [str(i) for i in range(6)]
    assert [r.batch_size for r in results] == [4, 4, 4, 4, 2, 2]
    assert all(r.ok for r in results)


def test_transformers_engine_bounds_image_tokens_of_a_large_photo(tiny_engine) -> None:
    small, large = tiny_engine.generate(
        [
            ImageInput(key="small", image=solid_image(64, 64)),
            ImageInput(key="large", image=solid_image(4000, 3000)),
        ]
    )
    # The prompt text is identical, so the difference is visual tokens only.
    small_visual = 2 * 2  # 64x64 is lifted to the 4-token minimum of the test config
    large_visual = large.prompt_tokens - (small.prompt_tokens - small_visual)
    assert large_visual <= TINY_MAX_PIXELS // (32 * 32)
    assert large_visual >= TINY_MAX_PIXELS // (32 * 32) // 2
    assert large.ok


def test_transformers_engine_reports_truncation_at_the_token_limit(tiny_config) -> None:
    engine = get_engine(dataclasses.replace(tiny_config, max_new_tokens=12))

    (result,) = engine.generate([ImageInput(key="t", image=solid_image(96, 96))])

    assert result.failure_kind is FailureKind.TRUNCATED
    assert result.finding is None
    assert result.output_tokens == 12
    assert result.raw_text.startswith("{")


def test_transformers_engine_bad_image_fails_only_that_item(tiny_engine) -> None:
    results = tiny_engine.generate(
        [
            ImageInput(key="sliver", image=solid_image(8000, 20)),
            ImageInput(key="fine", image=solid_image(64, 64)),
        ]
    )
    assert results[0].failure_kind is FailureKind.ENGINE_ERROR
    assert "aspect ratio" in results[0].failure_message
    assert results[1].ok


def test_transformers_engine_loaded_once_per_process(tiny_config, monkeypatch) -> None:
    from inference_worker.engines.transformers_engine import TransformersEngine

    loads: list[WorkerConfig] = []
    real_load = TransformersEngine.load.__func__  # type: ignore[attr-defined]

    def counting_load(cls, cfg):  # type: ignore[no-untyped-def]
        loads.append(cfg)
        return real_load(cls, cfg)

    monkeypatch.setattr(TransformersEngine, "load", classmethod(counting_load))
    cfg = dataclasses.replace(tiny_config, batch_size=2)  # a config no other test has loaded

    first = get_engine(cfg)
    second = get_engine(dataclasses.replace(tiny_config, batch_size=2))

    assert second is first
    assert len(loads) == 1
    clear_engine_cache()
    assert get_engine(cfg) is not first
    assert len(loads) == 2


def test_transformers_engine_missing_model_dir_raises_model_load_error(tmp_path: Path) -> None:
    missing = tmp_path / "models" / "not-fetched"
    started = time.perf_counter()
    with pytest.raises(ModelLoadError) as raised:
        get_engine(WorkerConfig(model=str(missing), device="cpu"))
    assert str(missing) in raised.value.reason
    assert time.perf_counter() - started < 5


def test_transformers_engine_uncached_hub_model_offline_raises_model_load_error() -> None:
    started = time.perf_counter()
    with pytest.raises(ModelLoadError) as raised:
        get_engine(WorkerConfig(model="dermreview-tests/no-such-model", device="cpu"))
    assert "dermreview-tests/no-such-model" in raised.value.reason
    assert "HF_HUB_OFFLINE" in raised.value.reason
    assert time.perf_counter() - started < 30


def test_transformers_engine_from_components_reports_the_revision_it_is_given(tiny_engine, tiny_config) -> None:
    from inference_worker.engines.transformers_engine import TransformersEngine

    # The benchmark's full-size random model is built in memory and has no revision of its own.
    engine = TransformersEngine.from_components(
        tiny_config, model=tiny_engine.model, processor=tiny_engine.processor, model_revision="random"
    )
    assert (engine.identity.model_id, engine.identity.model_revision) == (TINY_MODEL_ID, "random")
    [result] = engine.generate([ImageInput(key="one", image=solid_image(64, 64))])
    assert (result.model_id, result.model_revision, result.prompt_version) == (
        TINY_MODEL_ID, "random", PROMPT_VERSION)


def test_transformers_engine_drafts_carry_the_resolved_revision(tiny_engine, tiny_config) -> None:
    from inference_worker.engines.transformers_engine import TransformersEngine

    engine = TransformersEngine.from_components(
        tiny_config, model=tiny_engine.model, processor=tiny_engine.processor,
        resolved_revision="adapter 3f2a on base Qwen/Qwen3-VL-2B-Instruct@9c1b",
    )
    [result] = engine.generate([ImageInput(key="one", image=solid_image(64, 64))])
    assert result.resolved_revision == "adapter 3f2a on base Qwen/Qwen3-VL-2B-Instruct@9c1b"
    assert result.model_revision == tiny_engine.identity.model_revision  # the queued identity is unchanged
    [loaded] = tiny_engine.generate([ImageInput(key="two", image=solid_image(64, 64))])
    assert loaded.resolved_revision == tiny_engine.resolved_revision
