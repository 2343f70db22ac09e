"""Download the configured model into a local directory, for machines without hub access at run time.

Usage (on a machine with internet access): ``python -m inference_worker.fetch DIR``; then run the workers with
``DERMREVIEW_MODEL=DIR`` and ``HF_HUB_OFFLINE=1``. The model id and revision come from ``DERMREVIEW_MODEL`` /
``DERMREVIEW_MODEL_REVISION``; for an adapter, ``DERMREVIEW_BASE_MODEL`` / ``DERMREVIEW_BASE_MODEL_REVISION``
choose its base (set them the same way for the workers).

What goes where is `plan_fetch`, worked out from the repository's file list:

- full weights: the repository into ``DIR``;
- a LoRA adapter (``adapter_config.json``): first its base, the model named in the adapter's config or
  ``DERMREVIEW_BASE_MODEL``, into ``DIR/base/``; then the adapter into ``DIR``.
  `inference_worker.loading` finds ``DIR/base/`` and merges the two without the hub;
- GGUF files only: refused, since the transformers backend cannot load them. GGUF files beside other
  weights are skipped.

Each directory gets ``dermreview_revision.txt`` (``<hub id>@<commit>``) once its download is complete, so
deployments can tell which snapshots they run. The adapter's is written last: it means both are there.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inference_worker.config import WorkerConfig
from inference_worker.identity import REVISION_FILE, fetched_revision
from inference_worker.loading import (
    ADAPTER_CONFIG,
    BASE_SUBDIR,
    FULL_PRECISION_BASE,
    WeightsLayout,
    detect_layout,
    is_hub_id,
    layout_of,
)

__all__ = [
    "REVISION_FILE",
    "SKIPPED_FILES",
    "Download",
    "fetch_model",
    "main",
    "plan_fetch",
    "write_revision_record",
]

logger = logging.getLogger(__name__)

# Never downloaded: the worker cannot use them, and a quantised GGUF beside the weights can be gigabytes.
SKIPPED_FILES = ("*.gguf",)


@dataclass(frozen=True, slots=True)
class Download:
    """One repository snapshot to download: ``revision`` as configured, resolved to a commit when fetched."""

    repo_id: str
    revision: str
    directory: Path


def plan_fetch(
    cfg: WorkerConfig, directory: Path, files: Iterable[str], adapter_config: Mapping[str, Any] | None
) -> list[Download]:
    """The downloads, in order, for ``cfg.model`` whose hub listing is ``files`` (see the module docstring).

    ``adapter_config`` is its ``adapter_config.json`` when it has one. Raises `ValueError` with the fix when
    the repository cannot be fetched for the transformers backend.
    """
    layout = layout_of(files, None)
    if layout is WeightsLayout.GGUF:
        raise ValueError(
            f"{cfg.model} holds only GGUF files, which the transformers backend cannot load: serve it with"
            " llama.cpp or vLLM and set DERMREVIEW_BACKEND=openai, or fetch a repository with safetensors"
            " weights"
        )
    model = Download(cfg.model, cfg.model_revision, directory)
    if layout is not WeightsLayout.ADAPTER:
        return [model]
    base = cfg.base_model or str((adapter_config or {}).get("base_model_name_or_path") or "")
    if not is_hub_id(base):
        raise ValueError(
            f"adapter {cfg.model} names the base {base!r}, which is not a hub id: set"
            f" DERMREVIEW_BASE_MODEL to the base's hub id, such as {FULL_PRECISION_BASE}"
        )
    return [Download(base, cfg.base_model_revision, directory / BASE_SUBDIR), model]


def write_revision_record(directory: Path, repo_id: str, commit: str) -> None:
    """Record which snapshot ``directory`` holds (read by `inference_worker.identity.fetched_revision`)."""
    (directory / REVISION_FILE).write_text(f"{repo_id}@{commit}\n", encoding="utf-8")


def fetch_model(cfg: WorkerConfig, directory: Path) -> Path:
    """Download ``cfg.model`` (and an adapter's base) into ``directory`` as `plan_fetch` says; returns it."""
    from huggingface_hub import HfApi, hf_hub_download, snapshot_download

    if not is_hub_id(cfg.model):
        raise ValueError(f"DERMREVIEW_MODEL={cfg.model!r} is not a hub id; there is nothing to fetch")
    api = HfApi()
    info = api.model_info(cfg.model, revision=cfg.model_revision)
    files = [sibling.rfilename for sibling in info.siblings or ()]
    adapter_config = None
    if ADAPTER_CONFIG in files:
        config_path = hf_hub_download(cfg.model, ADAPTER_CONFIG, revision=info.sha)
        adapter_config = json.loads(Path(config_path).read_text(encoding="utf-8"))
    plan = plan_fetch(cfg, directory, files, adapter_config)
    _clear_other_snapshot(directory, cfg.model)
    # Written again once everything is in: until then the directory claims no snapshot (a re-fetch that
    # fails half-way must not leave the old record vouching for a new, incomplete mix).
    (directory / REVISION_FILE).unlink(missing_ok=True)
    for download in plan:
        is_model = download.directory == directory
        commit = info.sha if is_model else api.model_info(download.repo_id, revision=download.revision).sha
        _clear_other_snapshot(download.directory, download.repo_id)
        path = Path(
            snapshot_download(
                download.repo_id,
                revision=commit,
                local_dir=download.directory,
                ignore_patterns=list(SKIPPED_FILES),
            )
        )
        write_revision_record(path, download.repo_id, str(commit))
        logger.info("fetched %s@%s into %s", download.repo_id, commit, path)
        if not is_model and detect_layout(str(path)) is WeightsLayout.BITSANDBYTES:
            logger.warning(
                "the base %s is quantised with bitsandbytes: it runs only on a CUDA worker with bitsandbytes,"
                " and merging into it loses precision; set DERMREVIEW_BASE_MODEL=%s and fetch again for a"
                " full-precision base",
                download.repo_id,
                FULL_PRECISION_BASE,
            )
    return directory


def _clear_other_snapshot(directory: Path, repo_id: str) -> None:
    """Empty ``directory`` when an earlier fetch put another repository there (a changed base, say).

    Only a directory whose record names another repository is removed: anything else is not ours to delete.
    """
    recorded = fetched_revision(directory)
    if recorded is not None and recorded[0] != repo_id:
        logger.info("removing %s, fetched earlier from %s", directory, recorded[0])
        shutil.rmtree(directory)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Download the DermReview model for offline use.")
    parser.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        print(fetch_model(WorkerConfig.from_env(), args.directory))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
