"""A full-size Qwen3-VL-2B with random weights: the real model's compute cost, with no download.

The benchmark uses it on a GPU machine to measure batching as the real fine-tune would see it.
Every dimension below is typed in from the published config of Qwen/Qwen3-VL-2B-Instruct, of
which 0xAgamy/unsloth_Qwen3vl_finetune is a fine-tune. Two differences, neither of which changes
the work per token:

* the tokenizer is the tiny test tokenizer, so the special-token ids follow it (the vocabulary,
  and so the embedding and output layers, keep the real 151,936 rows) and the prompt is
  tokenised into somewhat more tokens than the real tokenizer would make;
* input and output embeddings are untied (the real model ties them), so that the same steering as
  the tiny model's keeps random greedy replies short and schema-valid (see
  `build_tiny_model.steer_random_replies`).

The model is built in memory, straight on the target device and dtype; nothing is saved.
"""

from __future__ import annotations

from typing import Any

from inference_worker.testing.build_tiny_model import (
    build_processor,
    build_tokenizer,
    steer_random_replies,
)

QWEN3_VL_2B_TEXT: dict[str, Any] = {
    "vocab_size": 151936,
    "hidden_size": 2048,
    "intermediate_size": 6144,
    "num_hidden_layers": 28,
    "num_attention_heads": 16,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "hidden_act": "silu",
    "max_position_embeddings": 262144,
    "rms_norm_eps": 1e-6,
    "attention_bias": False,
    "rope_parameters": {
        "rope_type": "default",
        "rope_theta": 5_000_000.0,
        "mrope_section": [24, 20, 20],
        "mrope_interleaved": True,
    },
}

QWEN3_VL_2B_VISION: dict[str, Any] = {
    "depth": 24,
    "hidden_size": 1024,
    "intermediate_size": 4096,
    "num_heads": 16,
    "hidden_act": "gelu_pytorch_tanh",
    "in_channels": 3,
    "patch_size": 16,
    "spatial_merge_size": 2,
    "temporal_patch_size": 2,
    "out_hidden_size": 2048,
    "num_position_embeddings": 2304,
    "deepstack_visual_indexes": [5, 11, 17],
}


def full_random_config(tokenizer: Any) -> Any:
    """The Qwen3-VL-2B config, with special-token ids taken from ``tokenizer``."""
    from transformers import Qwen3VLConfig

    ids = {
        name: tokenizer.convert_tokens_to_ids(token)
        for name, token in {
            "image": "<|image_pad|>",
            "video": "<|video_pad|>",
            "vision_start": "<|vision_start|>",
            "vision_end": "<|vision_end|>",
            "turn_end": "<|im_end|>",
            "padding": "<|endoftext|>",
        }.items()
    }
    return Qwen3VLConfig(
        text_config={
            **QWEN3_VL_2B_TEXT,
            "bos_token_id": ids["padding"],
            "eos_token_id": ids["turn_end"],
            "pad_token_id": ids["padding"],
        },
        vision_config=QWEN3_VL_2B_VISION,
        image_token_id=ids["image"],
        video_token_id=ids["video"],
        vision_start_token_id=ids["vision_start"],
        vision_end_token_id=ids["vision_end"],
        tie_word_embeddings=False,
    )


def build_full_random_model(*, device: str, dtype: Any, attn_implementation: str = "sdpa") -> tuple[Any, Any]:
    """(model, processor): a random full-size Qwen3-VL-2B on ``device`` in ``dtype``."""
    import torch
    from transformers import GenerationConfig, Qwen3VLForConditionalGeneration

    tokenizer = build_tokenizer()
    processor = build_processor(tokenizer)
    config = full_random_config(tokenizer)
    torch.manual_seed(0)
    with torch.device(device):
        model = Qwen3VLForConditionalGeneration._from_config(
            config, dtype=dtype, attn_implementation=attn_implementation
        )
    steer_random_replies(model, tokenizer)
    model.generation_config = GenerationConfig(
        eos_token_id=[config.text_config.eos_token_id, config.text_config.pad_token_id],
        pad_token_id=config.text_config.pad_token_id,
        do_sample=False,
    )
    return model.eval(), processor
