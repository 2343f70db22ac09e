from __future__ import annotations

import pytest
from django.utils import timezone

from dermreview.oversight.selectors.filters import OversightFilters, Scorer
from dermreview.oversight.selectors.influence import blind_influence
from dermreview.oversight.selectors.stats import wilson_interval
from dermreview.review.models import Comparison
from tests.dermreview.oversight.conftest import MINILM, bulk_reviews, bulk_scores, snapshot
from tests.factories import SAMPLE_FINDING

pytestmark = pytest.mark.django_db

DRAFT_TYPE = "melanocytic nevus"


def _blind_review(clinic, bob, blind_factory, *, blind: dict, final: dict, draft: dict | None = None):  # noqa: ANN001, ANN202
    review = bulk_reviews(
        organisation=clinic, reviewer=bob, count=1, blind_first=True,
        draft_snapshot=snapshot(fields={**SAMPLE_FINDING, "lesion_type": DRAFT_TYPE, **(draft or {})}),
        finding={**SAMPLE_FINDING, "lesion_type": DRAFT_TYPE, **final},
        all_unchanged=False,
    )[0]
    review.blind_finding = blind_factory(
        case=review.case, reviewer=bob, **{**SAMPLE_FINDING, "lesion_type": DRAFT_TYPE, **blind}
    )
    review.save(update_fields=["blind_finding"])
    return review


@pytest.fixture
def influence_fixture(clinic, bob, blind_finding_factory):  # noqa: ANN001, ANN201
    """Five blind-first sign-offs whose answer is worked out by hand (lesion type unless noted):

    r1 adopted the AI text (after trimming and case), r2 kept its own, r3 had nothing to decide (blind = draft),
    r4 moved closer by BERTScore, r5 changed but away from the draft, and adopted the AI's colour.
    """
    make = lambda **kw: _blind_review(clinic, bob, blind_finding_factory, **kw)  # noqa: E731
    r1 = make(blind={"lesion_type": "seborrheic keratosis"}, final={"lesion_type": "  Melanocytic Nevus "})
    r2 = make(blind={"lesion_type": "dermatofibroma"}, final={"lesion_type": "dermatofibroma"})
    r3 = make(blind={}, final={})
    r4 = make(blind={"lesion_type": "nevus"}, final={"lesion_type": "compound nevus"})
    r5 = make(blind={"lesion_type": "atypical nevus", "color": "dark brown"},
              final={"lesion_type": "dysplastic nevus", "color": "light brown"}, draft={"color": "light brown"})
    bulk_scores([r4, r5], field="lesion_type", f1=[0.9, 0.7].__getitem__)
    bulk_scores([r4, r5], field="lesion_type", f1=[0.8, 0.75].__getitem__, comparison=Comparison.BLIND_VS_DRAFT)
    bulk_scores([r4, r5], field="lesion_type", f1=[0.85, 0.9].__getitem__, comparison=Comparison.BLIND_VS_FINAL)
    # Not blind-first, and a voided blind-first sign-off: both left out.
    bulk_reviews(organisation=clinic, reviewer=bob, count=2)
    voided = make(blind={"lesion_type": "lentigo"}, final={"lesion_type": DRAFT_TYPE})
    voided.voided_at = timezone.now()
    voided.save(update_fields=["voided_at"])
    return [r1, r2, r3, r4, r5]


def test_blind_influence_matches_the_hand_worked_answer(clinic, influence_fixture):
    result = blind_influence(organisation_id=clinic.pk, filters=OversightFilters(), scorer=Scorer(*MINILM))
    rows = {row.field: row for row in result.rows}
    assert result.reviews == 5
    lesion = rows["lesion_type"]
    assert (lesion.pairs, lesion.blind_matches_draft, lesion.eligible) == (5, 1, 4)
    assert (lesion.adopted, lesion.closer, lesion.kept, lesion.other) == (1, 1, 1, 1)
    assert (lesion.moved.successes, lesion.moved.n) == (2, 4)
    assert lesion.moved.low == pytest.approx(0.1500, abs=1e-4) and lesion.moved.high == pytest.approx(0.8500, abs=1e-4)
    assert lesion.blind_vs_draft_f1 == pytest.approx(0.775) and lesion.blind_vs_final_f1 == pytest.approx(0.875)
    assert (rows["color"].eligible, rows["color"].adopted) == (1, 1)
    assert rows["texture"].eligible == 0 and rows["texture"].moved.share is None
    overall = result.overall
    assert (overall.eligible, overall.moved.successes) == (5, 3)
    # Review level: r1, r4 and r5 moved toward the AI, of the four with something to decide.
    assert (result.review_level.successes, result.review_level.n) == (3, 4)
    assert result.review_level.interval == pytest.approx((0.3006, 0.9544), abs=1e-3)


def test_blind_influence_without_scores_counts_only_adopted_ai_text(clinic, influence_fixture):
    result = blind_influence(organisation_id=clinic.pk, filters=OversightFilters(), scorer=None)
    lesion = result.rows[0]
    assert (lesion.adopted, lesion.closer, lesion.moved.successes) == (1, 0, 1)


def test_blind_influence_is_scoped_to_the_organisation(other_clinic, influence_fixture):
    assert blind_influence(organisation_id=other_clinic.pk, filters=OversightFilters(), scorer=None).reviews == 0


def test_wilson_interval_known_values_and_bad_input():
    assert wilson_interval(0, 0) is None
    assert wilson_interval(0, 10)[0] == 0.0
    low, high = wilson_interval(81, 263)  # Wilson's classic example: 0.2553–0.3662
    assert (low, high) == (pytest.approx(0.2553, abs=1e-4), pytest.approx(0.3662, abs=1e-4))
    with pytest.raises(ValueError, match="between 0 and n"):
        wilson_interval(5, 4)


def test_blind_influence_counts_fields_switched_to_the_ai_value(clinic, influence_fixture):
    r1, r2, r3, _r4, r5 = influence_fixture
    for review, taken in ((r1, ["lesion_type"]), (r5, ["color"]), (r3, ["lesion_type"]), (r2, ["lesion_type"])):
        review.taken_from_ai = taken
        review.save(update_fields=["taken_from_ai"])
    result = blind_influence(organisation_id=clinic.pk, filters=OversightFilters(), scorer=None)
    rows = {row.field: row for row in result.rows}
    # r1 and r5 switched and signed the AI's text; r3 had no choice (blind = draft); r2 signed its own text.
    assert rows["lesion_type"].switched == 1 and rows["color"].switched == 1
    assert result.overall.switched == 2 and rows["summary"].switched == 0
