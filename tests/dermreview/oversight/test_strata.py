"""The live model card split by Fitzpatrick skin type and by capture, on hand-computed figures.

Fixture (one model version, MiniLM scorer): 12 sign-offs of Fitzpatrick type II patients whose lesion type scored
F1 1.0 (exact) six times and 0.8 six times; 3 of type V patients (F1 0.9, not exact); 2 on cases without a patient.
Every sign-off also scored 0.5 on colour. The other clinic has 5 type II sign-offs scoring 0.1: never counted.

By hand, type II, lesion type: mean (6 * 1.0 + 6 * 0.8) / 12 = 0.9; sample sd sqrt(12 * 0.1^2 / 11) = 0.104447;
95% interval 0.9 ± 1.959964 * 0.104447 / sqrt(12) = 0.9 ± 0.059095 -> 0.8409-0.9591. Exact match 6/12, Wilson:
denominator 1 + 3.841459/12 = 1.320122, centre (0.5 + 0.160061)/1.320122 = 0.5, half 1.959964 * sqrt(0.020833 +
0.006669)/1.320122 = 0.246218 -> 0.2538-0.7462. All fields pooled: (12 * 0.9 + 12 * 0.5) / 24 = 0.7.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dermreview.cases.models import Case, Patient
from dermreview.oversight.selectors.filters import OversightFilters
from dermreview.oversight.selectors.strata import SPLITS, model_card_strata, parse_split
from tests.dermreview.oversight.conftest import bulk_reviews, bulk_scores
from tests.factories import LesionImageFactory, UserFactory

pytestmark = pytest.mark.django_db


def _signoffs(organisation, reviewer, count, *, fitzpatrick, f1, exact, capture=None):  # noqa: ANN001, ANN202
    reviews = bulk_reviews(organisation=organisation, reviewer=reviewer, count=count)
    if fitzpatrick is not None:
        patient = Patient.objects.create(organisation=organisation, reference=f"P-{fitzpatrick}-{reviews[0].pk}",
                                         fitzpatrick_type=fitzpatrick)
        Case.objects.filter(pk__in=[r.case_id for r in reviews]).update(patient=patient)
    if capture is not None:
        for review in reviews:
            LesionImageFactory(case=review.case, capture_type=capture, uploaded_by=reviewer)
    bulk_scores(reviews, field="lesion_type", f1=f1, exact=exact)
    bulk_scores(reviews, field="color", f1=0.5, exact=False)
    return reviews


@pytest.fixture
def card(clinic, other_clinic, bob, mallory):  # noqa: ANN001, ANN201
    _signoffs(clinic, bob, 12, fitzpatrick="II", f1=lambda i: 1.0 if i % 2 else 0.8, exact=lambda i: bool(i % 2))
    _signoffs(clinic, bob, 3, fitzpatrick="V", f1=0.9, exact=False, capture="dermoscopic")
    _signoffs(clinic, bob, 2, fitzpatrick=None, f1=0.9, exact=False, capture="clinical")
    _signoffs(other_clinic, UserFactory(organisation=other_clinic, roles=["reviewer"]), 5, fitzpatrick="II",
              f1=0.1, exact=False)


def test_model_card_split_by_fitzpatrick_type_matches_the_hand_count(card, clinic):
    with CaptureQueriesContext(connection) as queries:
        groups = model_card_strata(organisation_id=clinic.pk, filters=OversightFilters(), split=SPLITS["fitzpatrick"])
    assert len(queries) == 1
    (group,) = groups
    assert [(s.label, s.n_reviews) for s in group.strata] == [("Type II", 12), ("Type V", 3), ("Not recorded", 2)]
    type_ii = group.strata[0]
    assert type_ii.enough and round(type_ii.lesion_type.mean, 4) == 0.9
    assert tuple(round(b, 4) for b in type_ii.lesion_type.interval) == (0.8409, 0.9591)
    assert type_ii.lesion_type_exact.p.successes == 6
    assert (round(type_ii.lesion_type_exact.p.low, 4), round(type_ii.lesion_type_exact.p.high, 4)) == (0.2538, 0.7462)
    assert round(type_ii.pooled.mean, 4) == 0.7
    assert not group.strata[1].enough  # 3 sign-offs: not enough data


def test_model_card_split_by_capture(card, clinic):
    (group,) = model_card_strata(organisation_id=clinic.pk, filters=OversightFilters(), split=SPLITS["capture"])
    assert [(s.value, s.n_reviews) for s in group.strata] == [("clinical", 2), ("dermoscopic", 3), ("", 12)]


def test_parse_split_refuses_unknown_names():
    assert parse_split("") is None and parse_split(None) is None
    assert parse_split("capture") is SPLITS["capture"]
    with pytest.raises(ValueError, match="Unknown split"):
        parse_split("age")


def test_model_card_page_split_control(client_for, card, carol, mallory):
    client = client_for(carol)
    url = reverse("oversight:dashboard")
    plain = client.get(url).content.decode()
    assert 'name="split"' in plain and "card-strata-h" not in plain
    body = client.get(url, {"split": "fitzpatrick"}).content.decode()
    assert "Agreement split by fitzpatrick skin type" in body
    assert "may vary depending on skin tones, image quality" in body
    assert 'data-stratum="II"' in body and 'data-stratum="not-recorded"' in body and "not enough data" in body
    bad = client.get(url, {"split": "age"})
    assert bad.status_code == 400 and "Unknown split" in bad.content.decode()
    # The other clinic's auditor sees only its own five sign-offs.
    theirs = client_for(mallory).get(url, {"split": "fitzpatrick"}).content.decode()
    assert 'data-stratum="V"' not in theirs and 'data-stratum="II"' in theirs
