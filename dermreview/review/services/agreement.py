"""Agreement between the AI draft, the blind-first finding and the signed finding, per field.

For each review: draft vs final (when a draft was shown), and, when the reviewer recorded a blind-first finding,
blind vs draft and blind vs final. Each comparison stores BERTScore precision/recall/F1 and an exact match on
normalised text (`review_rules.normalise_text`), with the scorer's identity.

Direction (bert-score's candidate → reference): the later, more authoritative text is the reference.
draft_vs_final: candidate = draft, reference = final; blind_vs_draft: candidate = draft, reference = blind;
blind_vs_final: candidate = blind, reference = final. F1 is symmetric; precision/recall read accordingly.

All pairs of all reviews go to the model in ONE batched call (bench/agreement.py measures why). Writing is
idempotent: one row per (review, comparison, field, scorer model, layers), updated on a rerun.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dermreview.drafting.models import FINDING_FIELDS
from dermreview.review.models import AgreementScore, Comparison, Review
from dermreview.review.services.rules import normalise_text
from inference_worker.scoring import get_scorer


@dataclass(frozen=True)
class _Pair:
    review_id: int
    comparison: str
    field: str
    candidate: str
    reference: str


def agreement_pairs(review: Review) -> list[_Pair]:
    """The texts to compare for one review (nothing for a manual entry without a blind finding)."""
    draft = (review.draft_snapshot or {}).get("fields") or None
    final = review.finding_fields()
    blind = review.blind_finding.finding_fields() if review.blind_finding_id else None
    comparisons: list[tuple[str, dict[str, str], dict[str, str]]] = []
    if draft:
        comparisons.append((Comparison.DRAFT_VS_FINAL, draft, final))
    if blind and draft:
        comparisons.append((Comparison.BLIND_VS_DRAFT, draft, blind))
    if blind:
        comparisons.append((Comparison.BLIND_VS_FINAL, blind, final))
    return [
        _Pair(review.pk, comparison, name, str(candidate.get(name, "")), str(reference.get(name, "")))
        for comparison, candidate, reference in comparisons
        for name in FINDING_FIELDS
    ]


def agreement_score_reviews(*, review_ids: Sequence[int]) -> int:
    """Score the given reviews in one batched scorer call and store the scores; returns rows written.

    Idempotent (a rerun updates the same rows) and safe for reviews that no longer exist (skipped). Sets
    `Review.scored_at`. Raises ScorerUnavailable when the scorer cannot be loaded; nothing is written then, and
    the sign-offs themselves are never touched.
    """
    reviews = list(Review.objects.filter(pk__in=list(review_ids)).select_related("blind_finding").order_by("pk"))
    pairs = [pair for review in reviews for pair in agreement_pairs(review)]
    scorer = get_scorer(model_name=settings.BERTSCORE_MODEL, num_layers=settings.BERTSCORE_NUM_LAYERS)
    scores = scorer.score_pairs([p.candidate for p in pairs], [p.reference for p in pairs]) if pairs else []
    rows = [
        AgreementScore(
            review_id=pair.review_id, comparison=pair.comparison, field=pair.field,
            f1=score.f1, precision=score.precision, recall=score.recall,
            exact_match=normalise_text(pair.candidate) == normalise_text(pair.reference),
            scorer_model=scorer.model_name, scorer_num_layers=scorer.num_layers, scorer_version=scorer.version,
        )
        for pair, score in zip(pairs, scores, strict=True)
    ]
    with transaction.atomic():
        AgreementScore.objects.bulk_create(
            rows, update_conflicts=True,
            unique_fields=["review", "comparison", "field", "scorer_model", "scorer_num_layers"],
            update_fields=["f1", "precision", "recall", "exact_match", "scorer_version"],
        )
        Review.objects.filter(pk__in=[r.pk for r in reviews]).update(scored_at=timezone.now())
    return len(rows)


def exact_matches(review: Review) -> dict[str, bool]:
    """Field → exact match (normalised) of draft and final, available the moment a review is signed."""
    draft = (review.draft_snapshot or {}).get("fields") or {}
    if not draft:
        return {}
    return {name: normalise_text(draft.get(name, "")) == normalise_text(getattr(review, name)) for name in FINDING_FIELDS}
