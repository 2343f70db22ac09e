"""Reading the worker settings from the environment."""

from __future__ import annotations

import dataclasses

import pytest

from inference_worker.config import DEFAULT_MAX_PIXELS, DEFAULT_MIN_PIXELS, DEFAULT_MODEL, WorkerConfig


def test_config_defaults_when_environment_is_empty() -> None:
    cfg = WorkerConfig.from_env({})
    assert cfg.model == DEFAULT_MODEL == "0xAgamy/unsloth_Qwen3vl_finetune"
    assert cfg.model_revision == "main"
    assert (cfg.device, cfg.dtype, cfg.attn_implementation) == ("auto", "auto", "sdpa")
    assert (cfg.min_pixels, cfg.max_pixels) == (DEFAULT_MIN_PIXELS, 0)
    assert cfg.image_max_pixels == DEFAULT_MAX_PIXELS == 512 * 32 * 32  # the card profile's budget
    assert (cfg.max_new_tokens, cfg.batch_size, cfg.batch_wait_ms) == (512, 8, 200)
    assert cfg.backend == "transformers"
    assert (cfg.prompt_profile, cfg.decoding, cfg.constrained) == ("card", "schema", True)
    assert cfg.openai_grammar_field == "structured_outputs"
    assert (cfg.base_model, cfg.base_model_revision, cfg.model_cache_dir) == ("", "main", "")


def test_config_reads_every_variable() -> None:
    cfg = WorkerConfig.from_env(
        {
            "DERMREVIEW_MODEL": "/srv/models/derm",
            "DERMREVIEW_MODEL_REVISION": "abc123",
            "DERMREVIEW_DEVICE": "CPU",
            "DERMREVIEW_DTYPE": "bf16",
            "DERMREVIEW_ATTN_IMPL": "eager",
            "DERMREVIEW_MIN_PIXELS": "4096",
            "DERMREVIEW_MAX_PIXELS": "262_144",
            "DERMREVIEW_MAX_NEW_TOKENS": "256",
            "DERMREVIEW_BATCH_SIZE": "16",
            "DERMREVIEW_BATCH_WAIT_MS": "0",
            "DERMREVIEW_BACKEND": "openai",
            "DERMREVIEW_OPENAI_BASE_URL": "http://vllm:8000/v1/",
            "DERMREVIEW_OPENAI_API_KEY": "sk-test",
            "DERMREVIEW_OPENAI_MODEL": "derm",
            "DERMREVIEW_OPENAI_TIMEOUT_S": "2.5",
            "DERMREVIEW_OPENAI_MAX_RETRIES": "0",
            "DERMREVIEW_OPENAI_CONCURRENCY": "2",
            "DERMREVIEW_CONSTRAINED": "off",
            "DERMREVIEW_PROMPT": "unsloth",
            "DERMREVIEW_OPENAI_GRAMMAR_FIELD": "Guided_Grammar",
            "DERMREVIEW_BASE_MODEL": "Qwen/Qwen3-VL-2B-Instruct",
            "DERMREVIEW_BASE_MODEL_REVISION": "9c1b",
            "DERMREVIEW_MODEL_CACHE": "/srv/cache/merged",
        }
    )
    assert cfg == WorkerConfig(
        model="/srv/models/derm",
        model_revision="abc123",
        device="cpu",
        dtype="bfloat16",
        attn_implementation="eager",
        min_pixels=4096,
        max_pixels=262144,
        max_new_tokens=256,
        batch_size=16,
        batch_wait_ms=0,
        backend="openai",
        openai_base_url="http://vllm:8000/v1",
        openai_api_key="sk-test",
        openai_model="derm",
        openai_timeout_s=2.5,
        openai_max_retries=0,
        openai_concurrency=2,
        openai_grammar_field="guided_grammar",
        prompt_profile="unsloth",
        decoding="free",
        base_model="Qwen/Qwen3-VL-2B-Instruct",
        base_model_revision="9c1b",
        model_cache_dir="/srv/cache/merged",
    )
    assert cfg.served_model_name == "derm"
    assert cfg.image_max_pixels == 262144  # set explicitly: the profile's budget does not apply


def test_config_malformed_int_names_the_variable() -> None:
    with pytest.raises(ValueError, match=r"DERMREVIEW_BATCH_SIZE='eight' is malformed"):
        WorkerConfig.from_env({"DERMREVIEW_BATCH_SIZE": "eight"})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DERMREVIEW_MAX_NEW_TOKENS", "0"),
        ("DERMREVIEW_DEVICE", "tpu"),
        ("DERMREVIEW_DTYPE", "int4"),
        ("DERMREVIEW_BACKEND", "onnx"),
        ("DERMREVIEW_CONSTRAINED", "maybe"),
        ("DERMREVIEW_DECODING", "grammar"),
        ("DERMREVIEW_PROMPT", "no-such-profile"),
        ("DERMREVIEW_PROMPT", "/no/such/profile.toml"),
        ("DERMREVIEW_OPENAI_GRAMMAR_FIELD", "guided_json"),
        ("DERMREVIEW_OPENAI_TIMEOUT_S", "soon"),
        ("DERMREVIEW_MIN_PIXELS", "100"),
        ("DERMREVIEW_MAX_PIXELS", "1024"),  # below the default minimum
    ],
)
def test_config_rejects_bad_values_naming_variable_and_value(name: str, value: str) -> None:
    with pytest.raises(ValueError) as raised:
        WorkerConfig.from_env({name: value})
    assert name in str(raised.value)
    assert value in str(raised.value)


def test_config_openai_backend_needs_a_base_url() -> None:
    with pytest.raises(ValueError, match="DERMREVIEW_OPENAI_BASE_URL"):
        WorkerConfig.from_env({"DERMREVIEW_BACKEND": "openai"})


def test_config_is_frozen_hashable_and_hides_the_api_key() -> None:
    cfg = WorkerConfig(openai_api_key="sk-secret")
    assert hash(cfg) == hash(WorkerConfig(openai_api_key="sk-secret"))
    assert "sk-secret" not in repr(cfg)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.batch_size = 4  # type: ignore[misc]


@pytest.mark.parametrize(
    ("environ", "decoding"),
    [
        ({}, "schema"),
        ({"DERMREVIEW_DECODING": "JSON"}, "json"),
        ({"DERMREVIEW_CONSTRAINED": "0"}, "free"),
        ({"DERMREVIEW_CONSTRAINED": "1"}, "schema"),
        ({"DERMREVIEW_CONSTRAINED": "0", "DERMREVIEW_DECODING": "json"}, "json"),  # the new variable wins
    ],
)
def test_config_decoding_mode_and_its_legacy_switch(environ: dict[str, str], decoding: str) -> None:
    cfg = WorkerConfig.from_env(environ)
    assert cfg.decoding == decoding
    assert cfg.constrained is (decoding != "free")


def test_config_image_budget_follows_the_prompt_profile_unless_set() -> None:
    assert WorkerConfig(prompt_profile="unsloth").image_max_pixels == 256 * 32 * 32
    assert WorkerConfig(prompt_profile="card").image_max_pixels == 512 * 32 * 32
    assert WorkerConfig(prompt_profile="unsloth", max_pixels=300_000).image_max_pixels == 300_000


def test_config_min_pixels_above_the_profile_budget_is_refused() -> None:
    with pytest.raises(ValueError, match=r"DERMREVIEW_MIN_PIXELS=300000 is invalid: .*image budget \(262144\)"):
        WorkerConfig.from_env({"DERMREVIEW_PROMPT": "unsloth", "DERMREVIEW_MIN_PIXELS": "300000"})
    assert WorkerConfig(prompt_profile="card", min_pixels=300_000).image_max_pixels == 512 * 32 * 32
