"""Build a LoRA adapter for the tiny Qwen3-VL (`build_tiny_model`), offline, in a second or two.

The adapter is made the way a fine-tune is published: ``peft.get_peft_model`` with a `LoraConfig` on the
language model's ``q_proj`` / ``v_proj``, then ``save_pretrained`` (``adapter_config.json`` and
``adapter_model.safetensors``). A freshly initialised LoRA has ``lora_B = 0`` and would change nothing when
merged, so ``lora_B`` is set to small seeded random values: a merge that silently did nothing, or merged
twice, shows up as wrong weights. They are small enough that the tiny model's steered, short replies (see
`build_tiny_model`) survive.

Usage: ``python -m inference_worker.testing.build_tiny_adapter BASE_DIR ADAPTER_DIR``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["LORA_ALPHA", "LORA_RANK", "LORA_TARGETS", "build_tiny_adapter", "main"]

LORA_RANK = 4
LORA_ALPHA = 8
# The language model's attention only: the vision tower's projections are named differently (``attn.qkv``).
LORA_TARGETS = r".*language_model.*\.(q_proj|v_proj)"
_LORA_B_STD = 0.05
_SEED = 4321


def build_tiny_adapter(
    base_dir: str | Path,
    adapter_dir: str | Path,
    *,
    base_model_name: str | None = None,
    processor_max_length: int | None = None,
) -> Path:
    """Write a LoRA adapter for the model in ``base_dir`` into ``adapter_dir`` and return it.

    ``base_model_name`` is what ``adapter_config.json`` names as the base (default: ``base_dir``), for an
    adapter published against a hub id. With ``processor_max_length`` the base's processor is saved beside
    the adapter with that tokenizer ``model_max_length``, so a test can tell which processor a load used.
    """
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForImageTextToText, AutoProcessor

    target = Path(adapter_dir)
    model = AutoModelForImageTextToText.from_pretrained(str(base_dir), dtype=torch.float32)
    config = LoraConfig(r=LORA_RANK, lora_alpha=LORA_ALPHA, target_modules=LORA_TARGETS, lora_dropout=0.0)
    peft_model = get_peft_model(model, config)
    generator = torch.Generator().manual_seed(_SEED)
    with torch.no_grad():
        for name, parameter in peft_model.named_parameters():
            if "lora_B" in name:
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * _LORA_B_STD)
    peft_model.peft_config["default"].base_model_name_or_path = base_model_name or str(base_dir)
    peft_model.save_pretrained(target, save_embedding_layers=False)  # only q/v projections: no hub check
    if processor_max_length is not None:
        processor = AutoProcessor.from_pretrained(str(base_dir))
        processor.tokenizer.model_max_length = processor_max_length
        processor.save_pretrained(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_dir", type=Path, help="a tiny model built by build_tiny_model")
    parser.add_argument("adapter_dir", type=Path, help="where to write the adapter")
    args = parser.parse_args(argv)
    print(build_tiny_adapter(args.base_dir, args.adapter_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
