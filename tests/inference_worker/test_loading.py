"""Loading each weights layout for real, offline: merged weights, a LoRA adapter merged into a cached copy,
and the layouts that cannot load here (bitsandbytes on the CPU, GGUF only, a missing directory)."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from pathlib import Path
from typing import Any

import pytest

from inference_worker import ImageInput, ModelLoadError
from inference_worker.config import WorkerConfig
from inference_worker.loading import LoadedModel, WeightsLayout, detect_layout, load_pretrained
from inference_worker.merge_cache import MERGE_RECORD
from tests.inference_worker.images import solid_image

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

CPU = torch.device("cpu")
Q_PROJ = "model.language_model.layers.0.self_attn.q_proj.weight"
_LORA_PREFIX = "base_model.model.model.language_model.layers.0.self_attn.q_proj"


@pytest.fixture(scope="module")
def adapter_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from inference_worker.testing.build_tiny_adapter import build_tiny_adapter

    return build_tiny_adapter(tiny_model_dir, tmp_path_factory.mktemp("adapters") / "tiny-lora")


def _config(model: Path | str, cache: Path) -> WorkerConfig:
    return WorkerConfig(model=str(model), device="cpu", model_cache_dir=str(cache))


def _load(cfg: WorkerConfig) -> LoadedModel:
    return load_pretrained(cfg, device=CPU, dtype=torch.float32)


def _manual_merge(base_dir: Path, adapter: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """The q_proj weight of layer 0 merged by hand: W + (alpha / r) * B @ A."""
    from safetensors.torch import load_file
    from transformers import AutoModelForImageTextToText

    base = AutoModelForImageTextToText.from_pretrained(str(base_dir), dtype=torch.float32)
    weight = base.get_parameter(Q_PROJ).detach().clone()
    lora = load_file(str(adapter / "adapter_model.safetensors"))
    config = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    delta = lora[f"{_LORA_PREFIX}.lora_B.weight"] @ lora[f"{_LORA_PREFIX}.lora_A.weight"]
    return weight, weight + delta * (config["lora_alpha"] / config["r"])


def _merge_record(source: str) -> dict[str, Any]:
    return json.loads((Path(source) / MERGE_RECORD).read_text(encoding="utf-8"))


def test_loading_merged_weights_load_as_they_are(tiny_model_dir: Path, tmp_path: Path) -> None:
    loaded = _load(_config(tiny_model_dir, tmp_path / "merged"))

    assert loaded.layout is WeightsLayout.MERGED
    assert loaded.source == str(tiny_model_dir)
    assert loaded.resolved_revision == ""  # a plain local directory records no commit
    assert not (tmp_path / "merged").exists()  # nothing to merge, nothing cached


def test_loading_adapter_is_merged_into_its_base_and_cached(
    tiny_model_dir: Path, adapter_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = _config(adapter_dir, tmp_path / "merged")
    caplog.set_level(logging.INFO, logger="inference_worker")

    loaded = _load(cfg)

    assert detect_layout(str(adapter_dir)) is WeightsLayout.ADAPTER
    assert loaded.layout is WeightsLayout.ADAPTER
    base_weight, expected = _manual_merge(tiny_model_dir, adapter_dir)
    merged_weight = loaded.model.get_parameter(Q_PROJ).detach()
    assert not torch.allclose(merged_weight, base_weight, atol=1e-3)  # the adapter changed the weights...
    torch.testing.assert_close(merged_weight, expected, atol=1e-6, rtol=1e-5)  # ...by exactly its delta, once
    assert Path(loaded.source).parent == tmp_path / "merged"
    record = _merge_record(loaded.source)
    assert record["base_id"] == f"local:{tiny_model_dir.name}" and record["dtype"] == "float32"
    assert record["adapter_revision"].startswith("sha256:") and record["peft_version"]
    assert loaded.resolved_revision == (
        f"adapter {record['adapter_revision']} on base local:{tiny_model_dir.name}@{record['base_revision']}"
    )
    assert not (Path(loaded.source) / "adapter_config.json").exists()  # an ordinary checkpoint now
    assert loaded.processor.tokenizer.model_max_length == 4096  # the base's: the adapter has no processor
    assert "using merged cache" not in caplog.text


def test_loading_adapter_second_load_reads_the_cache_without_merging(
    adapter_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = _config(adapter_dir, tmp_path / "merged")
    first = _load(cfg)
    record = _merge_record(first.source)
    weights = Path(first.source) / "model.safetensors"
    written = weights.stat().st_mtime_ns
    caplog.clear()
    caplog.set_level(logging.INFO, logger="inference_worker")

    second = _load(cfg)

    assert second.source == first.source
    assert _merge_record(second.source) == record  # same creation time: not merged again
    assert weights.stat().st_mtime_ns == written
    assert "using merged cache" in caplog.text and "merging" not in caplog.text
    assert torch.equal(second.model.get_parameter(Q_PROJ), first.model.get_parameter(Q_PROJ))


def test_loading_adapter_merge_depends_on_dtype(adapter_dir: Path, tmp_path: Path) -> None:
    cfg = _config(adapter_dir, tmp_path / "merged")
    full = _load(cfg)

    half = load_pretrained(cfg, device=CPU, dtype=torch.bfloat16)

    assert half.source != full.source  # a bf16 merge is not a float32 one
    assert half.model.get_parameter(Q_PROJ).dtype == torch.bfloat16
    assert _merge_record(half.source)["dtype"] == "bfloat16"


def test_loading_adapter_drafts_through_the_engine(
    adapter_dir: Path, tiny_config: WorkerConfig, tmp_path: Path
) -> None:
    from inference_worker.engines.transformers_engine import TransformersEngine

    cfg = dataclasses.replace(tiny_config, model=str(adapter_dir), model_cache_dir=str(tmp_path / "merged"))
    loaded = _load(cfg)
    engine = TransformersEngine.from_components(cfg, model=loaded.model, processor=loaded.processor)

    results = engine.generate(
        [ImageInput(key="a", image=solid_image(64, 64)), ImageInput(key="b", image=solid_image(96, 64))]
    )

    assert [result.key for result in results] == ["a", "b"]
    assert all(result.ok for result in results), [
        (result.failure_kind, result.raw_text) for result in results
    ]


def test_loading_adapter_uses_its_own_processor_when_it_has_one(tiny_model_dir: Path, tmp_path: Path) -> None:
    from inference_worker.testing.build_tiny_adapter import build_tiny_adapter

    adapter = build_tiny_adapter(tiny_model_dir, tmp_path / "with-processor", processor_max_length=1234)

    loaded = _load(_config(adapter, tmp_path / "merged"))

    assert loaded.processor.tokenizer.model_max_length == 1234


def test_loading_adapter_base_model_setting_overrides_the_adapters_base(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    from inference_worker.testing.build_tiny_adapter import build_tiny_adapter

    missing_base = tmp_path / "colab" / "unsloth-base"
    adapter = build_tiny_adapter(tiny_model_dir, tmp_path / "lora", base_model_name=str(missing_base))
    cfg = _config(adapter, tmp_path / "merged")

    with pytest.raises(ModelLoadError) as raised:
        _load(cfg)
    assert str(missing_base) in raised.value.reason and "DERMREVIEW_BASE_MODEL" in raised.value.reason

    loaded = _load(dataclasses.replace(cfg, base_model=str(tiny_model_dir)))
    assert loaded.layout is WeightsLayout.ADAPTER
    assert f"on base local:{tiny_model_dir.name}@" in loaded.resolved_revision


def test_loading_adapter_on_an_uncached_hub_base_offline_names_the_fix(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    from inference_worker.testing.build_tiny_adapter import build_tiny_adapter

    adapter = build_tiny_adapter(
        tiny_model_dir, tmp_path / "lora", base_model_name="dermreview-tests/no-such-base"
    )

    with pytest.raises(ModelLoadError) as raised:
        _load(_config(adapter, tmp_path / "merged"))

    assert "dermreview-tests/no-such-base" in raised.value.reason
    assert "HF_HUB_OFFLINE" in raised.value.reason
    assert not (tmp_path / "merged").exists()


def test_loading_concurrent_merges_leave_one_valid_cache(
    adapter_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = _config(adapter_dir, tmp_path / "merged")
    caplog.set_level(logging.INFO, logger="inference_worker")
    loaded: list[LoadedModel] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def load() -> None:
        start.wait()
        try:
            loaded.append(_load(cfg))
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=load) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert errors == [] and len(loaded) == 2
    assert loaded[0].source == loaded[1].source
    assert [path.name for path in (tmp_path / "merged").iterdir() if path.is_dir()] == [
        Path(loaded[0].source).name
    ]
    assert caplog.text.count("merged adapter") == 1 and caplog.text.count("using merged cache") == 1
    assert torch.equal(loaded[0].model.get_parameter(Q_PROJ), loaded[1].model.get_parameter(Q_PROJ))


def test_loading_bitsandbytes_checkpoint_on_cpu_names_the_fix(tiny_model_dir: Path, tmp_path: Path) -> None:
    quantised = _bitsandbytes_copy(tiny_model_dir, tmp_path / "bnb-4bit")

    with pytest.raises(ModelLoadError) as raised:
        _load(_config(quantised, tmp_path / "merged"))

    assert detect_layout(str(quantised)) is WeightsLayout.BITSANDBYTES
    assert "bitsandbytes" in raised.value.reason and "DERMREVIEW_BASE_MODEL" in raised.value.reason
    assert "CUDA" in raised.value.reason


def test_loading_bitsandbytes_checkpoint_without_the_package_names_the_fix(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    import importlib.util

    if importlib.util.find_spec("bitsandbytes") is not None:
        pytest.skip("bitsandbytes is installed here, so a CUDA device would load the checkpoint")
    quantised = _bitsandbytes_copy(tiny_model_dir, tmp_path / "bnb-4bit")
    cfg = _config(quantised, tmp_path / "merged")

    with pytest.raises(ModelLoadError) as raised:
        load_pretrained(cfg, device=torch.device("cuda"), dtype=torch.bfloat16)

    assert "bitsandbytes is not installed" in raised.value.reason


def test_loading_adapter_on_a_bitsandbytes_base_on_cpu_names_the_full_precision_base(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    from inference_worker.testing.build_tiny_adapter import build_tiny_adapter

    quantised = _bitsandbytes_copy(tiny_model_dir, tmp_path / "bnb-4bit")
    adapter = build_tiny_adapter(tiny_model_dir, tmp_path / "lora", base_model_name=str(quantised))

    with pytest.raises(ModelLoadError) as raised:
        _load(_config(adapter, tmp_path / "merged"))

    reason = raised.value.reason
    assert (
        "bitsandbytes" in reason
        and "DERMREVIEW_BASE_MODEL" in reason
        and "Qwen/Qwen3-VL-2B-Instruct" in reason
    )
    assert not (tmp_path / "merged").exists()


def test_loading_gguf_only_repository_names_the_alternatives(tmp_path: Path) -> None:
    gguf = tmp_path / "gguf-only"
    gguf.mkdir()
    (gguf / "model-Q4_K_M.gguf").write_bytes(b"GGUF\x03\x00\x00\x00")

    with pytest.raises(ModelLoadError) as raised:
        _load(_config(gguf, tmp_path / "merged"))

    assert "GGUF" in raised.value.reason and "DERMREVIEW_BACKEND=openai" in raised.value.reason


def test_loading_missing_directory_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "models" / "not-fetched"

    with pytest.raises(ModelLoadError) as raised:
        _load(_config(missing, tmp_path / "merged"))

    assert str(missing) in raised.value.reason


def test_loading_uncached_hub_model_offline_names_the_model_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError) as raised:
        _load(_config("dermreview-tests/no-such-model", tmp_path / "merged"))

    assert "dermreview-tests/no-such-model" in raised.value.reason and "'main'" in raised.value.reason
    assert "HF_HUB_OFFLINE" in raised.value.reason


def _bitsandbytes_copy(tiny_model_dir: Path, target: Path) -> Path:
    """The tiny model's config marked as a 4-bit checkpoint (no weights: the layout is refused first)."""
    target.mkdir()
    config = json.loads((tiny_model_dir / "config.json").read_text(encoding="utf-8"))
    config["quantization_config"] = {
        "quant_method": "bitsandbytes",
        "load_in_4bit": True,
        "bnb_4bit_quant_type": "nf4",
    }
    (target / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return target
