"""The scoring worker's side of a shadow evaluation: score every drafted photo, summarise, finish the run.

The scorer is the live model card's: `inference_worker.scoring.get_scorer` with BERTSCORE_MODEL and
BERTSCORE_NUM_LAYERS (no idf, no baseline rescaling), candidate = the drafted field, reference = the signed field,
and the exact match on `review.services.rules.normalise_text`, as `review.services.agreement` stores them. So a run's
figures and the live card's are on one scale. The drafted lesion type's class comes from the clinic's vocabulary
(`DiagnosisClass.objects.vocabulary`: the matcher the review pages use).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dermreview.audit.services.events import audit_log
from dermreview.cases.models import DiagnosisClass
from dermreview.cases.models.diagnosis_class import Vocabulary
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.governance.models import EvaluationItem, EvaluationRun, EvaluationStatus, ItemStatus
from dermreview.governance.services.summary import evaluation_results
from dermreview.review.services.rules import normalise_text
from inference_worker.evaluation.metrics import ClassInfo
from inference_worker.scoring import AgreementScorer, ScorerUnavailable, get_scorer

logger = logging.getLogger(__name__)

# Photos per scorer call: 6 pairs each. One call for everything would hold every text in memory at once.
SCORE_CHUNK = 128


def evaluation_score_run(*, run_id: int) -> EvaluationRun | None:
    """Score the run's drafted items (those not scored yet: a rerun continues), store the figures, finish it.

    Does nothing unless the run is `scoring`. A scorer that cannot load fails the run with the reason (resuming it
    later scores again).
    """
    run = EvaluationRun.objects.select_related("organisation").filter(pk=run_id).first()
    if run is None or run.status != EvaluationStatus.SCORING:
        return None
    try:
        scorer = get_scorer(model_name=settings.BERTSCORE_MODEL, num_layers=settings.BERTSCORE_NUM_LAYERS)
    except ScorerUnavailable as exc:
        with transaction.atomic():
            if run.move(EvaluationStatus.FAILED, error=f"The scorer could not be loaded: {exc}"):
                audit_log(action="evaluation.fail", actor=None, obj=run, organisation=run.organisation,
                          details={"run_id": run.pk, "error": str(exc)})
        return run
    vocabulary = DiagnosisClass.objects.vocabulary(run.organisation_id)
    items = list(run.items.filter(status=ItemStatus.DONE).order_by("pk"))
    _score_items([item for item in items if item.finding is not None and item.scored_at is None], scorer=scorer,
                 vocabulary=vocabulary)
    classes = [ClassInfo(row.code, row.name, row.high_risk)
               for row in DiagnosisClass.objects.for_organisation(run.organisation_id)]
    results = evaluation_results(items=items, classes=classes, scorer={
        "model": scorer.model_name, "num_layers": scorer.num_layers, "version": scorer.version,
    })
    with transaction.atomic():
        if run.move(EvaluationStatus.FINISHED, results=results):
            audit_log(action="evaluation.finish", actor=None, obj=run, organisation=run.organisation, details={
                "run_id": run.pk, "cases": results["cases"], "photos": results["photos"],
                "candidate_failures": results["candidate"]["failures"],
            })
    logger.info("evaluation %s finished: %s cases, %s photos", run.pk, results["cases"], results["photos"])
    return run


def _score_items(items: list[EvaluationItem], *, scorer: AgreementScorer, vocabulary: Vocabulary) -> None:
    for start in range(0, len(items), SCORE_CHUNK):
        chunk = items[start : start + SCORE_CHUNK]
        candidates = [str((item.finding or {}).get(name, "")) for item in chunk for name in FINDING_FIELDS]
        references = [str(item.truth.get(name, "")) for item in chunk for name in FINDING_FIELDS]
        scores = iter(scorer.score_pairs(candidates, references))
        now = timezone.now()
        for item in chunk:
            finding = item.finding or {}
            item.scores = {name: next(scores).f1 for name in FINDING_FIELDS}
            item.exact = {name: normalise_text(str(finding[name])) == normalise_text(str(item.truth.get(name, "")))
                          for name in FINDING_FIELDS}
            predicted = vocabulary.match(str(finding.get("lesion_type", "")))
            item.predicted_class = predicted.code if predicted is not None else ""
            item.scored_at = now
        EvaluationItem.objects.bulk_update(chunk, ["scores", "exact", "predicted_class", "scored_at"])
