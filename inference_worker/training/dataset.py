"""Training examples: the export's records, the chat format of one example, and the labels that score its reply.

The training export (``manage.py training_export``) writes one JSON object per line and per photo: ``image``
(a path relative to the images folder), the six final fields under their canonical names, and optionally
``split`` and ids, which are kept for the card but otherwise ignored.

One example is rendered exactly as the engine asks the model at inference: the profile's chat messages through
the processor's chat template with the generation prompt, the photo decoded and resized to the configured pixel
budget by the worker's own functions. The target is the signed finding written as the profile asks for it (its
key spellings, its order, its layout, by ``json.dumps``) followed by the end of the assistant's turn. Only those
reply tokens are scored: every prompt and image token is labelled `IGNORE_INDEX`, so the model learns to answer,
not to repeat the question.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inference_worker.config import WorkerConfig
from inference_worker.fields import FINDING_FIELDS
from inference_worker.preprocess import decode_photo, prepare_image
from inference_worker.profile import PromptProfile
from inference_worker.prompt import build_messages

if TYPE_CHECKING:
    import torch

# What the loss skips: torch's CrossEntropyLoss default ``ignore_index``, which transformers' models use.
IGNORE_INDEX = -100
# Ends an assistant turn in Qwen's chat format; the engine stops generating at it.
TURN_END = "<|im_end|>"
# Records without a split are training data; "all" takes every record.
ALL_SPLITS = "all"
DEFAULT_SPLIT = "train"
_INDENT = 2


class DatasetError(ValueError):
    """A training file or record that cannot be used; the message names the file and the line."""


@dataclass(frozen=True, slots=True)
class TrainingRecord:
    """One photo and its signed finding (the six fields under their canonical names)."""

    image: Path
    finding: Mapping[str, str]
    split: str
    line: int


def read_records(path: Path, images_dir: Path) -> list[TrainingRecord]:
    """Every record of a JSONL training export, with its photo checked to exist; `DatasetError` otherwise."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"cannot read {path}: {exc}") from None
    records = []
    for number, text in enumerate(lines, start=1):
        if text.strip():
            records.append(_record(text, f"{path}, line {number}", images_dir, number))
    if not records:
        raise DatasetError(f"{path} holds no records")
    return records


def _record(text: str, where: str, images_dir: Path, line: int) -> TrainingRecord:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{where}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise DatasetError(f"{where}: expected a JSON object")
    missing = [name for name in ("image", *FINDING_FIELDS) if name not in data]
    if missing:
        raise DatasetError(f"{where}: missing {', '.join(missing)}")
    values = {name: data[name] for name in ("image", *FINDING_FIELDS)}
    wrong = [name for name, value in values.items() if not isinstance(value, str) or not value.strip()]
    if wrong:
        raise DatasetError(f"{where}: {', '.join(wrong)} must be non-empty text")
    split = data.get("split") or ""
    if not isinstance(split, str):
        raise DatasetError(f"{where}: split must be text")
    image = images_dir / values["image"]
    if not image.is_file():
        raise DatasetError(f"{where}: no photo at {image}")
    return TrainingRecord(image, {name: values[name] for name in FINDING_FIELDS}, split, line)


def select_split(records: Sequence[TrainingRecord], split: str = DEFAULT_SPLIT) -> list[TrainingRecord]:
    """The records to train on: those of ``split`` ("train" also takes records without one), or all."""
    if split == ALL_SPLITS:
        return list(records)
    accepted = {split, ""} if split == DEFAULT_SPLIT else {split}
    return [record for record in records if record.split in accepted]


def reply_text(finding: Mapping[str, str], profile: PromptProfile) -> str:
    """The finding as the profile asks for it: its key spellings and order, in its layout, by ``json.dumps``."""
    obj = {keys.write: finding[keys.field] for keys in profile.keys}
    if profile.layout == "indented":
        return json.dumps(obj, ensure_ascii=False, indent=_INDENT)
    if profile.layout == "compact":
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(obj, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class ChatFormat:
    """How every example is rendered: the prompt as the engine renders it, the pixel budget, the turn's end."""

    processor: Any
    profile: PromptProfile
    prompt: str
    end_ids: tuple[int, ...]
    min_pixels: int
    max_pixels: int


def chat_format(processor: Any, cfg: WorkerConfig) -> ChatFormat:
    """The chat format of ``cfg`` (profile, pixel budget) for ``processor``, which it sets up as the engine does."""
    max_pixels = cfg.image_max_pixels
    # The engine's bounds, so the processor never resizes a prepared photo again.
    processor.image_processor.size = {"shortest_edge": cfg.min_pixels, "longest_edge": max_pixels}
    prompt = processor.apply_chat_template(build_messages(cfg.profile), add_generation_prompt=True, tokenize=False)
    tokenizer = processor.tokenizer
    end_id = tokenizer.convert_tokens_to_ids(TURN_END)
    if end_id is None or end_id == tokenizer.unk_token_id:
        end_id = tokenizer.eos_token_id
    return ChatFormat(processor, cfg.profile, prompt, (int(end_id),), cfg.min_pixels, max_pixels)


@dataclass(frozen=True, slots=True)
class Example:
    """One encoded example: token ids, their labels (`IGNORE_INDEX` but for the reply) and the photo's patches.

    ``mm_token_type_ids`` marks the image tokens (1) among the text (0): Qwen3-VL places its M-RoPE positions by it.
    """

    input_ids: list[int]
    labels: list[int]
    mm_token_type_ids: list[int]
    pixel_values: torch.Tensor
    image_grid_thw: torch.Tensor


def encode(fmt: ChatFormat, record: TrainingRecord) -> Example:
    """Render and tokenise one record.

    The prompt is tokenised on its own and the reply's tokens appended, as at inference, where the model
    continues the tokenised prompt; tokenising prompt and reply as one text could merge tokens across the join.
    """
    with record.image.open("rb") as handle:
        photo = decode_photo(handle, max_pixels=fmt.max_pixels)
    image = prepare_image(photo, min_pixels=fmt.min_pixels, max_pixels=fmt.max_pixels)
    prompt = fmt.processor(text=[fmt.prompt], images=[image], return_tensors="pt")
    reply = fmt.processor.tokenizer(reply_text(record.finding, fmt.profile), add_special_tokens=False)
    reply_ids = [int(token) for token in reply["input_ids"]] + list(fmt.end_ids)
    prompt_ids = [int(token) for token in prompt["input_ids"][0].tolist()]
    token_types = [int(kind) for kind in prompt["mm_token_type_ids"][0].tolist()]
    return Example(
        input_ids=prompt_ids + reply_ids,
        labels=[IGNORE_INDEX] * len(prompt_ids) + reply_ids,
        mm_token_type_ids=token_types + [0] * len(reply_ids),
        pixel_values=prompt["pixel_values"],
        image_grid_thw=prompt["image_grid_thw"],
    )


def collate(examples: Sequence[Example], pad_id: int) -> dict[str, torch.Tensor]:
    """One batch, padded on the right (padding is masked out of attention and loss)."""
    import torch

    longest = max(len(example.input_ids) for example in examples)
    ids = torch.full((len(examples), longest), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), longest), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(examples), longest), dtype=torch.long)
    token_types = torch.zeros((len(examples), longest), dtype=torch.long)
    for row, example in enumerate(examples):
        length = len(example.input_ids)
        ids[row, :length] = torch.tensor(example.input_ids)
        labels[row, :length] = torch.tensor(example.labels)
        mask[row, :length] = 1
        token_types[row, :length] = torch.tensor(example.mm_token_type_ids)
    return {
        "input_ids": ids,
        "attention_mask": mask,
        "labels": labels,
        "mm_token_type_ids": token_types,
        "pixel_values": torch.cat([example.pixel_values for example in examples]),
        "image_grid_thw": torch.cat([example.image_grid_thw for example in examples]),
    }
