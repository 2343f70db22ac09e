"""Fine-tune the drafting model on signed findings, with the chat format and prompt profile of inference.

Usage::

    python -m inference_worker.finetune --data EXPORT.jsonl --images DIR --base MODEL --out DIR [--lora]
        [--epochs 3] [--lr 2e-4] [--batch-size 4] [--grad-accum 1] [--rank 16] [--alpha 32] [--dropout 0.05]
        [--split train] [--checkpoint-every 50] [--resume] [--profile card] [--device auto] [--dtype auto]

``EXPORT.jsonl`` is the training export (``manage.py training_export``): one photo per line, ``image`` relative
to ``--images`` and the six signed fields; records whose ``split`` is not the one asked for (``train`` by default,
which also takes records without a split) are left out of training and only counted on the card.

``--lora`` trains peft LoRA adapters on the language model (the model card's r=16, alpha 32, dropout 0.05 by
default), meant for the real model on CUDA; without it every weight trains, which suits small models on a CPU.
The output directory is what the worker loads (``DERMREVIEW_MODEL=OUT``): the full model, or the adapter that
the worker merges into its base. ``training_card.json`` and ``training_card.md`` are written into it (data
counts, options, losses), and ``OUT/checkpoints/`` lets ``--resume`` continue a stopped run.

The prompt profile, pixel budget, device and dtype default to the ``DERMREVIEW_*`` environment, as in the worker,
so the model is trained on exactly what it will be asked. Exit status: 0 on success, 2 for bad input (the message
names the file and line), 1 when the model cannot be loaded or the run cannot continue.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from inference_worker.config import WorkerConfig
from inference_worker.training.dataset import (
    ALL_SPLITS,
    DEFAULT_SPLIT,
    DatasetError,
    read_records,
    select_split,
)
from inference_worker.training.loop import TrainingError, TrainOptions, fine_tune
from inference_worker.types import ModelLoadError

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1
_DEFAULTS = TrainOptions()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m inference_worker.finetune", description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data", type=Path, required=True, help="the training export (JSONL)")
    parser.add_argument("--images", type=Path, required=True, help="folder the records' image paths are under")
    parser.add_argument("--base", required=True, help="model to start from: hub id or local directory")
    parser.add_argument("--base-revision", default="main", help="revision of --base (default main)")
    parser.add_argument("--out", type=Path, required=True, help="where the fine-tuned model is written")
    parser.add_argument("--lora", action="store_true", help="train LoRA adapters instead of every weight")
    parser.add_argument("--rank", type=int, default=_DEFAULTS.lora_r, help="LoRA rank (default %(default)s)")
    parser.add_argument("--alpha", type=int, default=_DEFAULTS.lora_alpha, help="LoRA alpha (default %(default)s)")
    parser.add_argument("--dropout", type=float, default=_DEFAULTS.lora_dropout,
                        help="LoRA dropout (default %(default)s)")
    parser.add_argument("--epochs", type=int, default=_DEFAULTS.epochs, help="(default %(default)s)")
    parser.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (default: epochs)")
    parser.add_argument("--lr", type=float, default=_DEFAULTS.learning_rate, help="peak learning rate")
    parser.add_argument("--batch-size", type=int, default=_DEFAULTS.batch_size, help="photos per micro-batch")
    parser.add_argument("--grad-accum", type=int, default=_DEFAULTS.grad_accum, help="micro-batches per step")
    parser.add_argument("--warmup-ratio", type=float, default=_DEFAULTS.warmup_ratio)
    parser.add_argument("--weight-decay", type=float, default=_DEFAULTS.weight_decay)
    parser.add_argument("--seed", type=int, default=_DEFAULTS.seed)
    parser.add_argument("--gradient-checkpointing", action="store_true", help="trade compute for memory")
    parser.add_argument("--split", default=DEFAULT_SPLIT, help=f"records to train on, or {ALL_SPLITS!r}")
    parser.add_argument("--checkpoint-every", type=int, default=_DEFAULTS.checkpoint_every, help="steps")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    parser.add_argument("--profile", default=None, help="prompt profile name or file (default: DERMREVIEW_PROMPT)")
    parser.add_argument("--device", choices=("auto", "cuda", "cpu"), default=None)
    parser.add_argument("--dtype", choices=("auto", "bfloat16", "float16", "float32"), default=None,
                        help="default: bfloat16 for LoRA on CUDA, float32 otherwise")
    parser.add_argument("--min-pixels", type=int, default=None, help="default: DERMREVIEW_MIN_PIXELS")
    parser.add_argument("--max-pixels", type=int, default=None, help="default: DERMREVIEW_MAX_PIXELS or the profile's")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def options_from(args: argparse.Namespace) -> TrainOptions:
    """The training options the command line asks for (`ValueError` on a bad one)."""
    return TrainOptions(
        epochs=args.epochs, learning_rate=args.lr, batch_size=args.batch_size, grad_accum=args.grad_accum,
        warmup_ratio=args.warmup_ratio, weight_decay=args.weight_decay, seed=args.seed, max_steps=args.max_steps,
        checkpoint_every=args.checkpoint_every, lora=args.lora, lora_r=args.rank, lora_alpha=args.alpha,
        lora_dropout=args.dropout, gradient_checkpointing=args.gradient_checkpointing,
    )


def config_from(args: argparse.Namespace) -> WorkerConfig:
    """The worker configuration the model will be served with: the environment, then the options given."""
    overrides = {"prompt_profile": args.profile, "device": args.device, "dtype": args.dtype,
                 "min_pixels": args.min_pixels, "max_pixels": args.max_pixels}
    given = {key: value for key, value in overrides.items() if value is not None}
    return dataclasses.replace(WorkerConfig.from_env(), model=args.base, model_revision=args.base_revision,
                               backend="transformers", **given)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        options, cfg = options_from(args), config_from(args)
        records = read_records(args.data, args.images)
    except (ValueError, DatasetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    used = select_split(records, args.split)
    try:
        result = fine_tune(used, cfg=cfg, out=args.out, options=options, all_records=records, resume=args.resume,
                           progress=not args.no_progress)
    except (ModelLoadError, TrainingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    last = f"{result.losses[-1]:.4f}" if result.losses else "n/a"
    print(f"trained {options.method} on {len(used)} of {len(records)} records: {result.steps} steps in "
          f"{result.seconds:.0f} s, last loss {last}; model and training card in {result.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
