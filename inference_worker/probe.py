"""See what the model writes when nothing holds it: raw replies, the parser's verdict, and the reply's habits.

Usage::

    python -m inference_worker.probe --model DIR_OR_HUB_ID --images PHOTOS [--profile card --profile unsloth]
        [--decoding free] [--limit 8] [--json probe.json]

For every combination of prompt profile and decoding mode (default: every built-in profile, free decoding) the
photos are drafted by the production engine; each reply is printed raw with what the parser made of it (the
finding, or the failure kind and message), then a summary per combination: which keys the model wrote and how
it spelt them, their value types (string, list, number, object), the key orders seen, how often the reply was
fenced or had prose around the JSON, its mean length in characters and tokens, and how often it parsed.
The reading of the reply's shape is the probe's own (`inference_worker.evaluation.reply_shape`), not the
parser's. Run it on the real weights before trusting a profile: the aliases, layout and list values a profile
allows should be what the model writes unconstrained.

Other settings come from the ``DERMREVIEW_*`` environment, as in the worker. Exit status 2 for a bad option,
folder or profile, 1 when the model cannot be loaded.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inference_worker.config import DECODING_MODES, WorkerConfig
from inference_worker.engines import clear_engine_cache, get_engine
from inference_worker.evaluation.options import add_engine_options, engine_config, find_photos, open_photo
from inference_worker.evaluation.reply_shape import ReplyShape, ShapeSummary, inspect_reply, summarise_shapes
from inference_worker.profile import available_profiles, load_profile
from inference_worker.types import DraftResult, ImageInput, ModelLoadError

EXIT_BAD_INPUT = 2
EXIT_CANNOT_LOAD = 1


@dataclass(frozen=True)
class Combination:
    """The drafts of one profile and decoding mode, with their shapes and summary."""

    profile: str
    decoding: str
    prompt_version: str
    photos: tuple[str, ...]
    drafts: tuple[DraftResult, ...]
    shapes: tuple[ReplyShape, ...]
    summary: ShapeSummary


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m inference_worker.probe", description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_engine_options(parser)
    parser.add_argument("--images", type=Path, required=True, help="folder of photos")
    parser.add_argument("--profile", action="append", default=None,
                        help="prompt profile name or file; repeat for several (default: every built-in)")
    parser.add_argument("--decoding", action="append", choices=DECODING_MODES, default=None,
                        help="decoding mode; repeat for several (default: free)")
    parser.add_argument("--limit", type=int, default=None, help="at most this many photos (sorted by name)")
    parser.add_argument("--json", type=Path, default=None, help="write everything printed as JSON here")
    return parser


def _release_engines() -> None:
    """Forget loaded engines so the next combination does not hold two models in memory."""
    clear_engine_cache()
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


def probe_combination(cfg: WorkerConfig, photos: Sequence[Path]) -> Combination:
    """Draft ``photos`` under ``cfg`` and read each reply's shape. Raises ModelLoadError."""
    profile = load_profile(cfg.prompt_profile)
    engine = get_engine(cfg)
    drafts = engine.generate([ImageInput(key=path.name, image=open_photo(path)) for path in photos])
    shapes = [inspect_reply(draft.raw_text) for draft in drafts]
    return Combination(
        profile=cfg.prompt_profile, decoding=cfg.decoding, prompt_version=engine.identity.prompt_version,
        photos=tuple(path.name for path in photos), drafts=tuple(drafts), shapes=tuple(shapes),
        summary=summarise_shapes(drafts, shapes, profile.field_for_key),
    )


def _verdict(draft: DraftResult) -> str:
    if draft.finding is not None:
        return "finding " + json.dumps(draft.finding.model_dump(), ensure_ascii=False)
    return f"failure {draft.failure_kind}: {draft.failure_message}"


def format_replies(combination: Combination) -> str:
    lines = [f"== profile {combination.profile}, decoding {combination.decoding} "
             f"(prompt version {combination.prompt_version}) =="]
    for name, draft in zip(combination.photos, combination.drafts, strict=True):
        lines.append(f"[{name}] {draft.output_tokens} tokens, {len(draft.raw_text)} characters")
        lines.extend(f"  | {line}" for line in (draft.raw_text or "(empty)").splitlines())
        lines.append(f"  -> {_verdict(draft)}")
    return "\n".join(lines) + "\n"


def _counts(counter: Any) -> str:
    return ", ".join(f"{key!r} x{count}" if isinstance(key, str) else f"{key} x{count}"
                     for key, count in counter.most_common())


def format_summary(combinations: Sequence[Combination]) -> str:
    """The summary table (one row per profile x decoding), then each combination's keys, types and orders."""
    lines = [f"{'profile':<12} {'decoding':<8} {'replies':>7} {'parsed':>7} {'object':>7} {'fenced':>7} "
             f"{'prose':>7} {'chars':>7} {'tokens':>7}"]
    for c in combinations:
        s = c.summary
        lines.append(f"{c.profile:<12} {c.decoding:<8} {s.replies:>7} {s.share(s.parseable):>7.0%} "
                     f"{s.share(s.objects):>7.0%} {s.share(s.fenced):>7.0%} {s.share(s.prose):>7.0%} "
                     f"{s.mean_chars:>7.0f} {s.mean_tokens:>7.1f}")
    for c in combinations:
        s = c.summary
        lines += ["", f"-- {c.profile} / {c.decoding}: keys as written (field: spellings) and value types --"]
        for name in sorted(s.spellings):
            lines.append(f"  {name}: {_counts(s.spellings[name])}; types {_counts(s.value_types[name])}")
        lines.append("  key orders: " + ("; ".join(f"[{order}] x{n}" for order, n in s.key_orders.most_common())
                                         or "none (no JSON object)"))
        lines.append("  failures: " + (_counts(s.failures) or "none"))
    return "\n".join(lines) + "\n"


def probe_data(combinations: Sequence[Combination]) -> dict[str, Any]:
    """Everything printed, as JSON data."""
    return {"combinations": [
        {
            "profile": c.profile, "decoding": c.decoding, "prompt_version": c.prompt_version,
            "summary": c.summary.as_data(),
            "replies": [
                {"image": name, "raw_text": d.raw_text, "output_tokens": d.output_tokens,
                 "finding": d.finding.model_dump() if d.finding is not None else None,
                 "failure_kind": str(d.failure_kind) if d.failure_kind is not None else None,
                 "failure_message": d.failure_message, "shape": _shape_data(shape)}
                for name, d, shape in zip(c.photos, c.drafts, c.shapes, strict=True)
            ],
        }
        for c in combinations
    ]}


def _shape_data(shape: ReplyShape) -> dict[str, Any]:
    return {"fenced": shape.fenced, "prose": shape.prose, "has_object": shape.has_object,
            "keys": list(shape.keys), "value_types": list(shape.value_types), "problem": shape.problem}


def _configs(args: argparse.Namespace) -> tuple[list[WorkerConfig], list[Path]]:
    """One configuration per profile x decoding, and the photos; ValueError for a bad option or profile."""
    if args.limit is not None and args.limit < 1:
        raise ValueError("--limit must be at least 1")
    profiles = args.profile or list(available_profiles())
    for profile in profiles:
        load_profile(profile)
    photos = find_photos(args.images, limit=args.limit)
    configs = [engine_config(args, prompt_profile=profile, decoding=decoding)
               for profile in profiles for decoding in (args.decoding or ["free"])]
    return configs, photos


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        configs, photos = _configs(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    combinations = []
    for cfg in configs:
        try:
            combination = probe_combination(cfg, photos)
        except ModelLoadError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_CANNOT_LOAD
        finally:
            _release_engines()
        print(format_replies(combination), flush=True)
        combinations.append(combination)
    print(format_summary(combinations), end="")
    if args.json is not None:
        args.json.write_text(json.dumps(probe_data(combinations), indent=1, ensure_ascii=False) + "\n",
                             encoding="utf-8")
        print(f"JSON: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
