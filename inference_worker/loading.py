"""Load the configured weights into a model and processor, whatever form the repository holds them in.

A repository (a hub id or a local directory) holds one of four layouts (`WeightsLayout`, told apart by
its files in `layout_of`):

- ``merged``: a full checkpoint (``config.json`` and safetensors). Loaded as it is.
- ``adapter``: a LoRA adapter (``adapter_config.json``). Left to itself, transformers would load the
  adapter's base (often a 4-bit Unsloth one) at the adapter's pinned revision, a commit of another
  repository. Instead the base named in the adapter's config, or ``DERMREVIEW_BASE_MODEL``, is loaded at
  ``DERMREVIEW_BASE_MODEL_REVISION``, the adapter applied with peft and merged, and the merged model saved
  once into a cache directory (`inference_worker.merge_cache`) that later loads read directly. A directory
  fetched by `inference_worker.fetch` holds the base in ``base/``, so it merges without the hub.
- ``bitsandbytes``: a checkpoint quantised with bitsandbytes. It runs only on CUDA with bitsandbytes
  installed; elsewhere `ModelLoadError` names the fix.
- ``gguf``: GGUF files only, which transformers cannot serve here; `ModelLoadError` names the alternatives.

Every failure is one `ModelLoadError` whose sentence names the model and revision.
`LoadedModel.resolved_revision` says which commits the weights came from, for the drafts to record. Nothing
heavy is imported at module level: torch, transformers and peft only when a model is loaded.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inference_worker.config import WorkerConfig
from inference_worker.identity import fetched_revision
from inference_worker.merge_cache import MergePlan, ensure_merged, local_content_hash, merge_cache_dir
from inference_worker.types import ModelLoadError

if TYPE_CHECKING:
    import torch

__all__ = [
    "ADAPTER_CONFIG",
    "BASE_SUBDIR",
    "FULL_PRECISION_BASE",
    "LoadedModel",
    "WeightsLayout",
    "detect_layout",
    "is_hub_id",
    "layout_of",
    "load_pretrained",
]

logger = logging.getLogger(__name__)

ADAPTER_CONFIG = "adapter_config.json"
# `python -m inference_worker.fetch DIR` puts an adapter's base in DIR/base, with its own revision record.
BASE_SUBDIR = "base"
# The full-precision model the fine-tune was trained from: the fix when an adapter names a 4-bit base.
FULL_PRECISION_BASE = "Qwen/Qwen3-VL-2B-Instruct"
_WEIGHT_SUFFIXES = (".safetensors", ".bin")
# "org/name" or "name": what a hub id looks like. Anything else is treated as a local path.
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


class WeightsLayout(StrEnum):
    """The form a repository holds its weights in (see the module docstring)."""

    MERGED = "merged"
    ADAPTER = "adapter"
    BITSANDBYTES = "bitsandbytes"
    GGUF = "gguf"


@dataclass(frozen=True, slots=True)
class LoadedModel:
    """What `load_pretrained` hands the engine.

    ``resolved_revision``: the hub commit of merged weights (or the one a fetched directory records), or
    for an adapter ``"adapter <commit or sha256:...> on base <id>@<commit or sha256:...>"``; "" when
    unknown. ``source``: the directory or hub id the model was finally read from (for an adapter, its merged
    copy in the cache).
    """

    model: Any
    processor: Any
    layout: WeightsLayout
    resolved_revision: str
    source: str


@dataclass(frozen=True, slots=True)
class _Repo:
    """One repository, local or on the hub, with the top-level and nested file names it holds."""

    name: str  # as configured: a hub id, or the expanded directory
    commit: str  # the hub commit; a fetched directory's recorded commit; else ""
    files: frozenset[str]
    local: Path | None
    recorded_id: str = ""  # the hub id a fetched directory records

    @property
    def load_from(self) -> str:
        return str(self.local) if self.local is not None else self.name

    @property
    def load_revision(self) -> str | None:
        return None if self.local is not None else self.commit

    def read_json(self, filename: str) -> dict[str, Any] | None:
        """A JSON file of the repository, or None when it has none (downloads only that file from the hub)."""
        if filename not in self.files:
            return None
        if self.local is not None:
            path = self.local / filename
        else:
            from huggingface_hub import hf_hub_download

            path = Path(hf_hub_download(self.name, filename, revision=self.commit))
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else None

    def identity(self) -> tuple[str, str]:
        """(id, revision) for records and cache keys: a hub id and commit, or a directory's content hash."""
        if self.local is None:
            return self.name, self.commit
        if self.recorded_id:
            return self.recorded_id, self.commit
        return f"local:{self.local.resolve().name}", local_content_hash(self.local)


def is_hub_id(name: str) -> bool:
    """Whether ``name`` looks like a hub id ("org/name") rather than a path."""
    return not name.startswith((".", "/", "~")) and bool(_HUB_ID.match(name))


def layout_of(files: Iterable[str], config: Mapping[str, Any] | None) -> WeightsLayout:
    """The layout of a repository holding ``files`` (relative names) whose ``config.json`` is ``config``."""
    names = set(files)
    top = {name for name in names if "/" not in name}
    if ADAPTER_CONFIG in top:
        return WeightsLayout.ADAPTER
    has_checkpoint = "config.json" in top or any(name.endswith(_WEIGHT_SUFFIXES) for name in top)
    if not has_checkpoint and any(name.endswith(".gguf") for name in names):
        return WeightsLayout.GGUF
    quantization = (config or {}).get("quantization_config")
    if isinstance(quantization, Mapping) and (
        str(quantization.get("quant_method", "")).lower() == "bitsandbytes"
        or quantization.get("load_in_4bit")
        or quantization.get("load_in_8bit")
    ):
        return WeightsLayout.BITSANDBYTES
    return WeightsLayout.MERGED


def detect_layout(source: str, revision: str = "main") -> WeightsLayout:
    """The layout of a local directory, or of a hub repository at ``revision`` (an API call + config.json)."""
    repo = _open(source, revision, missing=f"model directory {Path(source).expanduser()} does not exist")
    return layout_of(repo.files, repo.read_json("config.json"))


def load_pretrained(cfg: WorkerConfig, *, device: torch.device, dtype: torch.dtype) -> LoadedModel:
    """Load ``cfg.model`` as its layout requires; the model stays on the CPU unless quantisation placed it.

    Raises `ModelLoadError` (one sentence naming the model, revision and, where there is one, the fix).
    """
    source = Path(cfg.model).expanduser()
    with _failures(f"model {cfg.model!r} at revision {cfg.model_revision!r}", cfg.model):
        repo = _open(cfg.model, cfg.model_revision, missing=f"model directory {source} does not exist")
        layout = layout_of(repo.files, repo.read_json("config.json"))
    if layout is WeightsLayout.GGUF:
        raise ModelLoadError(
            f"model {cfg.model!r} holds only GGUF files, which the transformers backend cannot load: serve it"
            " with llama.cpp or vLLM and set DERMREVIEW_BACKEND=openai, or set DERMREVIEW_MODEL to the"
            " safetensors weights"
        )
    if layout is WeightsLayout.ADAPTER:
        return _load_adapter(cfg, repo, device=device, dtype=dtype)
    if layout is WeightsLayout.BITSANDBYTES:
        _require_bitsandbytes(device, f"model {cfg.model!r} is quantised with bitsandbytes", _MERGED_BNB_FIX)
    with _failures(f"model {cfg.model!r} at revision {cfg.model_revision!r}", cfg.model):
        model, processor = _from_pretrained(
            repo.load_from, repo.load_revision, dtype, cfg.attn_implementation
        )
    return LoadedModel(model, processor, layout, repo.commit, repo.load_from)


def _load_adapter(
    cfg: WorkerConfig, adapter: _Repo, *, device: torch.device, dtype: torch.dtype
) -> LoadedModel:
    adapter_config = adapter.read_json(ADAPTER_CONFIG) or {}
    base_name = cfg.base_model or str(adapter_config.get("base_model_name_or_path") or "")
    if not base_name:
        raise ModelLoadError(
            f"adapter {cfg.model!r} names no base model (base_model_name_or_path in {ADAPTER_CONFIG}):"
            f" set DERMREVIEW_BASE_MODEL, for instance to {FULL_PRECISION_BASE}"
        )
    subject = (
        f"adapter {cfg.model!r} at revision {cfg.model_revision!r} on base {base_name!r}"
        f" at revision {cfg.base_model_revision!r}"
    )
    with _failures(subject, cfg.model, base_name):
        missing = (
            f"the base {base_name!r} of adapter {cfg.model!r} is neither a directory here nor a hub id: set"
            f" DERMREVIEW_BASE_MODEL to its hub id or directory, such as {FULL_PRECISION_BASE}"
        )
        base = _local_base(cfg, adapter) or _open(base_name, cfg.base_model_revision, missing=missing)
        base_layout = layout_of(base.files, base.read_json("config.json"))
    if base_layout in (WeightsLayout.ADAPTER, WeightsLayout.GGUF):
        raise ModelLoadError(
            f"the base {base_name!r} of adapter {cfg.model!r} is not a full checkpoint ({base_layout})"
        )
    if base_layout is WeightsLayout.BITSANDBYTES:
        _require_bitsandbytes(
            device,
            f"adapter {cfg.model!r} is meant for base {base_name!r}, which is quantised with bitsandbytes",
            _ADAPTER_BNB_FIX,
        )
        logger.warning(
            "merging adapter %s into the 4-bit base %s loses precision; set DERMREVIEW_BASE_MODEL=%s for"
            " an exact merge into the full-precision base",
            cfg.model,
            base_name,
            FULL_PRECISION_BASE,
        )
    with _failures(subject, cfg.model, base_name):
        adapter_dir = adapter.local or _download(adapter)
        plan = MergePlan(*adapter.identity(), *base.identity(), dtype=str(dtype).removeprefix("torch."))
        target = ensure_merged(
            merge_cache_dir(cfg.model_cache_dir, plan),
            plan,
            adapter_dir=adapter_dir,
            base_source=base.load_from,
            base_revision=base.load_revision,
            dtype=dtype,
        )
        model, processor = _from_pretrained(str(target), None, dtype, cfg.attn_implementation)
    return LoadedModel(model, processor, WeightsLayout.ADAPTER, plan.describe(), str(target))


def _local_base(cfg: WorkerConfig, adapter: _Repo) -> _Repo | None:
    """The base that `inference_worker.fetch` put beside a fetched adapter, when it is the one configured.

    Used unless ``DERMREVIEW_BASE_MODEL`` names another model or ``DERMREVIEW_BASE_MODEL_REVISION`` pins
    another commit; then the configured base is loaded from the hub (or its cache) instead.
    """
    if adapter.local is None:
        return None
    directory = adapter.local / BASE_SUBDIR
    recorded = fetched_revision(directory)
    if recorded is None:
        return None
    base_id, commit = recorded
    if cfg.base_model and cfg.base_model != base_id:
        return None
    revision = cfg.base_model_revision
    if revision != "main" and not commit.startswith(revision):
        logger.info(
            "not using the fetched base %s@%s: DERMREVIEW_BASE_MODEL_REVISION=%s", base_id, commit, revision
        )
        return None
    return _open(str(directory), revision, missing=f"{directory} vanished")


def _open(name: str, revision: str, *, missing: str) -> _Repo:
    """A local directory as it is, or a hub repository resolved to a commit.

    A name that is neither a directory nor a hub id fails here, quickly, with the sentence ``missing``.
    """
    path = Path(name).expanduser()
    if path.is_dir():
        files = frozenset(entry.name for entry in path.iterdir() if entry.is_file())
        recorded = fetched_revision(path)
        recorded_id, commit = recorded if recorded is not None else ("", "")
        return _Repo(str(path), commit, files, path, recorded_id)
    if not is_hub_id(name):
        raise ModelLoadError(missing)
    files, commit = _hub_listing(name, revision)
    return _Repo(name, commit, files, None)


def _hub_listing(repo_id: str, revision: str) -> tuple[frozenset[str], str]:
    """The files of a hub repository at ``revision`` and the commit it resolves to.

    Offline (``HF_HUB_OFFLINE``) or when the hub cannot be reached, the locally cached snapshot of that
    revision answers instead, so a model downloaded once keeps loading; without one the hub's error is raised.
    """
    from huggingface_hub import HfApi, snapshot_download

    try:
        info = HfApi().model_info(repo_id, revision=revision)
    except Exception as online_error:  # offline, unreachable, unknown: the cache may still hold it
        try:
            snapshot = Path(snapshot_download(repo_id, revision=revision, local_files_only=True))
        except Exception:  # not cached either: the hub's reason is the useful one
            raise online_error from None
        files = frozenset(str(path.relative_to(snapshot)) for path in snapshot.rglob("*") if path.is_file())
        return files, snapshot.name
    return frozenset(sibling.rfilename for sibling in info.siblings or ()), info.sha or revision


def _download(repo: _Repo) -> Path:
    """A hub adapter's files at its commit, from the hub cache (downloaded the first time)."""
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(repo.name, revision=repo.commit, ignore_patterns=["*.gguf"]))


def _from_pretrained(
    source: str, revision: str | None, dtype: torch.dtype, attn_implementation: str
) -> tuple[Any, Any]:
    from transformers import AutoModelForImageTextToText, AutoProcessor

    processor = AutoProcessor.from_pretrained(source, revision=revision)
    model = AutoModelForImageTextToText.from_pretrained(
        source, revision=revision, dtype=dtype, attn_implementation=attn_implementation
    )
    return model, processor


_MERGED_BNB_FIX = (
    f"install bitsandbytes on a CUDA worker, or use 16-bit weights: a merged 16-bit checkpoint, or the LoRA"
    f" adapter with DERMREVIEW_BASE_MODEL set to a full-precision base such as {FULL_PRECISION_BASE}"
)
_ADAPTER_BNB_FIX = (
    f"set DERMREVIEW_BASE_MODEL to the full-precision base, such as {FULL_PRECISION_BASE}, or install"
    " bitsandbytes on a CUDA worker"
)


def _require_bitsandbytes(device: torch.device, problem: str, fix: str) -> None:
    """Nothing on a CUDA device with bitsandbytes installed; otherwise the `ModelLoadError` naming the fix."""
    if device.type != "cuda":
        why = f"this worker runs on {device.type}, and bitsandbytes needs CUDA"
    elif importlib.util.find_spec("bitsandbytes") is None:
        why = "bitsandbytes is not installed"
    else:
        return
    raise ModelLoadError(f"{problem} ({why}): {fix}")


@contextlib.contextmanager
def _failures(subject: str, *names: str) -> Iterator[None]:
    """Turn any failure into one `ModelLoadError` about ``subject``; one already explained passes through."""
    try:
        yield
    except ModelLoadError:
        raise
    except Exception as exc:  # any failure here means "no model"; the reason says which
        raise ModelLoadError(_describe_failure(subject, exc, names)) from exc


def _describe_failure(subject: str, exc: Exception, names: Iterable[str]) -> str:
    offline = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")
    hint = ""
    if offline and not all(Path(name).expanduser().is_dir() for name in names):
        hint = (
            " (HF_HUB_OFFLINE is set and the model is not in the local cache: fetch it with"
            " `python -m inference_worker.fetch DIR` and set DERMREVIEW_MODEL=DIR)"
        )
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"cannot load {subject}: {type(exc).__name__}: {first_line}{hint}"
