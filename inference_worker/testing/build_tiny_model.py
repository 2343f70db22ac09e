"""Build a tiny, randomly initialised Qwen3-VL checkpoint, offline, in a few seconds.

It uses the real transformers classes (`Qwen3VLConfig`, `Qwen3VLForConditionalGeneration`,
`Qwen3VLProcessor` with its image and video processors, `Qwen2Tokenizer`) and is saved with
``save_pretrained``, so `AutoProcessor` / `AutoModelForImageTextToText` load it exactly as they load
the real model. Tests and the benchmark run the production engine against it.

Its drafts are meaningless (``{"lesion_type": "k", "color": "k", ...}``). Two things keep them
schema-valid and about as long as a real reply (~100 tokens):

* constrained decoding (done by the engine, as in production) keeps every reply valid JSON;
* one deliberate change to the random weights (`steer_random_replies`): greedy decoding closes
  every JSON string as soon as the grammar allows and spells keys one character at a time.
  Without it a random model fills each string up to its maxLength, ~1,000 tokens a draft.

Usage: ``python -m inference_worker.testing.build_tiny_model DIR``. Building is skipped when DIR
already holds a model from the same builder version (see `MARKER_FILE`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

# The marker and the identity drafts of this model record live with the other identities, in the package
# proper: production code recognises the tiny model but never imports this test-only builder.
from inference_worker.identity import TINY_MODEL_MARKER_FILE as MARKER_FILE
from inference_worker.identity import TINY_MODEL_MARKER_KIND as MARKER_KIND
from inference_worker.identity import is_tiny_model

__all__ = ["BUILDER_VERSION", "MARKER_FILE", "MARKER_KIND", "build_tiny_model", "is_tiny_model", "main"]

# Bump when the output changes, so stale cached copies are rebuilt.
BUILDER_VERSION = 3

SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
)
_TURN_END = "<|im_end|>"  # ends an assistant turn: the EOS of Qwen3-VL-Instruct
_PADDING = "<|endoftext|>"
_BPE_VOCAB_SIZE = 480  # byte alphabet (256) + merges; specials come after, as in Qwen's vocab
_VOCAB_PAD_MULTIPLE = 64  # the real model's lm_head is also padded past the tokenizer
_SEED = 1234

# A Qwen-style template: image parts render as the vision placeholder that the processor expands
# into one <|image_pad|> per visual token.
CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' -}}"
    "{%- if message['content'] is string -%}"
    "{{- message['content'] -}}"
    "{%- else -%}"
    "{%- for part in message['content'] -%}"
    "{%- if part['type'] == 'image' or 'image' in part or 'image_url' in part -%}"
    "{{- '<|vision_start|><|image_pad|><|vision_end|>' -}}"
    "{%- elif part['type'] == 'video' or 'video' in part -%}"
    "{{- '<|vision_start|><|video_pad|><|vision_end|>' -}}"
    "{%- elif part['type'] == 'text' -%}"
    "{{- part['text'] -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- endif -%}"
    "{{- '<|im_end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)

# Training text for the tokenizer: the prompt's vocabulary, the JSON punctuation of a finding and
# some dermatology words, so the BPE merges resemble what the engine will see.
_CORPUS_WORDS = (
    "lesion_type color symmetry borders texture summary lesion type "
    "macule papule plaque nodule patch vesicle pustule cyst scar naevus nevus mole "
    "brown dark light tan black blue grey red pink white skin-coloured colour colours "
    "symmetric asymmetric symmetrical asymmetrical shape uniform variegated "
    "well-defined ill-defined regular irregular notched blurred sharp border borders "
    "smooth scaly crusted ulcerated rough verrucous shiny flat raised dome-shaped "
    "not assessable draft review clinician dermatologist photo image describe visible "
    "features report diagnosis advice field fields string JSON object answer with one "
    "and or of the a an in on is are to for this that each except short phrase "
    "sentences concise clinical two four e.g. cannot be judged from write nothing else"
)


def _corpus() -> list[str]:
    words = _CORPUS_WORDS.split()
    lines = [" ".join(words[i : i + 12]) for i in range(0, len(words), 12)]
    example = {
        "lesion_type": "papule",
        "color": "brown",
        "symmetry": "asymmetric",
        "borders": "irregular",
        "texture": "smooth",
        "summary": "A brown papule with irregular borders.",
    }
    for compact in (True, False):
        separators = (",", ":") if compact else (", ", ": ")
        lines.append(json.dumps(example, separators=separators))
        lines.append("```json\n" + json.dumps(example, indent=2) + "\n```")
    lines.append('{}[]:," 0123456789 .,;:!?()-_/\'"')
    return lines * 4


def build_tokenizer() -> Any:
    """A byte-level BPE with Qwen's pre-tokenizer, wrapped as the real model's tokenizer class."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import Qwen2Tokenizer
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX

    backend = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    backend.normalizer = normalizers.NFC()
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=_BPE_VOCAB_SIZE,
        min_frequency=2,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=[],
    )
    backend.train_from_iterator(_corpus(), trainer=trainer)
    state = json.loads(backend.to_str())
    vocab: dict[str, int] = state["model"]["vocab"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in state["model"]["merges"]]
    # Qwen puts its special tokens right after the regular vocabulary.
    for token in SPECIAL_TOKENS:
        vocab[token] = len(vocab)

    tokenizer = Qwen2Tokenizer(
        vocab=vocab,
        merges=merges,
        unk_token=None,
        bos_token=None,
        eos_token=_TURN_END,
        pad_token=_PADDING,
        extra_special_tokens={
            "image_token": "<|image_pad|>",
            "video_token": "<|video_pad|>",
            "vision_start_token": "<|vision_start|>",
            "vision_end_token": "<|vision_end|>",
        },
        model_max_length=4096,
    )
    tokenizer.add_special_tokens(
        {"additional_special_tokens": list(SPECIAL_TOKENS)}, replace_extra_special_tokens=False
    )
    return tokenizer


def build_processor(tokenizer: Any) -> Any:
    """A `Qwen3VLProcessor` around ``tokenizer`` with Qwen3-VL's image and video settings."""
    from transformers import Qwen2VLImageProcessor, Qwen3VLProcessor, Qwen3VLVideoProcessor

    # The real Qwen3-VL preprocessor settings: 16-pixel patches, 2x2 merge, [-1, 1] normalisation.
    image_processor = Qwen2VLImageProcessor(
        patch_size=16,
        temporal_patch_size=2,
        merge_size=2,
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
        size={"shortest_edge": 64 * 32 * 32, "longest_edge": 16384 * 32 * 32},
    )
    video_processor = Qwen3VLVideoProcessor(
        patch_size=16,
        temporal_patch_size=2,
        merge_size=2,
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
    )
    return Qwen3VLProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        chat_template=CHAT_TEMPLATE,
    )


def tiny_config(tokenizer: Any) -> Any:
    """A Qwen3-VL config with the real structure (deepstack, interleaved M-RoPE) in miniature."""
    from transformers import Qwen3VLConfig

    vocab_size = -(-len(tokenizer) // _VOCAB_PAD_MULTIPLE) * _VOCAB_PAD_MULTIPLE
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in SPECIAL_TOKENS}
    hidden = 64
    return Qwen3VLConfig(
        text_config={
            "vocab_size": vocab_size,
            "hidden_size": hidden,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "head_dim": 16,
            "hidden_act": "silu",
            "max_position_embeddings": 8192,
            "rms_norm_eps": 1e-6,
            # mrope_section splits head_dim/2 rotary frequencies over (time, height, width).
            "rope_parameters": {
                "rope_type": "default",
                "rope_theta": 5_000_000.0,
                "mrope_section": [4, 2, 2],
                "mrope_interleaved": True,
            },
            "bos_token_id": ids[_PADDING],
            "eos_token_id": ids[_TURN_END],
            "pad_token_id": ids[_PADDING],
        },
        vision_config={
            "depth": 2,
            # The vision tower runs once per image and its attention grows with the square of
            # the patch count; kept narrower than the text model so that, as with the real
            # model on a GPU, per-token decoding rather than per-image work dominates.
            "hidden_size": 16,
            "intermediate_size": 32,
            "num_heads": 1,
            "patch_size": 16,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "out_hidden_size": hidden,
            "num_position_embeddings": 576,
            "deepstack_visual_indexes": [0, 1],
        },
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        # Untied, so steering the output layer does not also change the embeddings.
        tie_word_embeddings=False,
    )


def steer_random_replies(model: Any, tokenizer: Any) -> None:
    """See the module docstring: short, deterministic, schema-valid greedy replies.

    Hidden dimension 0 of every input embedding is set to a constant, so after the final norm
    it dominates the last hidden state whatever the image. The output layer reads only that
    dimension for its bias: the ``"`` token gets the largest weight (close every string as soon
    as the grammar allows), single ASCII letters and digits a smaller one (spell keys one
    character at a time, fill a value with one letter). Everything else keeps its random, much
    smaller, weights. Needs untied input and output embeddings.
    """
    import torch

    vocab = tokenizer.get_vocab()
    single_characters = [
        index for token, index in vocab.items() if len(token) == 1 and token.isascii() and token.isalnum()
    ]
    with torch.no_grad():
        embed = model.get_input_embeddings().weight
        lm_head = model.get_output_embeddings().weight
        embed[:, 0] = 1.0
        lm_head[:, 0] = 0.0
        lm_head[single_characters, 0] = 2.0
        lm_head[vocab['"'], 0] = 4.0


def build_tiny_model(path: str | Path) -> Path:
    """Build the tiny model into ``path`` and return it.

    Idempotent: a directory whose marker names this builder version is returned as it is; one
    built by an older version is replaced. The model is written to a staging directory beside
    ``path`` and renamed into place, so a reader (or a second builder running at the same time,
    e.g. parallel test runs) never sees a half-written model. Raises `FileExistsError` rather
    than replace a non-empty directory that is not a tiny model.
    """
    target = Path(path)
    if _marker_matches(target / MARKER_FILE):
        return target
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER_FILE).exists():
        raise FileExistsError(f"{target} is not empty and holds no tiny model; not overwriting it")

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
    stale: Path | None = None
    try:
        _write_tiny_model(staging)
        if target.is_dir() and any(target.iterdir()):
            # An older builder version's model: move it aside; rename cannot replace a full directory.
            stale = Path(tempfile.mkdtemp(prefix=f".{target.name}.stale-", dir=target.parent))
            with contextlib.suppress(FileNotFoundError):  # another builder moved it first
                target.rename(stale / "model")
        try:
            staging.rename(target)  # atomic; also replaces an empty directory
        except OSError:
            if not _marker_matches(target / MARKER_FILE):
                raise
            # Another builder finished first with the same version; its model is as good.
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if stale is not None:
            shutil.rmtree(stale, ignore_errors=True)
    return target


def _write_tiny_model(directory: Path) -> None:
    import torch
    from transformers import GenerationConfig, Qwen3VLForConditionalGeneration

    tokenizer = build_tokenizer()
    processor = build_processor(tokenizer)
    config = tiny_config(tokenizer)

    torch.manual_seed(_SEED)
    model = Qwen3VLForConditionalGeneration(config).eval()
    steer_random_replies(model, tokenizer)
    model.generation_config = GenerationConfig(
        bos_token_id=config.text_config.bos_token_id,
        eos_token_id=[config.text_config.eos_token_id, config.text_config.pad_token_id],
        pad_token_id=config.text_config.pad_token_id,
        do_sample=False,
    )
    model.save_pretrained(directory)
    processor.save_pretrained(directory)
    # Written last: its presence means the directory is complete.
    (directory / MARKER_FILE).write_text(
        json.dumps(
            {
                "kind": MARKER_KIND,
                "builder_version": BUILDER_VERSION,
                "note": "Random weights for tests and benchmarks. Its drafts mean nothing.",
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )


def _marker_matches(marker: Path) -> bool:
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return data.get("kind") == MARKER_KIND and data.get("builder_version") == BUILDER_VERSION


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="where to write the model")
    args = parser.parse_args(argv)
    print(build_tiny_model(args.directory))
    return 0


if __name__ == "__main__":
    sys.exit(main())
