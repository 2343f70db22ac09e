"""The patient page's selector: each lesion's status (the marker's colour and shape) on a hand-built fixture, and
a query count that does not grow with lesions or visits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dermreview.cases.models import CaseStatus, ConfirmType
from dermreview.lesions.selectors.patient_page import LesionStatus, patient_page
from tests.dermreview.lesions.patient_helpers import lesion_of, outcome, patient_of, signed_visit, visit

pytestmark = pytest.mark.django_db


def _fixture(alice: Any, bob: Any) -> dict[str, int]:
    """One lesion per status rule, by name -> lesion id."""
    patient = patient_of(alice)
    today = timezone.localdate()
    made: dict[str, Any] = {name: lesion_of(patient, label=name, map_view="front", map_x=0.5, map_y=0.5)
                            for name in ("none", "awaiting", "final", "due", "not_yet_due", "due_but_revisited",
                                         "histology", "biopsy_plan", "follow_up_outcome", "final_then_new")}
    visit(made["awaiting"], alice)
    signed_visit(made["final"], alice, bob, plan="discharge")
    signed_visit(made["due"], alice, bob, plan="monitor", follow_up_on=today - timedelta(days=1), days_ago=90)
    signed_visit(made["not_yet_due"], alice, bob, plan="monitor", follow_up_on=today + timedelta(days=30))
    signed_visit(made["due_but_revisited"], alice, bob, plan="monitor", follow_up_on=today, days_ago=90)
    visit(made["due_but_revisited"], alice, status=CaseStatus.NEW)
    signed_visit(made["histology"], alice, bob, plan="discharge")
    outcome(made["histology"], alice, confirm_type=ConfirmType.HISTOPATHOLOGY)
    signed_visit(made["biopsy_plan"], alice, bob, plan="biopsy")
    signed_visit(made["follow_up_outcome"], alice, bob, plan="discharge")
    outcome(made["follow_up_outcome"], alice, confirm_type=ConfirmType.FOLLOW_UP)
    signed_visit(made["final_then_new"], alice, bob, plan="monitor", follow_up_on=today, days_ago=120)
    signed_visit(made["final_then_new"], alice, bob, plan="discharge", days_ago=1)
    return {name: lesion.pk for name, lesion in made.items()}


def test_each_lesion_gets_the_status_a_clinic_expects(alice: Any, bob: Any) -> None:
    ids = _fixture(alice, bob)
    page = patient_page(user=alice, patient=alice.organisation.patients.get())
    status = {row.label: row.status for row in page.lesions}
    assert status == {
        "none": LesionStatus.NO_VISIT,
        "awaiting": LesionStatus.AWAITING_REVIEW,
        "final": LesionStatus.FINAL,
        "due": LesionStatus.FOLLOW_UP_DUE,
        "not_yet_due": LesionStatus.FINAL,
        "due_but_revisited": LesionStatus.AWAITING_REVIEW,  # a later visit exists: the follow-up happened
        "histology": LesionStatus.EXCISED,
        "biopsy_plan": LesionStatus.EXCISED,
        "follow_up_outcome": LesionStatus.FINAL,  # an outcome by serial imaging is not an excision
        "final_then_new": LesionStatus.FINAL,  # the latest signed plan counts, not an older one
    }
    rows = {row.label: row for row in page.lesions}
    # Each status has its own shape as well as its colour, and the legend lists every one with its words.
    assert len({row.shape for row in page.lesions}) == 5
    assert [label for _, label, _ in page.legend] == ["No visit yet", "Awaiting review", "Final", "Follow-up due",
                                                       "Excised / biopsied"]
    assert rows["due"].follow_up_on == timezone.localdate() - timedelta(days=1)
    assert rows["due"].visit_count == 1 and rows["due_but_revisited"].visit_count == 2
    assert [r.lesion_id for r in page.lesions] == list(ids.values())  # numbered L1, L2... oldest first


def test_markers_sit_at_their_fraction_of_the_chosen_figure(alice: Any) -> None:
    patient = patient_of(alice)
    lesion_of(patient, label="front one", map_view="front", map_x=0.25, map_y=0.5)
    lesion_of(patient, label="hand one", map_view="hands", map_x=0.1, map_y=1.0)
    lesion_of(patient, label="nowhere")
    page = patient_page(user=alice, patient=patient, view="hands")
    assert page.view.key == "hands" and page.view.selected
    [marker] = page.view.markers
    assert (marker.lesion.label, marker.cx, marker.cy) == ("hand one", 40.0, 280.0)
    front = next(v for v in page.views if v.key == "front")
    assert (front.markers[0].cx, front.markers[0].cy) == (60.0, 240.0) and front.count == 1
    assert [row.label for row in page.unplaced] == ["nowhere"]
    assert patient_page(user=alice, patient=patient).view.key == "front"  # default: the first view with a lesion


def test_move_names_only_this_patients_lesion(alice: Any) -> None:
    patient, other = patient_of(alice), patient_of(alice, "PT-OTHER")
    mine, theirs = lesion_of(patient, map_view="back", map_x=0.3, map_y=0.3), lesion_of(other)
    page = patient_page(user=alice, patient=patient, move=mine.pk)
    assert page.moving is not None and page.moving.lesion_id == mine.pk and page.view.key == "back"
    assert page.view.markers[0].moving
    assert patient_page(user=alice, patient=patient, move=theirs.pk).moving is None


def _count(user: Any, patient: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        patient_page(user=user, patient=patient)
    return len(queries)


def test_patient_page_queries_stay_flat_as_lesions_and_visits_grow(alice: Any, bob: Any) -> None:
    small, large = patient_of(alice, "PT-SMALL"), patient_of(alice, "PT-LARGE")
    signed_visit(lesion_of(small), alice, bob, plan="monitor", follow_up_on=timezone.localdate())
    for index in range(6):
        lesion = lesion_of(large, label=f"L{index}")
        for days in range(4):
            signed_visit(lesion, alice, bob, plan="monitor", follow_up_on=timezone.localdate(), days_ago=days * 90)
        visit(lesion, alice)
        outcome(lesion, alice)
    patient_page(user=alice, patient=small)  # the user's roles are read once and kept on the user
    assert _count(alice, large) == _count(alice, small) == 4
