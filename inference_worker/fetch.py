"""Download the configured model into a local directory, for machines without hub access at run time.

Usage (on a machine with internet access): ``python -m inference_worker.fetch DIR``; then run the
workers with ``DERMREVIEW_MODEL=DIR`` and ``HF_HUB_OFFLINE=1``. The model id and revision come
from ``DERMREVIEW_MODEL`` / ``DERMREVIEW_MODEL_REVISION``. The resolved commit is written to
``DIR/dermreview_revision.txt`` so deployments can tell which snapshot they run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inference_worker.config import WorkerConfig
from inference_worker.identity import REVISION_FILE

__all__ = ["REVISION_FILE", "fetch_model", "main"]


def fetch_model(cfg: WorkerConfig, directory: Path) -> Path:
    """Snapshot ``cfg.model`` at ``cfg.model_revision`` into ``directory``; returns it."""
    from huggingface_hub import HfApi, snapshot_download

    info = HfApi().model_info(cfg.model, revision=cfg.model_revision)
    path = Path(snapshot_download(repo_id=cfg.model, revision=info.sha, local_dir=directory))
    (path / REVISION_FILE).write_text(f"{cfg.model}@{info.sha}\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Download the DermReview model for offline use.")
    parser.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    print(fetch_model(WorkerConfig.from_env(), args.directory))
    return 0


if __name__ == "__main__":
    sys.exit(main())
