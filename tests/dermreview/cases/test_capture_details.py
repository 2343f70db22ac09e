"""Capture details, scale and measurement of a photo: the services (cases/services/capture_details.py)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from isic_metadata.fields import DermoscopicTypeEnum, ImageTypeEnum

from dermreview.audit.models import AuditEvent
from dermreview.cases.isic import isic_dermoscopic_type, isic_image_metadata, isic_image_type
from dermreview.cases.models import CaptureType, Case, CaseStatus, Framing, LesionImage
from dermreview.cases.services.capture_details import (
    CaptureDetailsRefused,
    image_capture_details_set,
    image_measure,
    image_scale_set,
)
from tests.factories import LesionImageFactory

pytestmark = pytest.mark.django_db

SIGNED = [CaseStatus.FINAL, CaseStatus.NEEDS_SECOND_REVIEW, CaseStatus.NEEDS_ADJUDICATION]


@pytest.fixture
def photo(alice_case):  # noqa: ANN001, ANN201 - a dermoscopic photo of 400x300 stored pixels
    return LesionImageFactory(case=alice_case, capture_type=CaptureType.DERMOSCOPIC, width=400, height=300)


def _refused(code: str, call, **kwargs) -> CaptureDetailsRefused:  # noqa: ANN001, ANN003
    with pytest.raises(CaptureDetailsRefused) as caught:
        call(**kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value


def test_dermoscopy_details_are_stored_and_audited_with_old_and_new(alice, photo):
    image_capture_details_set(image=photo, user=alice, polarised=True, contact=False, framing=Framing.CLOSE_UP)
    photo.refresh_from_db()
    assert (photo.dermoscopy_polarised, photo.dermoscopy_contact, photo.framing) == (True, False, "close_up")
    event = AuditEvent.objects.get(action="image.capture_details_set")
    assert event.details == {
        "old": {"dermoscopy_polarised": None, "dermoscopy_contact": None, "framing": ""},
        "new": {"dermoscopy_polarised": True, "dermoscopy_contact": False, "framing": "close_up"},
    }
    assert event.actor == alice and event.case_id == photo.case_id
    assert isic_image_metadata(photo) == {"image_type": "dermoscopic", "dermoscopic_type": "non-contact polarized"}


def test_unchanged_details_write_no_audit_event(alice, photo):
    image_capture_details_set(image=photo, user=alice, polarised=None, contact=None, framing="")
    assert not AuditEvent.objects.filter(action="image.capture_details_set").exists()


def test_polarised_and_contact_are_refused_for_a_clinical_photo(alice, alice_image):
    refusal = _refused("not_dermoscopic", image_capture_details_set, image=alice_image, user=alice,
                       polarised=True, contact=None, framing=Framing.OVERVIEW)
    assert "clinical photo" in refusal.message
    alice_image.refresh_from_db()
    assert alice_image.framing == "" and alice_image.dermoscopy_polarised is None
    image_capture_details_set(image=alice_image, user=alice, polarised=None, contact=None, framing="overview")
    alice_image.refresh_from_db()
    assert isic_image_metadata(alice_image) == {"image_type": "clinical: overview"}


def test_unknown_framing_is_refused(alice, photo):
    assert _refused("invalid", image_capture_details_set, image=photo, user=alice, polarised=None, contact=None,
                    framing="macro").field == "framing"


def test_ruler_scale_gives_mm_per_stored_pixel(bob, photo):
    image_scale_set(image=photo, user=bob, method="ruler", points=[[10, 20], [110, 20]], mm=10)
    photo.refresh_from_db()
    assert photo.scale_method == "ruler" and photo.scale_mm_per_px == pytest.approx(0.1)
    assert photo.scale_points == {"points": [[10.0, 20.0], [110.0, 20.0]], "mm": 10.0}
    event = AuditEvent.objects.get(action="image.scale_set")
    assert event.details["old"]["scale_mm_per_px"] is None and event.details["new"]["scale_mm_per_px"] == 0.1


def test_diameter_scale_then_measure_a_longest_diameter(alice, bob, photo):
    image_scale_set(image=photo, user=alice, method="diameter", points=[[0, 0], [30, 40]], mm=5)  # 50 px = 5 mm
    image_measure(image=photo, user=bob, points=[[100, 100], [160, 180]])  # 100 px
    photo.refresh_from_db()
    assert photo.measured_diameter_mm == pytest.approx(10.0)
    assert photo.measured_points == {"points": [[100.0, 100.0], [160.0, 180.0]]}
    event = AuditEvent.objects.get(action="image.measure")
    assert event.actor == bob and event.details["new"]["measured_diameter_mm"] == pytest.approx(10.0)
    # A corrected scale recomputes the measurement from its kept points, audited with it.
    image_scale_set(image=photo, user=alice, method="diameter", points=[[0, 0], [30, 40]], mm=10)
    photo.refresh_from_db()
    assert photo.measured_diameter_mm == pytest.approx(20.0)
    changed = AuditEvent.objects.filter(action="image.scale_set").order_by("-pk").first().details
    assert changed["old"]["measured_diameter_mm"] == pytest.approx(10.0)
    assert changed["new"]["measured_diameter_mm"] == pytest.approx(20.0)


def test_measuring_without_a_scale_is_refused(bob, photo):
    assert "Set a scale" in _refused("no_scale", image_measure, image=photo, user=bob,
                                     points=[[1, 1], [5, 5]]).message
    assert not AuditEvent.objects.filter(action="image.measure").exists()


@pytest.mark.parametrize(("points", "mm", "field", "words"), [
    ([[10, 10], [10, 10]], 5, "points", "the same"),
    ([[10, 10], [401, 10]], 5, "points", "outside the photo (400×300 px)"),
    ([[-1, 10], [20, 10]], 5, "points", "outside"),
    ([[10, 10], [20, 301]], 5, "points", "outside"),
    ([[10, 10]], 5, "points", "exactly two points"),
    ([[10, 10], ["x", 3]], 5, "points", "exactly two points"),
    ([[10, 10], [float("nan"), 3]], 5, "points", "exactly two points"),
    ([[10, 10], [20, 10]], 0.05, "mm", "between 0.1 and 200 mm"),
    ([[10, 10], [20, 10]], 250, "mm", "between 0.1 and 200 mm"),
    ([[10, 10], [20, 10]], float("inf"), "mm", "between"),
])
def test_bad_scale_input_is_refused_and_changes_nothing(alice, photo, points, mm, field, words):
    refusal = _refused("invalid", image_scale_set, image=photo, user=alice, method="ruler", points=points, mm=mm)
    assert refusal.field == field and words in refusal.message
    photo.refresh_from_db()
    assert photo.scale_mm_per_px is None and photo.scale_points == {}
    assert not AuditEvent.objects.filter(action="image.scale_set").exists()


def test_unknown_scale_method_is_refused(alice, photo):
    assert _refused("invalid", image_scale_set, image=photo, user=alice, method="guess",
                    points=[[1, 1], [9, 9]], mm=3).field == "method"


def test_scale_points_on_the_edges_of_the_photo_are_inside(alice, photo):
    image_scale_set(image=photo, user=alice, method="ruler", points=[[0, 0], [400, 300]], mm=100)
    photo.refresh_from_db()
    assert photo.scale_mm_per_px == pytest.approx(100 / 500)


@pytest.mark.parametrize("status", SIGNED)
def test_every_change_is_refused_once_the_case_is_signed(alice, bob, photo, status):
    image_scale_set(image=photo, user=alice, method="ruler", points=[[0, 0], [100, 0]], mm=10)
    Case.objects.filter(pk=photo.case_id).update(status=status)
    before = AuditEvent.objects.count()
    assert "signed finding" in _refused("case_signed", image_capture_details_set, image=photo, user=alice,
                                        polarised=True, contact=True, framing="").message
    _refused("case_signed", image_scale_set, image=photo, user=alice, method="ruler",
             points=[[0, 0], [50, 0]], mm=10)
    _refused("case_signed", image_measure, image=photo, user=bob, points=[[0, 0], [20, 0]])
    photo.refresh_from_db()
    assert photo.dermoscopy_polarised is None and photo.scale_mm_per_px == pytest.approx(0.1)
    assert photo.measured_diameter_mm is None and AuditEvent.objects.count() == before


def test_an_auditor_may_not_change_capture_details(carol, photo):
    with pytest.raises(PermissionDenied):
        image_capture_details_set(image=photo, user=carol, polarised=True, contact=True, framing="")
    with pytest.raises(PermissionDenied):
        image_measure(image=photo, user=carol, points=[[0, 0], [1, 1]])


def test_another_clinic_gets_404_from_every_service(mallory, photo):
    with pytest.raises(Http404):
        image_capture_details_set(image=photo, user=mallory, polarised=True, contact=True, framing="")
    with pytest.raises(Http404):
        image_scale_set(image=photo, user=mallory, method="ruler", points=[[0, 0], [10, 0]], mm=1)
    with pytest.raises(Http404):
        image_measure(image=photo, user=mallory, points=[[0, 0], [10, 0]])
    assert LesionImage.objects.get(pk=photo.pk).dermoscopy_polarised is None


def test_isic_mapping_values_are_members_of_the_isic_metadata_enums():
    image_types = {isic_image_type(capture_type=c, framing=f)
                   for c in CaptureType.values for f in ("", *Framing.values)} - {None}
    assert image_types == {"dermoscopic", "clinical: overview", "clinical: close-up"}
    assert image_types <= {member.value for member in ImageTypeEnum}
    dermoscopic = {isic_dermoscopic_type(capture_type="dermoscopic", polarised=p, contact=c)
                   for p in (True, False, None) for c in (True, False, None)} - {None}
    assert dermoscopic == {member.value for member in DermoscopicTypeEnum}
    assert isic_dermoscopic_type(capture_type="dermoscopic", polarised=False, contact=False) is None
    assert isic_dermoscopic_type(capture_type="clinical", polarised=True, contact=True) is None
