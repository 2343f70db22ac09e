"""A lesion's page: its visits newest first, each with its photos and its signed finding (or its status), the plan
and the change since the previous visit; 404 for another clinic; a query count that does not grow with visits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import CaseStatus
from dermreview.lesions.selectors.patient_page import LesionStatus
from dermreview.lesions.selectors.timeline import lesion_timeline
from tests.dermreview.lesions.patient_helpers import lesion_of, outcome, patient_of, signed_visit, visit
from tests.factories import LesionImageFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def _three_visits(alice: Any, bob: Any) -> tuple[Any, list[Any]]:
    lesion = lesion_of(patient_of(alice), label="L1 back")
    first = signed_visit(lesion, alice, bob, plan="monitor", follow_up_on=timezone.localdate() - timedelta(days=5),
                         days_ago=200, lesion_type="melanocytic nevus", change_since_previous="new")
    second = signed_visit(lesion, alice, bob, plan="monitor", follow_up_on=timezone.localdate(), days_ago=100,
                          lesion_type="dysplastic nevus", change_since_previous="changed",
                          change_aspects=["size", "colour"])
    third = visit(lesion, alice, status=CaseStatus.AWAITING_REVIEW, days_ago=1)
    for case in (first, second, second, third):
        LesionImageFactory(case=case, uploaded_by=alice)
    return lesion, [first, second, third]


def test_timeline_lists_visits_newest_first_with_findings_or_status(alice: Any, bob: Any) -> None:
    lesion, (first, second, third) = _three_visits(alice, bob)
    timeline = lesion_timeline(user=alice, lesion=lesion)
    assert [v.case_id for v in timeline.visits] == [third.pk, second.pk, first.pk]
    assert [v.number for v in timeline.visits] == [3, 2, 1]
    newest, middle, oldest = timeline.visits
    assert newest.finding is None and newest.status_label == "Awaiting review"
    assert middle.finding is not None and middle.finding.lesion_type == "dysplastic nevus"
    assert middle.finding.management_plan == "Monitor: follow-up visit"
    assert middle.finding.change_since_previous == "Changed" and middle.finding.change_aspects == ("Size", "Colour")
    assert oldest.finding is not None and oldest.finding.change_since_previous == "New lesion"
    assert [len(v.photos) for v in timeline.visits] == [1, 2, 1] and [p.position for p in middle.photos] == [1, 2]
    assert timeline.row.status == LesionStatus.AWAITING_REVIEW and timeline.row.visit_count == 3


def test_timeline_shows_the_standing_finding_of_an_amended_visit(alice: Any, bob: Any, dave: Any) -> None:
    lesion = lesion_of(patient_of(alice))
    case = signed_visit(lesion, alice, bob, lesion_type="seborrhoeic keratosis")
    Review = type(case.reviews.get())  # noqa: N806 - the model class
    Review.objects.filter(case=case).update(voided_at=timezone.now())
    ReviewFactory(case=case, reviewer=dave, version=2, lesion_type="melanoma", management_plan="urgent_referral")
    [shown] = lesion_timeline(user=alice, lesion=lesion).visits
    assert shown.finding is not None
    assert (shown.finding.lesion_type, shown.finding.version, shown.finding.signed_by) == ("melanoma", 2, ("dave",))


def test_lesion_page_renders_the_timeline_with_protected_thumbnails(client: Any, alice: Any, bob: Any) -> None:
    lesion, (first, second, third) = _three_visits(alice, bob)
    outcome(lesion, alice)
    client.force_login(alice)
    response = client.get(reverse("lesions:lesion", args=[lesion.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index(f'id="visit-{third.pk}"') < html.index(f'id="visit-{second.pk}"') < html.index(
        f'id="visit-{first.pk}"')
    image = second.images.order_by("pk").first()
    assert f'src="/cases/media/thumbnails/{image.pk}/"' in html
    assert 'class="human-label">Human-confirmed finding' in html and "ai-label" not in html
    assert "Size, colour" not in html and "(size, colour)" in html
    assert f'href="/cases/{first.pk}/"' in html and f'href="/patients/{lesion.patient_id}/"' in html
    assert f'href="/cases/new/?lesion={lesion.pk}"' in html and "New visit of this lesion" in html
    assert 'id="lesion-outcome"' in html and "LAB-1" in html
    assert "Excised / biopsied" in html  # the histopathology outcome
    assert AuditEvent.objects.filter(action="lesion.view", object_id=str(lesion.pk)).exists()
    # The thumbnail itself answers through the protected media view.
    assert client.get(f"/cases/media/thumbnails/{image.pk}/").status_code == 200


def test_a_visit_of_an_unsigned_case_never_shows_the_ai_draft(client: Any, alice: Any, bob: Any) -> None:
    from tests.factories import DraftFactory

    lesion = lesion_of(patient_of(alice))
    case = visit(lesion, alice)
    DraftFactory(image=LesionImageFactory(case=case, uploaded_by=alice), lesion_type="AI-ONLY-TEXT")
    client.force_login(bob)
    html = client.get(reverse("lesions:lesion", args=[lesion.pk])).content.decode()
    assert "AI-ONLY-TEXT" not in html and "No final finding yet: awaiting review." in html


def test_another_clinics_user_gets_404_for_the_lesion_page(client: Any, alice: Any, mallory: Any) -> None:
    lesion = lesion_of(patient_of(alice))
    client.force_login(mallory)
    assert client.get(reverse("lesions:lesion", args=[lesion.pk])).status_code == 404


def test_reviewer_sees_the_timeline_without_the_new_visit_button(client: Any, alice: Any, bob: Any) -> None:
    lesion = lesion_of(patient_of(alice))
    client.force_login(bob)
    html = client.get(reverse("lesions:lesion", args=[lesion.pk])).content.decode()
    assert "New visit of this lesion" not in html and "No visits yet." in html


def _count(user: Any, lesion: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        lesion_timeline(user=user, lesion=lesion)
    return len(queries)


def test_timeline_queries_stay_flat_as_visits_grow(alice: Any, bob: Any) -> None:
    patient = patient_of(alice)
    one, many = lesion_of(patient), lesion_of(patient)
    signed_visit(one, alice, bob)
    for days in range(8):
        case = signed_visit(many, alice, bob, plan="monitor", follow_up_on=timezone.localdate(), days_ago=days * 30)
        for _ in range(3):
            LesionImageFactory(case=case, uploaded_by=alice)
    outcome(many, alice)
    lesion_timeline(user=alice, lesion=one)  # roles are read once and kept on the user
    assert _count(alice, many) == _count(alice, one) == 5
