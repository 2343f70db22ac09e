"""Throughput of the evaluation harness: photos drafted and scored per second, batched vs one at a time.

Runs `inference_worker.evaluation.harness.evaluate` (the production engine's `generate`, then one BERTScore call
with the packaged offline scorer, then the lesion-class matching) over a synthetic fixture
(`inference_worker.testing.synthetic_lesions`, 16 photos by default) at batch size 8 and at batch size 1, in one
run: after a warm-up, several rounds alternate the two (a busy machine slows both alike) and the median round is
kept. The drafts are schema-decoded, as in production, so every photo is scored.

Models (``--model``): ``tiny`` (default), the random tiny Qwen3-VL built into a temporary directory (the harness's
own overhead, in about a minute on a laptop CPU; 64 visual tokens per photo, as bench/inference.py uses for it),
or a model directory (e.g. the real weights on a GPU). Other settings come from the ``DERMREVIEW_*`` environment.

The last lines are ``key=value`` figures: ``harness_images_per_s`` (batched), ``harness_images_per_s_batch1``,
``harness_batched_speedup`` (batch 8 over batch 1), ``harness_peak_mb`` (peak device memory on CUDA,
``torch.cuda.max_memory_allocated``; otherwise the process's peak resident memory from ``getrusage``).

Usage: ``python bench/evaluate.py [--model tiny|DIR] [--images 16] [--batch-size 8] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# As bench/inference.py: passive OpenMP waiting keeps figures meaningful on a CPU shared with other processes.
# Must be set before torch is imported; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the scorer and the tiny model are local; never download

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))  # run as a plain script from a checkout

from bench.inference import TINY_DEFAULT_MAX_PIXELS  # noqa: E402 - after the path set-up
from inference_worker import WorkerConfig  # noqa: E402
from inference_worker.evaluation.harness import Evaluation, ScorerInfo, evaluate  # noqa: E402
from inference_worker.evaluation.labels import LabelledPhoto, read_labels  # noqa: E402
from inference_worker.evaluation.lesion_classes import builtin_vocabulary  # noqa: E402
from inference_worker.scoring import get_scorer  # noqa: E402
from inference_worker.testing.synthetic_lesions import write_fixture  # noqa: E402


def build_engine(args: argparse.Namespace, workdir: Path) -> Any:
    """The production engine on the chosen model, schema decoding, batch size ``args.batch_size``."""
    from inference_worker.engines import get_engine

    base = WorkerConfig.from_env()
    overrides: dict[str, Any] = {"backend": "transformers", "batch_size": args.batch_size, "decoding": "schema"}
    if args.device is not None:
        overrides["device"] = args.device
    if args.model == "tiny":
        from inference_worker.testing.build_tiny_model import build_tiny_model

        model = str(build_tiny_model(workdir / "tiny-qwen3vl"))
        if "DERMREVIEW_MAX_PIXELS" not in os.environ:
            overrides.update(max_pixels=TINY_DEFAULT_MAX_PIXELS,
                             min_pixels=min(base.min_pixels, TINY_DEFAULT_MAX_PIXELS // 4))
    else:
        model = args.model
    return get_engine(dataclasses.replace(base, model=model, **overrides))


def peak_memory_mb(device: Any) -> tuple[float, str]:
    """Peak memory in MB and what it measures."""
    if getattr(device, "type", "") == "cuda":
        import torch

        return torch.cuda.max_memory_allocated(device) / 2**20, "cuda max_memory_allocated"
    # Linux reports ru_maxrss in kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "peak RSS (getrusage)"


def timed_run(engine: Any, photos: list[LabelledPhoto], batch_size: int, scorer: Any,
              info: ScorerInfo) -> tuple[float, Evaluation]:
    started = time.perf_counter()
    evaluation = evaluate(engine, photos, scorer=scorer, scorer_info=info, vocabulary=builtin_vocabulary(),
                          batch_size=batch_size, progress=False)
    return time.perf_counter() - started, evaluation


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny", help="tiny (default) or a model directory")
    parser.add_argument("--images", type=int, default=16, help="synthetic photos (default 16)")
    parser.add_argument("--batch-size", type=int, default=8, help="the batched run's batch size (default 8)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of both runs; the median is kept")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default=None)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="dermreview-bench-evaluate-") as tmp:
        workdir = Path(tmp)
        write_fixture(workdir / "photos", count=args.images, seed=0)
        photos = read_labels(workdir / "photos" / "labels.csv", workdir / "photos")
        engine = build_engine(args, workdir)
        scorer = get_scorer()
        info = ScorerInfo(model=scorer.model_name, num_layers=scorer.num_layers, version=scorer.version)
        timed_run(engine, photos[: args.batch_size], args.batch_size, scorer, info)  # warm-up: lazy set-up

        sizes = (1, args.batch_size)
        seconds: dict[int, list[float]] = {size: [] for size in sizes}
        last: dict[int, Evaluation] = {}
        for _ in range(args.rounds):
            for size in sizes:
                elapsed, last[size] = timed_run(engine, photos, size, scorer, info)
                seconds[size].append(elapsed)
        return report(engine, args, photos, seconds, last)


def report(engine: Any, args: argparse.Namespace, photos: list[LabelledPhoto], seconds: dict[int, list[float]],
           last: dict[int, Evaluation]) -> int:
    rates = {size: len(photos) / statistics.median(times) for size, times in seconds.items()}
    peak, peak_kind = peak_memory_mb(engine.device)
    print(f"model={engine.identity.model_id} device={engine.device} photos={len(photos)} rounds={args.rounds} "
          f"pixels=[{engine.cfg.min_pixels}, {engine.cfg.image_max_pixels}] scorer={last[1].scorer.describe()}")
    print(f"{'batch':>5} {'photos/s':>9} {'drafting s':>10} {'scoring s':>9} {'drafted':>8} {'out tok':>8}")
    for size, evaluation in sorted(last.items()):
        tokens = statistics.fmean(o.output_tokens for o in evaluation.outcomes)
        print(f"{size:>5} {rates[size]:>9.2f} {evaluation.seconds['drafting']:>10.2f} "
              f"{evaluation.seconds['scoring']:>9.2f} {evaluation.drafted_ok:>5}/{len(photos):<2} {tokens:>8.1f}")
    print(f"peak memory: {peak:.0f} MB ({peak_kind})")
    print(f"harness_images_per_s={rates[args.batch_size]:.3f}")
    print(f"harness_images_per_s_batch1={rates[1]:.3f}")
    print(f"harness_batched_speedup={rates[args.batch_size] / rates[1]:.2f}")
    print(f"harness_peak_mb={peak:.0f}")
    print(f"harness_drafted_ok={last[args.batch_size].drafted_ok}/{len(photos)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
