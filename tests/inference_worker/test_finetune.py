"""Fine-tuning (`python -m inference_worker.finetune`) on the tiny model: data, chat format, loop, output, resume."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from inference_worker.config import WorkerConfig
from inference_worker.parse import parse_reply
from inference_worker.profile import load_profile
from inference_worker.training.dataset import (
    IGNORE_INDEX,
    DatasetError,
    read_records,
    reply_text,
    select_split,
)
from tests.inference_worker.images import solid_image
from tests.inference_worker.tiny_settings import TINY_MAX_PIXELS, TINY_MIN_PIXELS

FINDING = {
    "lesion_type": "melanoma",
    "color": "dark brown and black",
    "symmetry": "asymmetric",
    "borders": "irregular, notched",
    "texture": "smooth",
    "summary": 'An asymmetric "dark" lesion;\nfor review.',
}


def _export(folder: Path, rows: list[dict[str, object]]) -> Path:
    """A training export: one photo per row (solid, a different shade each) and the JSONL file."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for index, row in enumerate(rows):
        name = f"photo-{index}.png"
        solid_image(96, 96, shade=index * 37).save(folder / name)
        lines.append(json.dumps({"image": name, **FINDING, **row}))
    path = folder / "export.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _tiny_cfg(model: Path | str, **overrides: object) -> WorkerConfig:
    settings: dict[str, object] = {"model": str(model), "device": "cpu", "min_pixels": TINY_MIN_PIXELS,
                                   "max_pixels": TINY_MAX_PIXELS, "max_new_tokens": 96, "batch_size": 2}
    return WorkerConfig(**{**settings, **overrides})  # type: ignore[arg-type]


# -- records and the reply text ------------------------------------------------------------------------------


def test_read_records_keeps_split_and_resolves_photos(tmp_path: Path) -> None:
    path = _export(tmp_path, [{"split": "train"}, {"split": "test", "case_id": 7}, {}])
    records = read_records(path, tmp_path)
    assert [r.split for r in records] == ["train", "test", ""]
    assert records[0].image == tmp_path / "photo-0.png"
    assert dict(records[1].finding) == FINDING
    assert [r.line for r in select_split(records)] == [1, 3]  # "train" also takes records without a split
    assert [r.line for r in select_split(records, "test")] == [2]
    assert len(select_split(records, "all")) == 3


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2: not valid JSON"),
        (json.dumps({"image": "photo-0.png", **{k: v for k, v in FINDING.items() if k != "borders"}}),
         "line 2: missing borders"),
        (json.dumps({"image": "photo-0.png", **FINDING, "texture": "  "}), "line 2: texture must be non-empty"),
        (json.dumps({"image": "nowhere.png", **FINDING}), "line 2: no photo at"),
        ("[1, 2]", "line 2: expected a JSON object"),
    ],
)
def test_read_records_names_the_bad_line(tmp_path: Path, line: str, message: str) -> None:
    path = _export(tmp_path, [{}])
    path.write_text(path.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=message):
        read_records(path, tmp_path)


@pytest.mark.parametrize("name", ["card", "unsloth"])
def test_reply_text_is_what_schema_decoding_allows_and_parses_back(name: str) -> None:
    from xgrammar.testing import _is_grammar_accept_string

    from inference_worker.grammar import finding_grammar

    profile = load_profile(name)
    text = reply_text(FINDING, profile)
    assert _is_grammar_accept_string(finding_grammar(profile), text)
    finding = parse_reply(text, hit_token_limit=False, profile=profile)
    assert finding.model_dump() == FINDING  # type: ignore[union-attr]
    assert list(json.loads(text)) == [keys.write for keys in profile.keys]
    assert ("\n  " in text) == (profile.layout == "indented")


# -- one encoded example -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["card", "unsloth"])
def test_encode_scores_only_the_reply_and_shows_the_photo_as_the_engine_does(
    tiny_model_dir: Path, tmp_path: Path, name: str
) -> None:
    from transformers import AutoProcessor

    from inference_worker.training.dataset import chat_format, encode

    records = read_records(_export(tmp_path, [{}]), tmp_path)
    processor = AutoProcessor.from_pretrained(tiny_model_dir)
    fmt = chat_format(processor, _tiny_cfg(tiny_model_dir, prompt_profile=name))
    example = encode(fmt, records[0])

    reply = [label for label in example.labels if label != IGNORE_INDEX]
    prompt_length = len(example.input_ids) - len(reply)
    assert example.labels[:prompt_length] == [IGNORE_INDEX] * prompt_length  # nothing of the prompt is scored
    assert example.input_ids[prompt_length:] == reply
    profile = load_profile(name)
    assert processor.tokenizer.decode(reply) == reply_text(FINDING, profile) + "<|im_end|>"
    # The 96x96 photo is sized exactly as the engine's `prepare_image` sizes it (3x3 = 9 visual tokens here).
    from inference_worker.preprocess import fit_size, visual_token_count

    image_pad = processor.tokenizer.convert_tokens_to_ids("<|image_pad|>")
    positions = [i for i, token in enumerate(example.input_ids) if token == image_pad]
    expected = visual_token_count(*fit_size(96, 96, min_pixels=TINY_MIN_PIXELS, max_pixels=TINY_MAX_PIXELS))
    assert len(positions) == expected
    assert [i for i, kind in enumerate(example.mm_token_type_ids) if kind] == positions
    prompt = processor.tokenizer.decode(example.input_ids[:prompt_length])
    assert prompt.endswith("<|im_start|>assistant\n")
    image_first = prompt.index("<|vision_start|>") < prompt.index(profile.instruction[:30])
    assert image_first == (profile.image_position == "before")


# -- the command, end to end ------------------------------------------------------------------------------


def _finetune(*args: str | Path) -> int:
    from inference_worker.finetune import main

    return main([str(arg) for arg in args])


def _common(export: Path, images: Path, base: Path, out: Path) -> list[str | Path]:
    return ["--data", export, "--images", images, "--base", base, "--out", out, "--device", "cpu",
            "--min-pixels", str(TINY_MIN_PIXELS), "--max-pixels", str(TINY_MAX_PIXELS), "--batch-size", "2",
            "--no-progress"]


@pytest.fixture(scope="module")
def trained_full(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model fully fine-tuned for 6 steps on three photos (a fourth is held out)."""
    folder = tmp_path_factory.mktemp("full")
    export = _export(folder / "data", [{"split": "train"}, {}, {"split": "train"}, {"split": "test"}])
    out = folder / "out"
    assert _finetune(*_common(export, folder / "data", tiny_model_dir, out), "--max-steps", "6", "--lr", "3e-3",
                     "--checkpoint-every", "2") == 0
    return out


def test_full_fine_tune_writes_a_model_the_engine_loads(trained_full: Path) -> None:
    from inference_worker.engines.transformers_engine import TransformersEngine
    from inference_worker.identity import model_identity
    from inference_worker.types import ImageInput

    assert (trained_full / "config.json").is_file() and (trained_full / "model.safetensors").is_file()
    cfg = _tiny_cfg(trained_full)
    engine = TransformersEngine.load(cfg)
    drafts = engine.generate([ImageInput(key="a", image=solid_image(96, 96))])
    assert drafts[0].raw_text  # schema decoding: whatever it learnt, the reply is the profile's JSON
    # A fine-tune of the tiny model is a local model, not the tiny test model and not the hub model.
    assert model_identity(cfg).model_id == f"local:{trained_full.name}"


def test_training_card_counts_data_and_records_losses(trained_full: Path) -> None:
    card = json.loads((trained_full / "training_card.json").read_text(encoding="utf-8"))
    assert card["method"] == "full"
    assert card["data"]["records"] == 4 and card["data"]["trained_on"] == 3
    assert card["data"]["by_split"] == {"(none)": 1, "test": 1, "train": 2}
    assert card["steps"] == 6 and len(card["losses"]) == 6
    assert card["losses"][-1] < card["losses"][0]  # it learns the one finding it is shown
    assert card["options"]["max_pixels"] == TINY_MAX_PIXELS and card["options"]["learning_rate"] == 3e-3
    assert card["prompt_version"] == load_profile("card").prompt_version
    markdown = (trained_full / "training_card.md").read_text(encoding="utf-8")
    assert "| test | 1 |" in markdown and "3 trained on" in markdown


def test_resumed_run_ends_where_an_uninterrupted_one_does(
    trained_full: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    """A run resumed from the step-4 checkpoint takes the same batches and reaches the same weights."""
    from safetensors.torch import load_file

    data = trained_full.parent / "data"
    out = tmp_path / "resumed"
    (out / "checkpoints").mkdir(parents=True)
    checkpoint = trained_full / "checkpoints" / "latest.pt"
    (out / "checkpoints" / "latest.pt").write_bytes(checkpoint.read_bytes())
    args = [*_common(data / "export.jsonl", data, tiny_model_dir, out), "--max-steps", "6", "--lr", "3e-3"]
    assert _finetune(*args) == 1  # an unfinished run is never overwritten without --resume
    assert _finetune(*args, "--resume") == 0

    card = json.loads((out / "training_card.json").read_text(encoding="utf-8"))
    first = json.loads((trained_full / "training_card.json").read_text(encoding="utf-8"))
    assert card["resumed_from_step"] == 4
    assert card["losses"] == pytest.approx(first["losses"], rel=1e-4)
    resumed, uninterrupted = load_file(out / "model.safetensors"), load_file(trained_full / "model.safetensors")
    for name, tensor in uninterrupted.items():
        assert resumed[name].allclose(tensor, atol=1e-5), name


def test_resume_refuses_a_checkpoint_of_other_data(trained_full: Path, tiny_model_dir: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    export = _export(tmp_path / "other", [{}, {"borders": "regular"}])
    out = tmp_path / "out"
    (out / "checkpoints").mkdir(parents=True)
    (out / "checkpoints" / "latest.pt").write_bytes((trained_full / "checkpoints" / "latest.pt").read_bytes())
    assert _finetune(*_common(export, tmp_path / "other", tiny_model_dir, out), "--max-steps", "6",
                     "--resume") == 1
    assert "other data, base or options" in capsys.readouterr().err


def test_bad_input_exits_2_naming_the_problem(tiny_model_dir: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    export = _export(tmp_path, [{}])
    export.write_text('{"image": "photo-0.png"}\n', encoding="utf-8")
    assert _finetune(*_common(export, tmp_path, tiny_model_dir, tmp_path / "out")) == 2
    assert "line 1: missing lesion_type" in capsys.readouterr().err
    assert _finetune(*_common(_export(tmp_path, [{}]), tmp_path, tiny_model_dir, tmp_path / "o"), "--rank", "0") == 2


def test_lora_saves_an_adapter_on_the_language_model_that_the_worker_merges(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    from safetensors.torch import load_file

    from inference_worker.engines.transformers_engine import TransformersEngine
    from inference_worker.types import ImageInput

    export = _export(tmp_path / "data", [{}, {}])
    out = tmp_path / "adapter"
    assert _finetune(*_common(export, tmp_path / "data", tiny_model_dir, out), "--lora", "--rank", "4",
                     "--alpha", "8", "--max-steps", "3", "--lr", "1e-2") == 0

    adapter_config = json.loads((out / "adapter_config.json").read_text(encoding="utf-8"))
    assert adapter_config["base_model_name_or_path"] == str(tiny_model_dir)
    assert (adapter_config["r"], adapter_config["lora_alpha"], adapter_config["lora_dropout"]) == (4, 8, 0.05)
    weights = load_file(out / "adapter_model.safetensors")
    assert weights and all(".language_model." in name for name in weights)
    assert {name.split(".")[-3] for name in weights} == {"q_proj", "k_proj", "v_proj", "o_proj"}
    assert any(tensor.abs().sum() > 0 for name, tensor in weights.items() if "lora_B" in name)  # it trained
    assert not (out / "model.safetensors").exists()
    assert json.loads((out / "training_card.json").read_text(encoding="utf-8"))["method"] == "lora"

    engine = TransformersEngine.load(_tiny_cfg(out, model_cache_dir=str(tmp_path / "merged")))
    assert engine.generate([ImageInput(key="a", image=solid_image(96, 96))])[0].raw_text


def test_out_directory_with_other_files_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    from inference_worker.training.loop import TrainingError, TrainOptions, fine_tune

    records = read_records(_export(tmp_path / "data", [{}]), tmp_path / "data")
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(TrainingError, match="not empty"):
        fine_tune(records, cfg=_tiny_cfg(tiny_model_dir), out=out, options=replace(TrainOptions(), max_steps=1))
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
