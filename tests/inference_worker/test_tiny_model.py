"""The offline tiny Qwen3-VL: built with the real classes, loadable like the real model."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from inference_worker.testing.build_tiny_model import (
    MARKER_FILE,
    SPECIAL_TOKENS,
    build_tiny_model,
    is_tiny_model,
)

torch = pytest.importorskip("torch")


def test_tiny_model_loads_through_the_auto_classes(tiny_model_dir: Path) -> None:
    from transformers import AutoModelForImageTextToText, AutoProcessor, Qwen3VLForConditionalGeneration

    processor = AutoProcessor.from_pretrained(tiny_model_dir)
    model = AutoModelForImageTextToText.from_pretrained(tiny_model_dir)
    assert type(model) is Qwen3VLForConditionalGeneration
    assert type(processor).__name__ == "Qwen3VLProcessor"
    assert processor.image_processor.patch_size == 16 and processor.image_processor.merge_size == 2

    tokenizer = processor.tokenizer
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in SPECIAL_TOKENS}
    assert len(set(ids.values())) == len(SPECIAL_TOKENS)
    assert model.config.image_token_id == ids["<|image_pad|>"]
    assert model.config.video_token_id == ids["<|video_pad|>"]
    assert model.config.vision_start_token_id == ids["<|vision_start|>"]
    assert model.config.vision_end_token_id == ids["<|vision_end|>"]
    assert tokenizer.eos_token == "<|im_end|>"
    assert model.config.text_config.vocab_size >= len(tokenizer)

    rendered = processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "hi"}]}],
        add_generation_prompt=True,
        tokenize=False,
    )
    assert rendered == (
        "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>hi<|im_end|>\n<|im_start|>assistant\n"
    )


def test_tiny_model_is_small_marked_and_not_rebuilt(tiny_model_dir: Path) -> None:
    weights = sum(path.stat().st_size for path in tiny_model_dir.glob("*.safetensors"))
    assert weights < 5 * 1024 * 1024
    assert is_tiny_model(tiny_model_dir)
    marker_before = (tiny_model_dir / MARKER_FILE).stat().st_mtime_ns

    started = time.perf_counter()
    assert build_tiny_model(tiny_model_dir) == tiny_model_dir
    assert time.perf_counter() - started < 0.5
    assert (tiny_model_dir / MARKER_FILE).stat().st_mtime_ns == marker_before


def test_tiny_model_stale_marker_triggers_rebuild(tmp_path: Path) -> None:
    (tmp_path / MARKER_FILE).write_text(json.dumps({"kind": "dermreview-tiny-qwen3vl", "builder_version": 0}))
    build_tiny_model(tmp_path)
    assert (tmp_path / "model.safetensors").is_file()
    assert json.loads((tmp_path / MARKER_FILE).read_text())["builder_version"] > 0


def test_tiny_model_is_not_detected_in_other_directories(tmp_path: Path) -> None:
    assert not is_tiny_model(tmp_path)


def test_tiny_model_refuses_to_overwrite_an_unrelated_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        build_tiny_model(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_tiny_model_builds_into_a_new_nested_directory(tmp_path: Path) -> None:
    target = tmp_path / "var" / "models" / "tiny"
    assert build_tiny_model(target) == target
    assert is_tiny_model(target)
    assert sorted(p.name for p in target.parent.iterdir()) == ["tiny"]  # no staging leftovers
