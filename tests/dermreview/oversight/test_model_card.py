from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from django.utils import timezone

from dermreview.oversight.selectors.filters import OversightFilters, Scorer
from dermreview.oversight.selectors.model_card import PUBLISHED_CARD, filter_choices, model_card_stats
from dermreview.review.models import Comparison
from tests.dermreview.oversight.conftest import MINILM, bulk_reviews, bulk_scores, snapshot

pytestmark = pytest.mark.django_db

ROBERTA = ("roberta-large", 17)


def _group(groups, scorer, model_id, revision):  # noqa: ANN001, ANN202
    matches = [g for g in groups if g.scorer == Scorer(*scorer) and (g.model_id, g.model_revision) == (model_id, revision)]
    assert len(matches) == 1, [(g.scorer, g.model_id, g.model_revision) for g in groups]
    return {row.field: row for row in matches[0].rows}


@pytest.fixture
def card_fixture(clinic, other_clinic, bob, dave, mallory):  # noqa: ANN001, ANN201
    """Hand-computed figures: two scorers, two revisions of one model, plus rows that must be left out."""
    v1 = bulk_reviews(organisation=clinic, reviewer=bob, count=3, draft_snapshot=snapshot("m/one", "r1", "p1"))
    v2 = bulk_reviews(organisation=clinic, reviewer=dave, count=2, draft_snapshot=snapshot("m/one", "r2", "p1"))
    bulk_scores(v1, field="lesion_type", f1=[0.8, 0.9, 1.0].__getitem__)
    bulk_scores(v1, field="color", f1=[0.7, 0.75, 0.95].__getitem__)
    bulk_scores(v1, field="lesion_type", f1=[0.5, 0.6, 0.7].__getitem__, scorer=ROBERTA)
    bulk_scores(v2, field="lesion_type", f1=[0.6, 0.4].__getitem__)
    # Left out: a voided sign-off, another clinic's review, and a blind-vs-final score.
    void = bulk_reviews(organisation=clinic, reviewer=bob, count=1, draft_snapshot=snapshot("m/one", "r1", "p1"))
    void[0].voided_at = timezone.now()
    void[0].save(update_fields=["voided_at"])
    bulk_scores(void, field="lesion_type", f1=0.0)
    theirs = bulk_reviews(organisation=other_clinic, reviewer=mallory, count=1, draft_snapshot=snapshot("m/one", "r1", "p1"))
    bulk_scores(theirs, field="lesion_type", f1=0.1)
    bulk_scores(v1[:1], field="lesion_type", f1=0.2, comparison=Comparison.BLIND_VS_FINAL)
    return {"v1": v1, "v2": v2}


def test_model_card_matches_hand_computed_figures_per_scorer_and_version(clinic, card_fixture):
    groups = model_card_stats(organisation_id=clinic.pk, filters=OversightFilters())
    assert len(groups) == 3  # (MiniLM, r1), (MiniLM, r2), (RoBERTa, r1): never pooled

    minilm_r1 = _group(groups, MINILM, "m/one", "r1")
    lt = minilm_r1["lesion_type"]
    assert (lt.n, lt.mean, lt.min, lt.max) == (3, pytest.approx(0.9), pytest.approx(0.8), pytest.approx(1.0))
    assert lt.std == pytest.approx(0.1)  # sample std of 0.8, 0.9, 1.0
    assert lt.exact_rate == pytest.approx(1 / 3)
    color = minilm_r1["color"]
    assert (color.n, color.mean) == (3, pytest.approx(0.8))
    assert color.std == pytest.approx(math.sqrt(0.0175))
    assert color.exact_rate == 0
    overall = minilm_r1["overall"]
    assert (overall.n, overall.mean, overall.min, overall.max) == (6, pytest.approx(0.85), 0.7, 1.0)
    assert overall.std == pytest.approx(math.sqrt(0.014))
    assert overall.exact_rate == pytest.approx(1 / 6)
    assert lt.published == PUBLISHED_CARD["lesion_type"] and lt.delta == pytest.approx(0.9 - 0.9361)

    roberta = _group(groups, ROBERTA, "m/one", "r1")["lesion_type"]
    assert (roberta.n, roberta.mean, roberta.std) == (3, pytest.approx(0.6), pytest.approx(0.1))

    minilm_r2 = _group(groups, MINILM, "m/one", "r2")
    assert (minilm_r2["lesion_type"].n, minilm_r2["lesion_type"].mean) == (2, pytest.approx(0.5))
    assert minilm_r2["lesion_type"].std == pytest.approx(math.sqrt(0.02))
    assert "color" not in minilm_r2


def test_model_card_filters_narrow_every_figure(clinic, card_fixture, bob, dave):
    by_reviewer = model_card_stats(organisation_id=clinic.pk, filters=OversightFilters(reviewer_id=dave.pk))
    assert [(g.model_revision, g.rows[-1].n) for g in by_reviewer] == [("r2", 2)]

    by_version = model_card_stats(
        organisation_id=clinic.pk, filters=OversightFilters(model_revision="r1", scorer=Scorer(*ROBERTA))
    )
    assert len(by_version) == 1 and by_version[0].scorer == Scorer(*ROBERTA)

    # Pushing one v1 sign-off back two months drops it from a period that starts last week.
    review = card_fixture["v1"][0]
    review.signed_at = timezone.now() - timedelta(days=60)
    review.save(update_fields=["signed_at"])
    recent = model_card_stats(
        organisation_id=clinic.pk,
        filters=OversightFilters(date_from=timezone.localdate() - timedelta(days=7), date_to=date.today(),
                                 model_revision="r1", scorer=Scorer(*MINILM)),
    )
    assert recent[0].rows[0].n == 2 and recent[0].rows[0].mean == pytest.approx(0.95)

    assert model_card_stats(organisation_id=clinic.pk, filters=OversightFilters(body_site="face")) == []


def test_model_card_takes_model_version_from_the_draft_when_the_snapshot_lacks_it(
    clinic, bob, draft_factory, image_factory, case_factory
):
    case = case_factory(organisation=clinic, created_by=bob)
    draft = draft_factory(image=image_factory(case=case, uploaded_by=bob, capture_type="dermoscopic"),
                          model_id="m/two", model_revision="abc123", prompt_version="p9")
    reviews = bulk_reviews(organisation=clinic, reviewer=bob, count=1, draft_snapshot={})
    reviews[0].draft = draft
    reviews[0].save(update_fields=["draft"])
    bulk_scores(reviews, field="texture", f1=0.75)

    groups = model_card_stats(organisation_id=clinic.pk, filters=OversightFilters())
    assert [(g.model_id, g.model_revision, g.prompt_version) for g in groups] == [("m/two", "abc123", "p9")]
    assert model_card_stats(organisation_id=clinic.pk, filters=OversightFilters(capture_type="dermoscopic"))
    assert model_card_stats(organisation_id=clinic.pk, filters=OversightFilters(capture_type="clinical")) == []


def test_filter_choices_list_only_the_organisations_versions_and_scorers(clinic, other_clinic, card_fixture, mallory):
    theirs = bulk_reviews(organisation=other_clinic, reviewer=mallory, count=1,
                          draft_snapshot=snapshot("secret/model", "s1", "p7"))
    bulk_scores(theirs, field="color", f1=0.5, scorer=("secret-scorer", 3))
    choices = filter_choices(organisation_id=clinic.pk)
    assert choices.model_ids == ["m/one"] and choices.model_revisions == ["r1", "r2"]
    assert choices.scorers == [Scorer(*MINILM), Scorer(*ROBERTA)]
