"""Agreement scoring throughput: sign-offs scored per second, one review per call vs many reviews in one call.

Runs the production path (`agreement_score_reviews`: load reviews, one BERTScore call, bulk upsert of the scores)
against a throw-away SQLite database under a temporary directory, with the configured scorer (default: the
packaged offline all-MiniLM-L6-v2; HF_HUB_OFFLINE=1 is set, so nothing is downloaded). The scorer is warmed up
first; then, for several rounds, the same reviews are scored one review per call and all in one call (the upsert
makes every round do the same work). Rates are from the median round; the speed-up is the median of the rounds'
ratios, since both paths of a round run back to back and a busy machine slows both alike.

The last lines are ``key=value`` figures: ``reviews_per_s`` (batched), ``single_reviews_per_s``,
``batched_speedup`` (per-review time one at a time ÷ batched). Exits 1 when the batched path is not at least
``--min-speedup`` (default 3) times faster per review.

Usage: ``python bench/agreement.py [--reviews 64] [--rounds 5] [--min-speedup 3]``
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))  # run as a plain script from a checkout

# Words a reviewer and the model actually use: the texts vary in length and wording like real findings.
LESIONS = ["melanocytic nevus", "benign keratosis", "basal cell carcinoma", "dermatofibroma", "actinic keratosis",
           "seborrhoeic keratosis", "vascular lesion", "melanoma", "squamous cell carcinoma", "lentigo"]
COLOURS = ["uniform light brown", "two shades of brown", "dark brown with black dots", "pink with white areas",
           "tan", "blue-grey and brown", "red-purple lacunae", "skin-coloured"]
SYMMETRY = ["symmetric", "asymmetric in one axis", "asymmetric in two axes", "roughly symmetric"]
BORDERS = ["regular, well defined", "irregular with notches", "poorly defined", "sharp, rolled, pearly",
           "slightly irregular at 3 o'clock"]
TEXTURE = ["smooth", "scaly", "crusted", "ulcerated centre", "waxy, stuck-on", "firm nodule"]
SUMMARY_PARTS = ["Small symmetric macule", "Raised papule", "Irregular pigmented plaque", "Pearly nodule",
                 "with regular pigment network", "with arborising vessels", "with blue-white veil",
                 "with milia-like cysts", "features of a benign lesion", "excision advised", "follow up in 3 months",
                 "dermoscopy shows a central white patch", "no features of malignancy"]


def _finding(rng: random.Random) -> dict[str, str]:
    return {
        "lesion_type": rng.choice(LESIONS), "color": rng.choice(COLOURS), "symmetry": rng.choice(SYMMETRY),
        "borders": rng.choice(BORDERS), "texture": rng.choice(TEXTURE),
        "summary": "; ".join(rng.sample(SUMMARY_PARTS, rng.randint(2, 5))) + ".",
    }


def _edited(rng: random.Random, draft: dict[str, str]) -> dict[str, str]:
    final = dict(draft)
    for name in rng.sample(list(draft), rng.randint(0, 3)):  # reviewers change up to three fields
        final[name] = _finding(rng)[name]
    return final


def setup_django(var_dir: str) -> None:
    os.environ["DERMREVIEW_VAR_DIR"] = var_dir
    os.environ.pop("DATABASE_URL", None)  # always the throw-away SQLite database
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ["DJANGO_SETTINGS_MODULE"] = "dermreview.settings.testing"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def make_reviews(count: int, *, seed: int = 11) -> list[int]:
    from datetime import timedelta

    from django.utils import timezone

    from dermreview.accounts.models import Organisation, User
    from dermreview.cases.models import Case, CaseStatus
    from dermreview.review.models import Review, ReviewOutcome
    from dermreview.review.services.rules import ATTESTATION_TEXT, fields_differing

    rng = random.Random(seed)
    clinic = Organisation.objects.create(name="Bench clinic", slug="bench")
    clinician = User.objects.create(username="bench-clinician", organisation=clinic)
    reviewer = User.objects.create(username="bench-reviewer", organisation=clinic)
    now = timezone.now()
    ids = []
    for index in range(count):
        case = Case.objects.create(organisation=clinic, patient_ref=f"BENCH-{index:04d}", body_site="back",
                                   status=CaseStatus.FINAL, created_by=clinician)
        draft = _finding(rng)
        final = _edited(rng, draft)
        edited = fields_differing(draft, final)
        review = Review.objects.create(
            case=case, reviewer=reviewer, outcome=ReviewOutcome.EDITED if edited else ReviewOutcome.ACCEPTED,
            draft_snapshot={"fields": draft, "model_id": "bench", "model_revision": "bench", "prompt_version": "b"},
            edited_fields=edited, all_unchanged=not edited, attestation=ATTESTATION_TEXT,
            opened_at=now - timedelta(seconds=40), signed_at=now, time_on_task_ms=40_000, **final,
        )
        ids.append(review.pk)
    return ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviews", type=int, default=64, help="reviews per batch (and per one-at-a-time round)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--min-speedup", type=float, default=3.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dermreview-bench-agreement-") as var_dir:
        setup_django(var_dir)
        import torch
        from django.conf import settings

        from dermreview.review.models import AgreementScore
        from dermreview.review.services.agreement import agreement_score_reviews
        from inference_worker.scoring import get_scorer

        ids = make_reviews(args.reviews)
        started = time.perf_counter()
        scorer = get_scorer(model_name=settings.BERTSCORE_MODEL, num_layers=settings.BERTSCORE_NUM_LAYERS)
        load_s = time.perf_counter() - started
        agreement_score_reviews(review_ids=ids[:8])  # warm-up: first forward passes, allocator, SQL caches
        device = str(scorer._scorer.device)
        print(f"scorer {settings.BERTSCORE_MODEL} layer {settings.BERTSCORE_NUM_LAYERS} on {device} "
              f"(torch {torch.__version__}, {torch.get_num_threads()} threads), loaded in {load_s:.1f} s")
        print(f"{args.reviews} reviews x 6 fields (draft vs final), {args.rounds} rounds, medians kept")

        single_s, batched_s = [], []
        for round_no in range(1, args.rounds + 1):
            t0 = time.perf_counter()
            for review_id in ids:
                agreement_score_reviews(review_ids=[review_id])
            single_s.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            written = agreement_score_reviews(review_ids=ids)
            batched_s.append(time.perf_counter() - t0)
            print(f"round {round_no}: one at a time {single_s[-1]:.3f} s, batched {batched_s[-1]:.3f} s "
                  f"({written} scores)")
        assert get_scorer(model_name=settings.BERTSCORE_MODEL, num_layers=settings.BERTSCORE_NUM_LAYERS) is scorer, (
            "the scorer must load once per process")
        assert AgreementScore.objects.count() == args.reviews * 6

        single_rate = args.reviews / statistics.median(single_s)
        batched_rate = args.reviews / statistics.median(batched_s)
        # Per-round ratios: both paths of a round ran back to back, so a busy machine slows both alike.
        speedup = statistics.median(s / b for s, b in zip(single_s, batched_s, strict=True))
        print(f"device={device}")
        print(f"scorer_model={settings.BERTSCORE_MODEL}")
        print(f"batch_reviews={args.reviews}")
        print(f"single_reviews_per_s={single_rate:.1f}")
        print(f"batched_speedup={speedup:.2f}")
        print(f"reviews_per_s={batched_rate:.1f}")
        if speedup < args.min_speedup:
            print(f"FAIL: batched scoring is only {speedup:.2f}x faster per review (needs {args.min_speedup}x)",
                  file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
