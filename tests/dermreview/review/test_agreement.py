"""Agreement scores: the real BERTScore scorer (packaged all-MiniLM-L6-v2), loaded once per process."""

from __future__ import annotations

import logging
from importlib import metadata

import pytest
from celery import signals
from django.conf import settings

from dermreview.cases.models import CaseStatus
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.review.models import AgreementScore, Comparison, Review
from dermreview.review.services.agreement import agreement_score_reviews
from dermreview.review.services.blind import blind_finding_record
from dermreview.review.tasks import agreement_score
from inference_worker import scoring
from tests.dermreview.review.review_helpers import NEVUS, ready_case, sign

pytestmark = pytest.mark.django_db


def _configured_scorer() -> scoring.AgreementScorer:
    return scoring.get_scorer(model_name=settings.BERTSCORE_MODEL, num_layers=settings.BERTSCORE_NUM_LAYERS)


def test_scorer_identical_texts_score_one_and_empty_texts_do_not_crash():
    scorer = _configured_scorer()
    texts = ["symmetric", NEVUS["summary"], "Two shades of brown, reticular network at the periphery."]
    for score in scorer.score_pairs(texts, texts):
        assert abs(score.f1 - 1.0) < 1e-6 and abs(score.precision - 1.0) < 1e-6 and abs(score.recall - 1.0) < 1e-6
    both_empty, one_empty, other_empty = scorer.score_pairs(["", "  ", "smooth"], ["", "smooth", ""])
    assert both_empty.f1 == 1.0 and one_empty.f1 == 0.0 and other_empty.f1 == 0.0
    different = scorer.score_pairs(["symmetric"], ["ulcerated nodule with rolled pearly border"])[0]
    assert different.f1 < 0.9


def test_agreement_score_reviews_stores_scores_with_scorer_identity(alice, bob):
    case = ready_case(alice)
    review = sign(case, bob, fields={**NEVUS, "color": "dark brown"}, confirmed=[f for f in FINDING_FIELDS if f != "color"])
    written = agreement_score_reviews(review_ids=[review.pk])
    assert written == 6
    rows = {s.field: s for s in AgreementScore.objects.filter(review=review)}
    assert set(rows) == set(FINDING_FIELDS)
    for name in FINDING_FIELDS:
        score = rows[name]
        assert score.comparison == Comparison.DRAFT_VS_FINAL
        assert (score.scorer_model, score.scorer_num_layers) == ("all-MiniLM-L6-v2", 6)
        assert score.scorer_version == metadata.version("bert-score")
        if name == "color":
            assert not score.exact_match and score.f1 < 0.999
        else:
            assert score.exact_match and abs(score.f1 - 1.0) < 1e-6
    review.refresh_from_db()
    assert review.scored_at is not None


def test_agreement_score_reviews_is_idempotent_and_batches_many_reviews(alice, bob, dave):
    reviews = [sign(ready_case(alice), bob) for _ in range(3)]
    blind_case = ready_case(alice, blind_first=True)
    blind_finding_record(case=blind_case, reviewer=dave, fields={**NEVUS, "lesion_type": "lentigo"})
    reviews.append(sign(blind_case, dave))
    ids = [r.pk for r in reviews]
    assert agreement_score_reviews(review_ids=ids) == 3 * 6 + 3 * 6
    assert agreement_score_reviews(review_ids=ids) == 36
    assert AgreementScore.objects.count() == 36
    blind_rows = AgreementScore.objects.filter(review=reviews[-1])
    assert {r.comparison for r in blind_rows} == set(Comparison.values)
    lesion = blind_rows.get(comparison=Comparison.BLIND_VS_FINAL, field="lesion_type")
    assert not lesion.exact_match and lesion.f1 < 1.0
    assert not Review.objects.filter(pk__in=ids, scored_at__isnull=True).exists()


def test_agreement_manual_entry_without_blind_finding_has_nothing_to_score(alice, bob):
    from dermreview.drafting.models import DraftStatus

    case = ready_case(alice, draft_status=DraftStatus.NEEDS_MANUAL_ENTRY)
    review = sign(case, bob, draft=None, fields=NEVUS, confirmed=())
    assert agreement_score_reviews(review_ids=[review.pk]) == 0
    review.refresh_from_db()
    assert review.scored_at is not None


def test_scorer_loads_once_per_process(alice, bob, caplog):
    first = _configured_scorer()
    with caplog.at_level(logging.INFO, logger="inference_worker.scoring"):
        for _ in range(3):
            agreement_score_reviews(review_ids=[sign(ready_case(alice), bob).pk])
    assert _configured_scorer() is first
    assert not [r for r in caplog.records if "loaded agreement scorer" in r.getMessage()]


def test_sign_off_queues_scoring_after_commit(alice, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sign(ready_case(alice), bob)
    # delay_on_commit registers partial(task.delay, ...): one scoring task (the clinician's email is another).
    queued = [getattr(getattr(callback, "func", None), "__self__", None) for callback in callbacks]
    assert [task.name for task in queued if task is not None].count("dermreview.review.tasks.agreement_score") == 1


# A real task run: Celery's task_prerun/postrun close the database connection (dermreview/celery.py), which
# a test wrapped in one transaction cannot survive, so these tests commit like production does.
@pytest.mark.django_db(transaction=True)
def test_scoring_failure_retries_and_never_undoes_the_sign_off(alice, bob, settings):
    review = sign(ready_case(alice), bob)
    settings.BERTSCORE_MODEL = "/nonexistent/scorer-model"
    retries: list[str] = []

    def fix_after_first_failure(sender=None, reason=None, **kwargs):  # noqa: ANN001, ANN003, ANN202
        # An operator corrects BERTSCORE_MODEL while the task waits for its retry.
        retries.append(str(reason))
        settings.BERTSCORE_MODEL = "all-MiniLM-L6-v2"

    signals.task_retry.connect(fix_after_first_failure, weak=False)
    try:
        result = agreement_score.apply(args=[review.pk])
    finally:
        signals.task_retry.disconnect(fix_after_first_failure)
    assert len(retries) == 1 and "/nonexistent/scorer-model" in retries[0]
    assert result.successful() and result.get() == 6
    review.refresh_from_db()
    assert review.case.status == CaseStatus.FINAL and review.scored_at is not None
    assert AgreementScore.objects.filter(review=review).count() == 6


@pytest.mark.django_db(transaction=True)
def test_scoring_failure_after_all_retries_leaves_the_sign_off_standing(alice, bob, settings):
    review = sign(ready_case(alice), bob)
    settings.BERTSCORE_MODEL = "/nonexistent/scorer-model"
    result = agreement_score.apply(args=[review.pk])
    assert result.failed() and isinstance(result.result, scoring.ScorerUnavailable)
    review.refresh_from_db()
    assert review.case.status == CaseStatus.FINAL and review.scored_at is None and review.voided_at is None
    assert not AgreementScore.objects.exists()
