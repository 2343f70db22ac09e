"""Measure a model on labelled photos and print the model card's table beside the card's own figures.

Usage::

    python -m inference_worker.evaluate --model DIR_OR_HUB_ID --images PHOTOS --labels labels.csv \\
        [--profile card] [--decoding schema] [--batch-size 8] [--out report.json] [--html report.html] \\
        [--classes classes.json] [--scorer-model all-MiniLM-L6-v2] [--scorer-layers 6]

The labels file (CSV or JSON Lines) holds ``image`` (a path relative to PHOTOS) and the six fields per photo
(`inference_worker.evaluation.labels`). Every photo is drafted by the production engine, batch by batch, with a
progress bar on stderr; each field of each draft is scored against its label with the review side's BERTScore
scorer (default: the DermReview default, BERTSCORE_MODEL=all-MiniLM-L6-v2 with 6 layers, printed with the
figures); the lesion type is also matched to the review vocabulary's classes. ``--out`` saves every photo's raw
reply, finding, failure, scores and classes as JSON; ``--html`` the same as one self-contained page.

Other settings (device, dtype, image budget, token limit) come from the ``DERMREVIEW_*`` environment as in the
worker, or from the options below. Exit status: 0 when the evaluation ran (whatever the figures), 2 for a bad
labels file, photo, option or classes file (the message names the line and column), 1 when the model or the
scorer cannot be loaded.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inference_worker.config import DECODING_MODES
from inference_worker.engines import get_engine
from inference_worker.evaluation.harness import Evaluation, ScorerInfo, evaluate
from inference_worker.evaluation.html_report import write_html
from inference_worker.evaluation.labels import LabelledPhoto, LabelsError, read_labels
from inference_worker.evaluation.lesion_classes import LesionVocabulary, load_vocabulary
from inference_worker.evaluation.options import add_engine_options, engine_config
from inference_worker.evaluation.report import format_report, write_json
from inference_worker.profile import load_profile
from inference_worker.scoring import DEFAULT_MODEL_NAME, DEFAULT_NUM_LAYERS, ScorerUnavailable, get_scorer
from inference_worker.types import ModelLoadError

EXIT_BAD_INPUT = 2
EXIT_CANNOT_LOAD = 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m inference_worker.evaluate", description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_engine_options(parser)
    parser.add_argument("--images", type=Path, required=True, help="folder the labels' image paths are under")
    parser.add_argument("--labels", type=Path, required=True, help="CSV or JSONL: image and the six fields")
    parser.add_argument("--profile", default=None, help="prompt profile name or file (default: DERMREVIEW_PROMPT)")
    parser.add_argument("--decoding", choices=DECODING_MODES, default=None, help="default: DERMREVIEW_DECODING")
    parser.add_argument("--batch-size", type=int, default=None, help="photos per batch (default: the worker's)")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON report here")
    parser.add_argument("--html", type=Path, default=None, help="write the HTML report here")
    parser.add_argument("--classes", type=Path, default=None, help="lesion classes JSON (default: built in)")
    parser.add_argument("--scorer-model", default=DEFAULT_MODEL_NAME,
                        help=f"BERTScore model (default: {DEFAULT_MODEL_NAME}, as BERTSCORE_MODEL)")
    parser.add_argument("--scorer-layers", type=int, default=DEFAULT_NUM_LAYERS,
                        help=f"BERTScore layer (default: {DEFAULT_NUM_LAYERS}, as BERTSCORE_NUM_LAYERS)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _inputs(args: argparse.Namespace) -> tuple[list[LabelledPhoto], LesionVocabulary]:
    """The labelled photos and the vocabulary; LabelsError or ValueError for anything wrong with them."""
    if args.batch_size is not None and args.batch_size < 1:
        raise ValueError("--batch-size must be at least 1")
    return read_labels(args.labels, args.images), load_vocabulary(args.classes)


def run(args: argparse.Namespace) -> tuple[int, Evaluation | None]:
    """Run the evaluation the parsed options describe: (exit status, the evaluation when it ran)."""
    try:
        overrides = {name: value for name, value in (("prompt_profile", args.profile), ("decoding", args.decoding),
                                                     ("batch_size", args.batch_size)) if value is not None}
        cfg = engine_config(args, **overrides)
        load_profile(cfg.prompt_profile)
        photos, vocabulary = _inputs(args)
    except (LabelsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT, None
    try:
        scorer = get_scorer(model_name=args.scorer_model, num_layers=args.scorer_layers)
        engine = get_engine(cfg)
    except (ScorerUnavailable, ModelLoadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CANNOT_LOAD, None
    info = ScorerInfo(model=scorer.model_name, num_layers=scorer.num_layers, version=scorer.version)
    print(f"Drafting {len(photos)} photos with {cfg.model} ({cfg.prompt_profile}, {cfg.decoding} decoding); "
          f"scorer: {info.describe()}", file=sys.stderr)
    evaluation = evaluate(engine, photos, scorer=scorer, scorer_info=info, vocabulary=vocabulary,
                          batch_size=cfg.batch_size, progress=not args.no_progress)
    print(format_report(evaluation), end="")
    if args.out is not None:
        write_json(evaluation, args.out)
        print(f"JSON report: {args.out}")
    if args.html is not None:
        write_html(evaluation, args.html)
        print(f"HTML report: {args.html}")
    return 0, evaluation


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))[0]


if __name__ == "__main__":
    sys.exit(main())
