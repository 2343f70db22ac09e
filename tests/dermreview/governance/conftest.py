"""Scenario builders for the governance tests: signed cases with photos, candidate versions, finished evaluations.

A finished evaluation is built from items with chosen F1 scores and put through the real summary code
(`governance.services.summary.evaluation_results`), so the gate reads the figures a real run would store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from dermreview.cases.models import DiagnosisClass
from dermreview.drafting.models import FINDING_FIELDS, ModelVersion, ModelVersionStatus
from dermreview.drafting.services.gating import model_version_bootstrap
from dermreview.governance.models import (
    EvaluationItem,
    EvaluationRun,
    EvaluationSide,
    EvaluationStatus,
    ItemStatus,
)
from dermreview.governance.services.evaluation import baseline_for
from dermreview.governance.services.summary import evaluation_results
from dermreview.review.models import Review
from inference_worker.evaluation.metrics import ClassInfo
from tests.factories import SAMPLE_FINDING, LesionImageFactory, ReviewFactory


def signed_cases(organisation: Any, count: int, *, photos: int = 1) -> list[Review]:
    """`count` final cases of `organisation`, each with `photos` photos and one standing sign-off."""
    reviews = []
    for _ in range(count):
        review = ReviewFactory(case__organisation=organisation)
        LesionImageFactory.create_batch(photos, case=review.case, uploaded_by=review.case.created_by)
        reviews.append(review)
    return reviews


def candidate_version(organisation: Any = None, **changes: Any) -> ModelVersion:
    """A candidate row written directly (the register service is tested apart), another model than the default."""
    values = {"model": "org/candidate", "model_revision": "c0ffee", "model_id": "org/candidate",
              "identity_revision": "c0ffee", "prompt_version": "card@1+abcdef/schema", "backend": "transformers",
              "status": ModelVersionStatus.CANDIDATE, "organisation": organisation, **changes}
    return ModelVersion.objects.create(**values)


@pytest.fixture
def default_version(db: None) -> ModelVersion:
    """The bootstrap installation default: the configured model."""
    return model_version_bootstrap() or ModelVersion.objects.get(organisation__isnull=True, status="active")


@pytest.fixture
def finished_run(default_version: ModelVersion) -> Callable[..., EvaluationRun]:
    """`finished_run(candidate, organisation, cases=5, candidate_f1=0.9, baseline_f1=0.9, candidate_failures=0)`."""

    def build(candidate: ModelVersion, organisation: Any, *, cases: int = 5, candidate_f1: float = 0.9,
              baseline_f1: float = 0.9, candidate_failures: int = 0) -> EvaluationRun:
        reviews = signed_cases(organisation, cases)
        run = EvaluationRun.objects.create(organisation=organisation, candidate=candidate,
                                           baseline=baseline_for(candidate=candidate, organisation_id=organisation.pk),
                                           since=timezone.now().date(), cases=cases, total=2 * cases, done=2 * cases)
        items = []
        for index, review in enumerate(reviews):
            image = review.case.images.get()
            for side, f1 in ((EvaluationSide.CANDIDATE, candidate_f1), (EvaluationSide.BASELINE, baseline_f1)):
                failed = side == EvaluationSide.CANDIDATE and index < candidate_failures
                items.append(EvaluationItem(
                    run=run, side=side, image=image, review=review, truth=dict(SAMPLE_FINDING),
                    true_class="naevus", status=ItemStatus.DONE, finding=None if failed else dict(SAMPLE_FINDING),
                    failure_kind="unparseable" if failed else "", predicted_class="" if failed else "naevus",
                    scores={} if failed else dict.fromkeys(FINDING_FIELDS, f1 + 0.01 * (index % 2)),
                    exact={} if failed else dict.fromkeys(FINDING_FIELDS, False),
                ))
        EvaluationItem.objects.bulk_create(items)
        classes = [ClassInfo(row.code, row.name, row.high_risk)
                   for row in DiagnosisClass.objects.for_organisation(organisation.pk)]
        results = evaluation_results(items=items, classes=classes, scorer={"model": "all-MiniLM-L6-v2", "num_layers": 6,
                                                                      "version": "test"})
        EvaluationRun.objects.filter(pk=run.pk).update(status=EvaluationStatus.FINISHED, results=results,
                                                       finished_at=timezone.now())
        run.refresh_from_db()
        return run

    return build
