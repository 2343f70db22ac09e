"""The three decoding modes and the prompt profiles, run for real on the tiny random Qwen3-VL."""

from __future__ import annotations

import dataclasses
import json

import pytest

from inference_worker import FailureKind, ImageInput, WorkerConfig, load_profile
from inference_worker.engines import get_engine
from inference_worker.fields import FINDING_FIELDS
from tests.inference_worker.images import solid_image

pytest.importorskip("torch")

IMAGES = [ImageInput(key="a", image=solid_image(96, 96)), ImageInput(key="b", image=solid_image(300, 120, shade=90))]


@pytest.mark.parametrize("profile", ["card", "unsloth"])
def test_decoding_schema_replies_are_the_six_fields_even_from_random_weights(
    tiny_config: WorkerConfig, profile: str
) -> None:
    cfg = dataclasses.replace(tiny_config, prompt_profile=profile, decoding="schema")
    engine = get_engine(cfg)

    results = engine.generate(IMAGES)

    loaded = load_profile(profile)
    for result in results:
        assert result.ok, (result.failure_kind, result.failure_message, result.raw_text)
        obj = json.loads(result.raw_text)
        assert [loaded.field_for_key(key) for key in obj] == list(loaded.order)
        assert result.finding is not None and tuple(result.finding.model_dump()) == FINDING_FIELDS
        assert result.prompt_version == loaded.prompt_version + "/schema"


def test_decoding_json_reply_is_a_json_object(tiny_config: WorkerConfig) -> None:
    engine = get_engine(dataclasses.replace(tiny_config, decoding="json"))

    (result,) = engine.generate(IMAGES[:1])

    # A random model writes some JSON object, not a finding: reported as such, the raw text kept.
    assert isinstance(json.loads(result.raw_text), dict), result.raw_text
    assert result.failure_kind is FailureKind.SCHEMA_INVALID
    assert result.prompt_version.endswith("/json")


def test_decoding_free_has_no_grammar_and_fails_softly(tiny_config: WorkerConfig) -> None:
    engine = get_engine(dataclasses.replace(tiny_config, decoding="free", max_new_tokens=16))

    (result,) = engine.generate(IMAGES[:1])

    assert engine._grammar is None
    assert result.failure_kind in {FailureKind.UNPARSEABLE, FailureKind.TRUNCATED, FailureKind.EMPTY}
    assert result.raw_text.strip() and result.output_tokens == 16
    assert result.prompt_version.endswith("/free")


def test_decoding_profile_decides_the_image_position(tiny_config: WorkerConfig) -> None:
    prompts = {}
    for profile in ("card", "unsloth"):
        engine = get_engine(dataclasses.replace(tiny_config, prompt_profile=profile))
        instruction = load_profile(profile).instruction
        prompts[profile] = engine._prompt
        assert instruction in engine._prompt
        assert "system" not in engine._prompt  # no system turn
    card, unsloth = prompts["card"], prompts["unsloth"]
    assert card.index("<|vision_start|>") < card.index("You are")
    assert unsloth.index("You are") < unsloth.index("<|vision_start|>")


def test_decoding_image_budget_follows_the_profile_by_default(tiny_config: WorkerConfig) -> None:
    large = [ImageInput(key="large", image=solid_image(1600, 1200))]
    visual = {}
    for profile in ("card", "unsloth"):
        cfg = dataclasses.replace(tiny_config, prompt_profile=profile, max_pixels=0, max_new_tokens=4)
        engine = get_engine(cfg)
        (result,) = engine.generate(large)
        text_only = len(engine.processor.tokenizer(engine._prompt)["input_ids"]) - 1  # one placeholder token
        visual[profile] = result.prompt_tokens - text_only
    assert 256 // 2 <= visual["unsloth"] <= 256
    assert 512 // 2 <= visual["card"] <= 512
