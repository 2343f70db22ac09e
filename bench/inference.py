"""Throughput of the inference engine by batch size: does micro-batching pay?

Runs the production `TransformersEngine` on the same synthetic photos at batch sizes 1, 4, 8 and 16
(after a warm-up, several rounds over all sizes, median kept) and prints images per second and the
speed-up over batch size 1. The last lines are ``key=value`` headline figures for scripts:
``batch8_speedup=`` and ``images_per_s_batch1=`` among them.

Models (``--model``):

* ``tiny`` (default): the random tiny Qwen3-VL from `inference_worker.testing.build_tiny_model`,
  built into ``var/models/tiny-qwen3vl`` if missing. Measures the engine's own overhead
  (preprocessing, padding, grammar masking, Python per step) in about a minute on a laptop CPU.
  Its image budget defaults to 64 visual tokens rather than production's 512: the tiny text model
  decodes so cheaply that at 512 the per-image work (resizing, patching, the vision tower's
  attention over 2,048 patches) would dominate on a CPU, which is the opposite of the real model
  on a GPU, where decoding dominates. ``--max-pixels`` or ``DERMREVIEW_MAX_PIXELS`` overrides it.
* ``full-random``: a full-size Qwen3-VL-2B with random weights, built in memory on the device
  (no download): the real model's compute per token. Meant for a CUDA machine.
* a directory: any local checkpoint, e.g. ``var/models/unsloth_Qwen3vl_finetune``.

Otherwise image size bounds, dtype, device and attention come from the ``DERMREVIEW_*``
environment as in production; ``--max-new-tokens`` defaults to the production value too. The
engine is the production engine, unchanged; only its batch size is raised to the largest measured.

Thread settings: ``OMP_WAIT_POLICY`` defaults to ``PASSIVE`` here (see below), and ``--threads``
sets torch's intra-op threads (default: torch's choice, the number of physical cores).

Usage: ``python bench/inference.py [--model tiny|full-random|DIR] [--repeats 3] [--images 16]``
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter

# On a CPU shared with other busy processes, OpenMP's default busy-waiting makes torch's worker
# threads spin against each other: the tiny model decoded 15x slower on a loaded 2-core machine.
# Passive waiting costs about a third of the throughput on a quiet machine but keeps the figures
# meaningful on a busy one. Must be set before torch is imported; an explicit setting wins
# (OMP_WAIT_POLICY=ACTIVE for a dedicated machine).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # tokenizer threads would compete with torch's

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))  # run as a plain script from a checkout

from inference_worker import ImageInput, WorkerConfig  # noqa: E402 - after the path set-up

TINY_MODEL_DIR = REPO_ROOT / "var" / "models" / "tiny-qwen3vl"
TINY_DEFAULT_MAX_PIXELS = 64 * 32 * 32  # 64 visual tokens (256x256)
# Phone and dermatoscope shapes, landscape and portrait: the batch mixes grid sizes as real uploads do.
PHOTO_SIZES = [
    (1024, 768),
    (768, 1024),
    (640, 480),
    (1200, 1200),
    (300, 900),
    (1600, 1200),
    (800, 600),
    (512, 512),
]


def synthetic_photos(count: int, *, seed: int = 7) -> list[ImageInput]:
    """Skin-toned photos with a blurred dark blob: enough structure to exercise the pipeline."""
    rng = random.Random(seed)
    photos = []
    for index in range(count):
        width, height = PHOTO_SIZES[index % len(PHOTO_SIZES)]
        skin = (rng.randint(170, 235), rng.randint(120, 190), rng.randint(100, 160))
        image = Image.new("RGB", (width, height), skin)
        draw = ImageDraw.Draw(image)
        cx, cy = width * rng.uniform(0.35, 0.65), height * rng.uniform(0.35, 0.65)
        rx, ry = width * rng.uniform(0.08, 0.2), height * rng.uniform(0.08, 0.2)
        lesion = (rng.randint(60, 140), rng.randint(30, 80), rng.randint(20, 60))
        draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=lesion)
        photos.append(ImageInput(key=f"bench-{index}", image=image.filter(ImageFilter.GaussianBlur(3))))
    return photos


def build_engine(args: argparse.Namespace, batch_size: int) -> tuple[Any, str]:
    """The engine under test, configured so that one `generate` call of N images is one batch."""
    from inference_worker.engines import get_engine
    from inference_worker.engines.transformers_engine import TransformersEngine, resolve_device, resolve_dtype

    base = WorkerConfig.from_env()
    overrides: dict[str, Any] = {"backend": "transformers", "batch_size": batch_size}
    if args.max_new_tokens is not None:
        overrides["max_new_tokens"] = args.max_new_tokens
    if args.device is not None:
        overrides["device"] = args.device
    if args.max_pixels is not None:
        overrides["max_pixels"] = args.max_pixels
        overrides["min_pixels"] = min(base.min_pixels, args.max_pixels // 4)

    if args.model == "full-random":
        from inference_worker.testing.full_random_model import build_full_random_model

        cfg = dataclasses.replace(base, model="full-random-qwen3vl-2b", **overrides)
        device = resolve_device(cfg.device)
        started = time.perf_counter()
        model, processor = build_full_random_model(
            device=str(device),
            dtype=resolve_dtype(cfg.dtype, device),
            attn_implementation=cfg.attn_implementation,
        )
        print(f"built full-size random Qwen3-VL-2B in {time.perf_counter() - started:.1f}s", flush=True)
        engine = TransformersEngine.from_components(
            cfg, model=model, processor=processor, model_revision="random"
        )
        return engine, "full-random"

    if args.model == "tiny":
        from inference_worker.testing.build_tiny_model import build_tiny_model

        if args.max_pixels is None and "DERMREVIEW_MAX_PIXELS" not in os.environ:
            # The tiny text model decodes so cheaply that, at the production budget of 512 visual
            # tokens, per-image work (resizing, patching, the vision tower) would dominate on a
            # CPU, unlike the real model on a GPU, where decoding does. See the module docstring.
            overrides["max_pixels"] = TINY_DEFAULT_MAX_PIXELS
            overrides["min_pixels"] = min(base.min_pixels, TINY_DEFAULT_MAX_PIXELS // 4)
        model_dir = build_tiny_model(TINY_MODEL_DIR)
        cfg = dataclasses.replace(base, model=str(model_dir), **overrides)
        return get_engine(cfg), "tiny"

    cfg = dataclasses.replace(base, model=args.model, **overrides)
    return get_engine(cfg), args.model


def run_at_batch_size(engine: Any, photos: list[ImageInput], batch_size: int) -> tuple[float, list[Any]]:
    """Seconds to draft every photo in batches of ``batch_size``, and the results."""
    results = []
    started = time.perf_counter()
    for start in range(0, len(photos), batch_size):
        results.extend(engine.generate(photos[start : start + batch_size]))
    return time.perf_counter() - started, results


def _sync(device: Any) -> None:
    import torch

    if getattr(device, "type", "") == "cuda":
        torch.cuda.synchronize()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny", help="tiny (default), full-random, or a model directory")
    parser.add_argument("--batch-sizes", default="1,4,8,16", help="comma-separated; 1 must be among them")
    parser.add_argument("--images", type=int, default=16, help="photos per measurement (default 16)")
    parser.add_argument(
        "--repeats", type=int, default=3, help="measurements per batch size; the median is kept"
    )
    parser.add_argument("--max-new-tokens", type=int, default=None, help="default: DERMREVIEW_MAX_NEW_TOKENS")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default=None)
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument(
        "--max-pixels",
        type=int,
        default=None,
        help="image budget in pixels (default: DERMREVIEW_MAX_PIXELS; 65536 for the tiny model)",
    )
    args = parser.parse_args(argv)

    batch_sizes = sorted({int(size) for size in args.batch_sizes.split(",")})
    if 1 not in batch_sizes:
        parser.error("--batch-sizes must include 1: speed-ups are relative to it")

    import torch

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    engine, model_name = build_engine(args, batch_size=max(batch_sizes))
    device = engine.device
    photos = synthetic_photos(args.images)

    # Warm-up: first calls pay for lazy initialisation (kernels, allocator, grammar caches).
    for size in (1, max(batch_sizes)):
        engine.generate(photos[:size])
    _sync(device)

    print(
        f"model={model_name} device={device} dtype={engine.model.dtype} threads={torch.get_num_threads()} "
        f"omp_wait_policy={os.environ.get('OMP_WAIT_POLICY')} "
        f"images={len(photos)} repeats={args.repeats} max_new_tokens={engine.cfg.max_new_tokens} "
        f"pixels=[{engine.cfg.min_pixels}, {engine.cfg.image_max_pixels}]",
        flush=True,
    )
    # Round-robin over batch sizes, so that a noisy neighbour on a shared machine slows every
    # batch size alike instead of spoiling one of them.
    timings: dict[int, list[float]] = {size: [] for size in batch_sizes}
    last: dict[int, list[Any]] = {}
    all_results = []
    for _ in range(args.repeats):
        for size in batch_sizes:
            seconds, results = run_at_batch_size(engine, photos, size)
            _sync(device)
            timings[size].append(seconds)
            last[size] = results
            all_results.extend(results)

    rates = {size: len(photos) / statistics.median(timings[size]) for size in batch_sizes}
    best = {size: len(photos) / min(timings[size]) for size in batch_sizes}
    batch_ms = {
        size: statistics.median(timings[size]) * 1000 / -(-len(photos) // size) for size in batch_sizes
    }
    print(
        f"{'batch':>5} {'images/s':>9} {'speed-up':>9} {'best/s':>8} {'ms/batch':>9} {'out tok':>8} {'ok':>5}",
        flush=True,
    )
    for size in batch_sizes:
        tokens = statistics.mean(r.output_tokens for r in last[size])
        ok = sum(r.ok for r in last[size]) / len(last[size])
        print(
            f"{size:>5} {rates[size]:>9.2f} {rates[size] / rates[1]:>8.2f}x {best[size]:>8.2f} "
            f"{batch_ms[size]:>9.0f} {tokens:>8.1f} {ok:>5.0%}",
            flush=True,
        )

    print(f"model={model_name}")
    print(f"device={device}")
    print(f"torch_threads={torch.get_num_threads()}")
    print(f"omp_wait_policy={os.environ.get('OMP_WAIT_POLICY')}")
    print(f"max_pixels={engine.cfg.image_max_pixels}")
    for size in batch_sizes:
        print(f"images_per_s_batch{size}={rates[size]:.3f}")
    for size in batch_sizes:
        if size != 1:
            print(f"batch{size}_speedup={rates[size] / rates[1]:.2f}")
    for size in batch_sizes:
        print(f"best_images_per_s_batch{size}={best[size]:.3f}")
    for size in batch_sizes:
        print(f"ms_per_batch_batch{size}={batch_ms[size]:.0f}")
    print(f"ok_rate={sum(r.ok for r in all_results) / len(all_results):.3f}")
    print(f"mean_output_tokens={statistics.mean(r.output_tokens for r in all_results):.1f}")
    print(f"mean_prompt_tokens={statistics.mean(r.prompt_tokens for r in all_results):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
