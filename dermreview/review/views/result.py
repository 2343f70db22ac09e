"""After signing: the field-by-field agreement of the AI draft with the signed finding, and its polling JSON.

Exact match is known at once; BERTScore F1 appears when the scoring task has run (the page polls `result_json`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from dermreview.audit.services.events import audit_log
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.drafting.models.fields import FIELD_LABELS
from dermreview.review.models import AgreementScore, Comparison, Review
from dermreview.review.selectors.rows import version_disagreement
from dermreview.review.services.agreement import exact_matches
from dermreview.review.views.pages import review_for_reader


def _agreement_rows(review: Review) -> dict[str, Any]:
    scores = list(AgreementScore.objects.filter(review=review).order_by("scorer_model", "comparison", "field"))
    # One scorer per figure: show the configured scorer's rows; other scorers' rows stay in the database.
    current = [s for s in scores if s.scorer_model == settings.BERTSCORE_MODEL
               and s.scorer_num_layers == settings.BERTSCORE_NUM_LAYERS] or scores
    scorer = (current[0].scorer_model, current[0].scorer_num_layers) if current else None
    by_key = {(s.comparison, s.field): s for s in current
              if scorer and (s.scorer_model, s.scorer_num_layers) == scorer}
    draft = (review.draft_snapshot or {}).get("fields") or {}
    exact = exact_matches(review)
    blind = review.blind_finding.finding_fields() if review.blind_finding_id else {}
    rows = []
    for name in FINDING_FIELDS:
        rows.append({
            "field": name, "label": FIELD_LABELS[name], "draft": draft.get(name, ""), "final": getattr(review, name),
            "blind": blind.get(name, ""), "exact": exact.get(name),
            "f1": by_key.get((Comparison.DRAFT_VS_FINAL, name)),
            "blind_draft": by_key.get((Comparison.BLIND_VS_DRAFT, name)),
            "blind_final": by_key.get((Comparison.BLIND_VS_FINAL, name)),
        })
    return {"rows": rows, "scorer": scorer, "scored": review.scored_at is not None, "has_draft": bool(draft),
            "has_blind": bool(blind)}


def _resolution(review: Review) -> str:
    """How this version's dual review was resolved (the label), from the sign-off that made it final; "" for a
    single review or while the version still waits for its second sign-off or an adjudication."""
    decided = Review.objects.filter(case_id=review.case_id, version=review.version).exclude(resolution="").first()
    return decided.get_resolution_display() if decided is not None else ""


def _version_rounds(review: Review) -> list[Review]:
    """Every sign-off of this review's version in round order: first review, second review, and the sign-off that
    settled a disagreement (all three pages show the two reviewers' disagreement and who signed what)."""
    return list(Review.objects.filter(case_id=review.case_id, version=review.version).select_related("reviewer")
                .order_by("round"))


@require_GET
def result(request: HttpRequest, pk: int) -> HttpResponse:
    review = review_for_reader(request, pk)
    rounds = _version_rounds(review)
    agreement = _agreement_rows(review)
    if agreement["has_draft"]:
        # The page shows the AI draft's text beside the final finding: a read of the draft, as on the review page.
        snapshot_id = (review.draft_snapshot or {}).get("draft_id") or review.draft_id
        audit_log(action="draft.view", actor=request.user, obj=review.case,
                  details={"via": "review_result", "review_id": review.pk,
                           "draft_ids": [snapshot_id] if snapshot_id else []})
    return render(request, "review/review_result.html", {
        "review": review, "case": review.case, **agreement,
        "rounds": rounds, "disagreement": version_disagreement(rounds), "field_labels": FIELD_LABELS,
        "time_on_task_s": review.time_on_task_ms / 1000, "resolution": _resolution(review),
        "poll_url": reverse("review:result_json", args=[review.pk]),
    })


@require_GET
def result_json(request: HttpRequest, pk: int) -> JsonResponse:
    """What the result page polls until the scoring task has run."""
    review = review_for_reader(request, pk)
    data = _agreement_rows(review)

    def score(s: AgreementScore | None) -> dict[str, float] | None:
        return None if s is None else {"f1": s.f1, "precision": s.precision, "recall": s.recall}

    return JsonResponse({
        "scored": data["scored"],
        "scorer": {"model": data["scorer"][0], "num_layers": data["scorer"][1]} if data["scorer"] else None,
        "fields": {row["field"]: {"exact": row["exact"], "draft_vs_final": score(row["f1"]),
                                  "blind_vs_draft": score(row["blind_draft"]),
                                  "blind_vs_final": score(row["blind_final"])} for row in data["rows"]},
    })
