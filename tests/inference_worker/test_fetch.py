"""What `python -m inference_worker.fetch DIR` downloads where (planned from a file listing, without the
hub), and that a directory laid out by that plan loads offline: an adapter finds its base beside it."""

from __future__ import annotations

import dataclasses
import shutil
from fnmatch import fnmatch
from pathlib import Path

import pytest

from inference_worker import ModelLoadError
from inference_worker.config import WorkerConfig
from inference_worker.fetch import SKIPPED_FILES, Download, main, plan_fetch, write_revision_record
from inference_worker.identity import fetched_revision

ADAPTER_ID = "example-org/skin-lora"
BASE_ID = "example-org/vl-base"
ADAPTER_COMMIT = "a" * 40
BASE_COMMIT = "b" * 40
ADAPTER_LISTING = [
    ".gitattributes",
    "README.md",
    "adapter_config.json",
    "adapter_model.safetensors",
    "chat_template.jinja",
    "tokenizer.json",
    "tokenizer_config.json",
    "processor_config.json",
]
MERGED_LISTING = [
    ".gitattributes",
    "config.json",
    "generation_config.json",
    "model-00001-of-00002.safetensors",
    "model-00002-of-00002.safetensors",
    "model.safetensors.index.json",
    "tokenizer.json",
    "gguf/model-Q4_K_M.gguf",
]


def _cfg(**changes: object) -> WorkerConfig:
    return dataclasses.replace(WorkerConfig(model=ADAPTER_ID, model_revision="v1"), **changes)


def test_fetch_plan_for_merged_weights_is_one_download_without_gguf(tmp_path: Path) -> None:
    plan = plan_fetch(_cfg(model="example-org/merged"), tmp_path, MERGED_LISTING, None)

    assert plan == [Download("example-org/merged", "v1", tmp_path)]
    skipped = [name for name in MERGED_LISTING if any(fnmatch(name, pattern) for pattern in SKIPPED_FILES)]
    assert skipped == ["gguf/model-Q4_K_M.gguf"]


def test_fetch_plan_for_an_adapter_fetches_its_base_first_into_base(tmp_path: Path) -> None:
    cfg = _cfg(base_model_revision="v2")

    plan = plan_fetch(cfg, tmp_path, ADAPTER_LISTING, {"base_model_name_or_path": BASE_ID})

    # The base first: the adapter's record, written last, then means both are complete.
    assert plan == [Download(BASE_ID, "v2", tmp_path / "base"), Download(ADAPTER_ID, "v1", tmp_path)]


def test_fetch_plan_base_model_setting_overrides_the_adapters_base(tmp_path: Path) -> None:
    cfg = _cfg(base_model="Qwen/Qwen3-VL-2B-Instruct")

    plan = plan_fetch(cfg, tmp_path, ADAPTER_LISTING, {"base_model_name_or_path": "unsloth/some-vl-bnb-4bit"})

    assert plan[0] == Download("Qwen/Qwen3-VL-2B-Instruct", "main", tmp_path / "base")


def test_fetch_plan_refuses_an_adapter_whose_base_is_a_local_path(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="DERMREVIEW_BASE_MODEL") as raised:
        plan_fetch(_cfg(), tmp_path, ADAPTER_LISTING, {"base_model_name_or_path": "/content/outputs/base"})

    assert "/content/outputs/base" in str(raised.value)


def test_fetch_plan_refuses_gguf_only(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="GGUF") as raised:
        plan_fetch(_cfg(), tmp_path, [".gitattributes", "README.md", "model-Q8_0.gguf"], None)

    assert "DERMREVIEW_BACKEND=openai" in str(raised.value)


def test_fetch_refuses_a_local_model_before_reaching_the_hub(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DERMREVIEW_MODEL", str(tmp_path))

    assert main([str(tmp_path / "out")]) == 2

    assert "not a hub id" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.fixture
def fetched_adapter(tiny_model_dir: Path, tmp_path: Path) -> Path:
    """A directory laid out as `plan_fetch` says, the tiny model and a LoRA on it standing in for the hub."""
    pytest.importorskip("peft")
    from inference_worker.testing.build_tiny_adapter import build_tiny_adapter

    published = build_tiny_adapter(tiny_model_dir, tmp_path / "published", base_model_name=BASE_ID)
    directory = tmp_path / "fetched"
    plan = plan_fetch(_cfg(), directory, ADAPTER_LISTING, {"base_model_name_or_path": BASE_ID})
    snapshots = {BASE_ID: (tiny_model_dir, BASE_COMMIT), ADAPTER_ID: (published, ADAPTER_COMMIT)}
    for download in plan:
        source, commit = snapshots[download.repo_id]
        shutil.copytree(source, download.directory, dirs_exist_ok=True)
        write_revision_record(download.directory, download.repo_id, commit)
    return directory


def test_fetch_fetched_adapter_loads_offline_onto_the_base_beside_it(
    fetched_adapter: Path, tmp_path: Path
) -> None:
    import torch

    from inference_worker.loading import WeightsLayout, load_pretrained

    assert fetched_revision(fetched_adapter) == (ADAPTER_ID, ADAPTER_COMMIT)
    assert fetched_revision(fetched_adapter / "base") == (BASE_ID, BASE_COMMIT)
    cfg = WorkerConfig(model=str(fetched_adapter), device="cpu", model_cache_dir=str(tmp_path / "merged"))

    loaded = load_pretrained(cfg, device=torch.device("cpu"), dtype=torch.float32)  # HF_HUB_OFFLINE=1 here

    assert loaded.layout is WeightsLayout.ADAPTER
    assert loaded.resolved_revision == f"adapter {ADAPTER_COMMIT} on base {BASE_ID}@{BASE_COMMIT}"


def test_fetch_fetched_base_is_not_used_when_another_base_revision_is_pinned(
    fetched_adapter: Path, tmp_path: Path
) -> None:
    import torch

    from inference_worker.loading import load_pretrained

    cfg = WorkerConfig(
        model=str(fetched_adapter),
        device="cpu",
        model_cache_dir=str(tmp_path / "merged"),
        base_model_revision="c" * 40,
    )

    with pytest.raises(ModelLoadError) as raised:  # so it goes to the hub, which is offline here
        load_pretrained(cfg, device=torch.device("cpu"), dtype=torch.float32)

    assert BASE_ID in raised.value.reason and "HF_HUB_OFFLINE" in raised.value.reason
    pinned = load_pretrained(
        dataclasses.replace(cfg, base_model_revision=BASE_COMMIT[:12]),
        device=torch.device("cpu"),
        dtype=torch.float32,
    )
    assert pinned.resolved_revision.endswith(f"{BASE_ID}@{BASE_COMMIT}")


def test_fetch_fetched_merged_weights_report_the_recorded_commit(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    import torch

    from inference_worker.loading import WeightsLayout, load_pretrained

    cfg = dataclasses.replace(_cfg(model="example-org/merged"), model_cache_dir=str(tmp_path / "merged"))
    [download] = plan_fetch(cfg, tmp_path / "fetched", MERGED_LISTING, None)
    shutil.copytree(tiny_model_dir, download.directory)
    write_revision_record(download.directory, download.repo_id, BASE_COMMIT)

    loaded = load_pretrained(
        dataclasses.replace(cfg, model=str(download.directory), device="cpu"),
        device=torch.device("cpu"),
        dtype=torch.float32,
    )

    assert (loaded.layout, loaded.resolved_revision) == (WeightsLayout.MERGED, BASE_COMMIT)
