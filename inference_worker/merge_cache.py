"""The merged copy of a LoRA adapter and its base: made once, then read directly by every later load.

Merging means loading the base, applying the adapter with peft and folding it into the weights: slower
than loading a checkpoint, and needing peft. So `ensure_merged` does it once per (adapter revision, base
revision, dtype) and saves the result as an ordinary checkpoint under ``DERMREVIEW_MODEL_CACHE`` (default
``~/.cache/dermreview/merged``), in ``<adapter name>-<key>/``, where the key hashes the `MergePlan`. Beside
the weights and the processor, ``dermreview_merge.json`` records what went in (adapter and base ids and
commits, dtype, peft and transformers versions, time). It is written before the directory is renamed into
place, so a directory with a record is complete.

Several workers may start at once. The first takes an exclusive lock (``<dir>.lock``) and merges; the others
wait for it and then read its copy. The copy is built in a staging directory beside the target and renamed
into place, so even where file locks are not honoured no reader sees half a model: the second rename fails
and that copy is dropped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

__all__ = [
    "DEFAULT_CACHE_ROOT",
    "MERGE_RECORD",
    "MergePlan",
    "ensure_merged",
    "local_content_hash",
    "merge_cache_dir",
    "read_record",
]

logger = logging.getLogger(__name__)

MERGE_RECORD = "dermreview_merge.json"
DEFAULT_CACHE_ROOT = "~/.cache/dermreview/merged"
# An adapter saved with its processor (as Unsloth saves one) keeps its own chat template and tokenizer.
_PROCESSOR_FILES = ("processor_config.json", "preprocessor_config.json")


@dataclass(frozen=True, slots=True)
class MergePlan:
    """What a merged copy is made of; equal plans share one copy.

    Revisions are hub commits, a fetched directory's recorded commit, or ``sha256:...`` of a local directory's
    files: never a branch name, which would let a moved branch reuse a stale merge.
    """

    adapter_id: str
    adapter_revision: str
    base_id: str
    base_revision: str
    dtype: str

    @property
    def key(self) -> str:
        payload = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    def describe(self) -> str:
        """What drafts record, e.g. ``adapter 3f2a... on base Qwen/Qwen3-VL-2B-Instruct@9c1b...``."""
        base = f"{self.base_id}@{self.base_revision}" if self.base_revision else self.base_id
        return f"adapter {self.adapter_revision} on base {base}"


def merge_cache_dir(root: str, plan: MergePlan) -> Path:
    """Where ``plan``'s merged copy lives under ``root`` (``DERMREVIEW_MODEL_CACHE``; "" for the default)."""
    last = plan.adapter_id.removeprefix("local:").rsplit("/", 1)[-1]
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", last).strip("-.")[:48] or "adapter"
    return Path(root or DEFAULT_CACHE_ROOT).expanduser() / f"{name}-{plan.key}"


def local_content_hash(directory: Path) -> str:
    """``sha256:`` and 12 hex digits over the names and contents of ``directory``'s files (not folders).

    Identifies a local adapter or base that carries no fetch record, so that changed files make a new merge.
    """
    digest = hashlib.sha256()
    for path in sorted(entry for entry in directory.iterdir() if entry.is_file()):
        digest.update(path.name.encode("utf-8") + b"\0")
        with path.open("rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return "sha256:" + digest.hexdigest()[:12]


def read_record(directory: Path) -> dict[str, Any] | None:
    """The merge record of a complete merged copy, or None (missing, unreadable, or not a copy at all)."""
    try:
        data = json.loads((directory / MERGE_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "adapter_id" in data else None


def ensure_merged(
    target: Path,
    plan: MergePlan,
    *,
    adapter_dir: Path,
    base_source: str,
    base_revision: str | None,
    dtype: torch.dtype,
) -> Path:
    """``target`` holding the merged copy of ``plan``: as found, or merged now (see the module docstring)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(target.parent / f"{target.name}.lock", target):
        if read_record(target) is not None:
            logger.info("using merged cache %s", target)
            return target
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.merging-", dir=target.parent))
        try:
            _merge(
                staging,
                plan,
                adapter_dir=adapter_dir,
                base_source=base_source,
                base_revision=base_revision,
                dtype=dtype,
            )
            _write_record(staging, plan)
            _publish(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _merge(
    staging: Path,
    plan: MergePlan,
    *,
    adapter_dir: Path,
    base_source: str,
    base_revision: str | None,
    dtype: torch.dtype,
) -> None:
    from peft import PeftModel
    from transformers import AutoModelForImageTextToText, AutoProcessor

    logger.info(
        "merging %s into %s (done once; saved to %s)",
        plan.describe().split(" on base ")[0],
        plan.base_id,
        staging.parent,
    )
    started = time.perf_counter()
    base = AutoModelForImageTextToText.from_pretrained(base_source, revision=base_revision, dtype=dtype)
    if any((adapter_dir / name).is_file() for name in _PROCESSOR_FILES):
        processor = AutoProcessor.from_pretrained(str(adapter_dir))
    else:
        processor = AutoProcessor.from_pretrained(base_source, revision=base_revision)
    merged = PeftModel.from_pretrained(base, str(adapter_dir)).merge_and_unload()
    merged.save_pretrained(staging)
    processor.save_pretrained(staging)
    logger.info("merged %s in %.1fs", plan.describe(), time.perf_counter() - started)


def _write_record(staging: Path, plan: MergePlan) -> None:
    import peft
    import transformers

    record = {
        **asdict(plan),
        "peft_version": peft.__version__,
        "transformers_version": transformers.__version__,
        "created": datetime.now(UTC).isoformat(timespec="microseconds"),
    }
    (staging / MERGE_RECORD).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def _publish(staging: Path, target: Path) -> None:
    """Rename the finished copy into place; a complete copy already there (another worker's) wins."""
    if target.exists() and read_record(target) is None:
        # Not a copy this module made (those arrive whole, record included): make way rather than trust it.
        logger.warning("replacing %s, which holds no complete merged copy", target)
        shutil.rmtree(target)
    try:
        staging.rename(target)  # atomic; refuses a non-empty target
    except OSError:
        if read_record(target) is None:
            raise
        logger.info("another worker merged %s first; using its copy", target)


@contextlib.contextmanager
def _exclusive(lock_path: Path, target: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (POSIX ``flock``; other threads and processes wait)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: the atomic rename alone keeps the cache whole
        yield
        return
    with lock_path.open("a", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.info("waiting for another worker merging %s", target)
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
