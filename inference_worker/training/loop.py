"""The training loop: teacher-forced causal-LM loss on the reply, AdamW, resumable checkpoints.

Two methods, one loop:

* full fine-tuning: every weight trains, in float32 by default. For small models on a CPU (the demo model).
* LoRA (``lora=True``): peft adapters on the language model's attention projections (q/k/v/o), the base frozen,
  in bfloat16 on CUDA by default; a bitsandbytes base is prepared for QLoRA. For the real 2B model. The output
  is the adapter, which the worker's loader (`inference_worker.loading`) merges into its base.

The batch order is a function of the seed and the epoch alone, so a run stopped at any step and resumed from its
checkpoint sees the same batches as a run that never stopped. A checkpoint (``OUT/checkpoints/latest.pt``, every
``checkpoint_every`` steps, written to a temporary file and renamed, so a crash mid-write leaves the previous one)
holds the trainable weights, the optimiser and scheduler, the step, the losses so far and the random states.
It also holds a fingerprint of the data and options: resuming with other data or options is refused rather than
quietly mixing two runs.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inference_worker.config import WorkerConfig
from inference_worker.training.card import TrainingCard, data_counts, library_versions, write_card
from inference_worker.training.dataset import ChatFormat, TrainingRecord, chat_format, collate, encode

if TYPE_CHECKING:
    import torch

CHECKPOINT_DIR = "checkpoints"
CHECKPOINT_FILE = "latest.pt"
# The language model's attention projections; the vision tower's are named qkv/proj and stay frozen.
LORA_TARGETS = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj)"


class TrainingError(RuntimeError):
    """A run that cannot start or continue; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class TrainOptions:
    """How to train. The LoRA defaults are the model card's: r=16, alpha 32, dropout 0.05."""

    epochs: int = 3
    learning_rate: float = 2e-4
    batch_size: int = 4
    grad_accum: int = 1
    warmup_ratio: float = 0.03
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    seed: int = 0
    max_steps: int = 0  # 0: as many as the epochs take
    checkpoint_every: int = 50
    lora: bool = False
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    gradient_checkpointing: bool = False

    def __post_init__(self) -> None:
        positive = {"epochs": self.epochs, "batch_size": self.batch_size, "grad_accum": self.grad_accum,
                    "checkpoint_every": self.checkpoint_every, "lora_r": self.lora_r,
                    "lora_alpha": self.lora_alpha}
        for name, value in positive.items():
            if value < 1:
                raise ValueError(f"{name} must be at least 1, not {value}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be positive, not {self.learning_rate}")
        if self.max_steps < 0 or not 0 <= self.warmup_ratio < 1 or not 0 <= self.lora_dropout < 1:
            raise ValueError("max_steps must be >= 0, warmup_ratio and lora_dropout in [0, 1)")

    @property
    def method(self) -> str:
        return "lora" if self.lora else "full"


@dataclass(frozen=True, slots=True)
class TrainResult:
    """What a run produced: the model directory, the steps taken and every step's loss."""

    out: Path
    steps: int
    losses: tuple[float, ...]
    seconds: float
    resumed_from_step: int


@dataclass(frozen=True, slots=True)
class _Plan:
    """Which records each optimiser step trains on: a function of the seed and the step alone."""

    records: int
    batch_size: int
    grad_accum: int
    epochs: int
    max_steps: int
    seed: int

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.records / (self.batch_size * self.grad_accum))

    @property
    def total_steps(self) -> int:
        return self.max_steps or self.epochs * self.steps_per_epoch

    def micro_batches(self, step: int) -> list[list[int]]:
        import torch

        epoch, within = divmod(step, self.steps_per_epoch)
        order = torch.randperm(self.records, generator=torch.Generator().manual_seed(self.seed * 1_000_003 + epoch))
        per_step = self.batch_size * self.grad_accum
        chosen = order[within * per_step : (within + 1) * per_step].tolist()
        return [chosen[i : i + self.batch_size] for i in range(0, len(chosen), self.batch_size)]


@dataclass(slots=True)
class _State:
    step: int = 0
    losses: list[float] = field(default_factory=list)
    resumed_from: int = 0


def fine_tune(
    records: Sequence[TrainingRecord],
    *,
    cfg: WorkerConfig,
    out: Path,
    options: TrainOptions,
    all_records: Sequence[TrainingRecord] | None = None,
    resume: bool = False,
    progress: bool = True,
    note: str = "",
    base_label: str = "",
) -> TrainResult:
    """Train ``cfg.model`` on ``records`` and save the model and its training card into ``out``.

    ``cfg`` is the worker configuration the model will be served with: its prompt profile, pixel budget, device
    and dtype shape the training examples exactly as the engine will shape its requests. ``all_records`` (the
    whole export, held-out splits included) only feeds the card's counts; ``base_label`` names the base on the
    card instead of ``cfg.model`` (e.g. for a base built in a temporary directory). Raises `TrainingError` when ``out``
    already holds a run and ``resume`` is not set, or when the checkpoint there belongs to another run.
    """
    if not records:
        raise TrainingError("no records to train on (check --split)")
    started = time.perf_counter()
    checkpoint = out / CHECKPOINT_DIR / CHECKPOINT_FILE
    _check_out(out, checkpoint, resume=resume)
    session = _Session.start(records, cfg=cfg, options=options)
    if resume and checkpoint.is_file():
        session.restore(checkpoint)
    session.run(checkpoint, progress=progress)
    seconds = time.perf_counter() - started
    session.save(out)
    card = session.card(all_records if all_records is not None else records, seconds=seconds, note=note,
                        base_label=base_label)
    write_card(out, card)
    return TrainResult(out, session.state.step, tuple(session.state.losses), seconds, session.state.resumed_from)


def _check_out(out: Path, checkpoint: Path, *, resume: bool) -> None:
    if resume or not out.exists():
        return
    if checkpoint.is_file():
        raise TrainingError(f"{out} holds an unfinished run: pass --resume to continue it, or choose another --out")
    if any(out.iterdir()):
        raise TrainingError(f"{out} is not empty: choose another --out")


class _Session:
    """One run's model, optimiser and progress (see the module docstring)."""

    def __init__(self, records: Sequence[TrainingRecord], *, cfg: WorkerConfig, options: TrainOptions,
                 model: Any, processor: Any, base_revision: str, device: torch.device, dtype: torch.dtype) -> None:
        import torch

        self.records, self.cfg, self.options = list(records), cfg, options
        self.device, self.dtype = device, dtype
        self.model, self.processor, self.base_revision = model, processor, base_revision
        self.format: ChatFormat = chat_format(self.processor, cfg)
        self.pad_id = self.processor.tokenizer.pad_token_id or 0
        self.plan = _Plan(len(records), options.batch_size, options.grad_accum, options.epochs,
                          options.max_steps, options.seed)
        trainable = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(trainable, lr=options.learning_rate, weight_decay=options.weight_decay)
        warmup = int(self.plan.total_steps * options.warmup_ratio)
        total = self.plan.total_steps
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: min((step + 1) / max(warmup, 1), max(total - step, 0) / max(total - warmup, 1))
        )
        self.state = _State()

    @classmethod
    def start(cls, records: Sequence[TrainingRecord], *, cfg: WorkerConfig, options: TrainOptions) -> _Session:
        """Seed everything, load the base as the worker would, and wrap it for LoRA when asked."""
        import torch

        from inference_worker.engines.transformers_engine import resolve_device
        from inference_worker.loading import load_pretrained

        random.seed(options.seed)
        torch.manual_seed(options.seed)
        device = resolve_device(cfg.device)
        dtype = _training_dtype(cfg.dtype, device, lora=options.lora)
        loaded = load_pretrained(cfg, device=device, dtype=dtype)
        model = loaded.model.to(device)
        model.config.use_cache = False  # the KV cache only serves generation
        if options.gradient_checkpointing:
            model.gradient_checkpointing_enable()
            model.enable_input_require_grads()
        if options.lora:
            model = _with_lora(model, options, base=cfg.model, revision=cfg.model_revision)
        model.train()
        return cls(records, cfg=cfg, options=options, model=model, processor=loaded.processor,
                   base_revision=loaded.resolved_revision or cfg.model_revision, device=device, dtype=dtype)

    def run(self, checkpoint: Path, *, progress: bool) -> None:
        from tqdm.auto import tqdm

        total = self.plan.total_steps
        with tqdm(total=total, initial=self.state.step, desc="fine-tuning", unit="step", disable=not progress,
                  file=sys.stderr, dynamic_ncols=True) as bar:
            while self.state.step < total:
                loss = self._step(self.plan.micro_batches(self.state.step))
                self.state.losses.append(loss)
                self.state.step += 1
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.4f}", lr=f"{self.scheduler.get_last_lr()[0]:.2e}")
                if self.state.step % self.options.checkpoint_every == 0 and self.state.step < total:
                    self.checkpoint(checkpoint)

    def _step(self, micro_batches: list[list[int]]) -> float:
        import torch

        total = 0.0
        for indices in micro_batches:
            batch = collate([encode(self.format, self.records[i]) for i in indices], self.pad_id)
            moved = {key: value.to(self.device) for key, value in batch.items()}
            moved["pixel_values"] = moved["pixel_values"].to(self.dtype)
            loss = self.model(**moved).loss / len(micro_batches)
            loss.backward()
            total += float(loss.detach())
        trainable = [p for group in self.optimizer.param_groups for p in group["params"]]
        torch.nn.utils.clip_grad_norm_(trainable, self.options.max_grad_norm)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return total

    def fingerprint(self) -> str:
        """What a checkpoint must agree on to be resumed: base, prompt, pixel budget, options and data."""
        options = {k: v for k, v in asdict(self.options).items() if k != "checkpoint_every"}
        data = [(str(r.image), sorted(r.finding.items())) for r in self.records]
        key = [self.cfg.model, self.cfg.model_revision, self.format.profile.prompt_version, self.cfg.min_pixels,
               self.format.max_pixels, options, data]
        return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode("utf-8")).hexdigest()

    def checkpoint(self, path: Path) -> None:
        """Save the run's state atomically (see the module docstring)."""
        import torch

        path.parent.mkdir(parents=True, exist_ok=True)
        trainable = {name: p.detach().cpu() for name, p in self.model.named_parameters() if p.requires_grad}
        rng = {"torch": torch.get_rng_state(), "python": random.getstate()}
        if torch.cuda.is_available():
            rng["cuda"] = torch.cuda.get_rng_state_all()
        payload = {"step": self.state.step, "losses": self.state.losses, "fingerprint": self.fingerprint(),
                   "trainable": trainable, "optimizer": self.optimizer.state_dict(),
                   "scheduler": self.scheduler.state_dict(), "rng": rng}
        partial = path.with_suffix(".partial")
        torch.save(payload, partial)
        os.replace(partial, path)

    def restore(self, path: Path) -> None:
        """Continue from the checkpoint at ``path``; `TrainingError` when it belongs to another run."""
        import torch

        payload = torch.load(path, map_location="cpu", weights_only=True)
        if payload.get("fingerprint") != self.fingerprint():
            raise TrainingError(
                f"{path} was written by a run with other data, base or options; resume with the same ones, "
                f"or delete {path.parent} to start again"
            )
        unexpected = self.model.load_state_dict(payload["trainable"], strict=False).unexpected_keys
        if unexpected:
            raise TrainingError(f"{path} holds weights this model lacks, e.g. {unexpected[0]}")
        self.optimizer.load_state_dict(payload["optimizer"])
        self.scheduler.load_state_dict(payload["scheduler"])
        torch.set_rng_state(payload["rng"]["torch"])
        random.setstate(payload["rng"]["python"])
        if "cuda" in payload["rng"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(payload["rng"]["cuda"])
        self.state = _State(payload["step"], list(payload["losses"]), resumed_from=payload["step"])

    def save(self, out: Path) -> None:
        """The model directory the engine loads: full weights, or the adapter; the processor in both cases."""
        out.mkdir(parents=True, exist_ok=True)
        self.model.config.use_cache = True
        self.model.save_pretrained(out)
        self.processor.save_pretrained(out)

    def card(self, all_records: Sequence[TrainingRecord], *, seconds: float, note: str, base_label: str
             ) -> TrainingCard:
        per_epoch = self.plan.steps_per_epoch
        losses = self.state.losses
        epoch_losses = [sum(chunk) / len(chunk) for start in range(0, len(losses), per_epoch)
                        if (chunk := losses[start : start + per_epoch])]
        options = {**asdict(self.options), "min_pixels": self.cfg.min_pixels, "max_pixels": self.format.max_pixels,
                   "prompt_profile": self.cfg.prompt_profile, "dtype": str(self.dtype).removeprefix("torch.")}
        return TrainingCard(
            base_model=base_label or self.cfg.model, base_revision=self.base_revision, method=self.options.method,
            prompt_version=self.format.profile.prompt_version, options=options,
            data=data_counts(all_records, self.records), losses=[round(x, 6) for x in losses],
            epoch_losses=[round(x, 6) for x in epoch_losses], steps=self.state.step, seconds=round(seconds, 1),
            device=str(self.device), resumed_from_step=self.state.resumed_from, note=note,
            libraries=library_versions(),
        )


def _training_dtype(dtype: str, device: torch.device, *, lora: bool) -> torch.dtype:
    """bfloat16 for LoRA on CUDA (the base is frozen), float32 otherwise: AdamW in 16 bits loses small updates."""
    import torch

    if dtype != "auto":
        return {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}[dtype]
    return torch.bfloat16 if lora and device.type == "cuda" else torch.float32


def _with_lora(model: Any, options: TrainOptions, *, base: str, revision: str) -> Any:
    """The model wrapped with fresh LoRA adapters; the adapter's config names ``base`` for the loader."""
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    if getattr(model, "is_loaded_in_4bit", False) or getattr(model, "is_loaded_in_8bit", False):
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=options.gradient_checkpointing)
    config = LoraConfig(
        r=options.lora_r, lora_alpha=options.lora_alpha, lora_dropout=options.lora_dropout,
        target_modules=LORA_TARGETS,
    )
    wrapped = get_peft_model(model, config, revision=revision)
    # get_peft_model records the path the weights were read from, which for a merged adapter is a cache folder.
    wrapped.peft_config["default"].base_model_name_or_path = base
    return wrapped
